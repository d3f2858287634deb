/**
 * Bookmarks and the engine's small state documents under dataDir, written atomically (a temporary
 * file, fsync, rename) so a crash leaves either the old or the new document, never half of one.
 *
 * The engine keeps bookmarks, rule memory and the last state in ONE document (engine-state.json)
 * and writes it only after the alerts of a cycle are in the journal: a crash before that write
 * replays the same records against the same memory, which gives the same alert ids, which the
 * journal refuses; nothing is lost and nothing is notified twice.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moveAside, writeJsonAtomic } from './json-file.js';
import { engineStateProblem } from './engine-state-schema.js';
import type { RuleMemory } from '../core/alerts/alert-rules.js';
import type { StateDocument } from '../core/model.js';
import type { HeartbeatRecord } from './heartbeat-days.js';

/** Where the log collector stopped in one server's log folder. */
export interface LogBookmark {
  /** File name (not path) of the last file read. */
  file: string;
  /** Bytes consumed: always at the end of a complete line. */
  offset: number;
  /** Inode of that file when known, to see a file replaced under the same name. */
  ino?: number;
}

/** Per server: the last event RecordId seen and the log position. */
export interface Bookmarks {
  events: Record<string, number>;
  logs: Record<string, LogBookmark>;
  /** The forwarded-events collector's own RecordId (settings.events.source 'forwarded'). */
  forwarded?: number;
}

/** engine-state.json. */
export interface EngineStateDocument {
  format: 'eems-watch-engine-state';
  version: 1;
  bookmarks: Bookmarks;
  memory: RuleMemory | null;
  /** The last state collected per server, merged (null before the first collection). */
  state: StateDocument | null;
  /** Server name -> ISO time of its last collection. */
  collectedAt: Record<string, string>;
  lastPollAt: string | null;
  /** Hourly cycles per server for the last 31 days (the log bookmark has moved past them). */
  heartbeat: Record<string, HeartbeatRecord>;
}

/** An empty engine state (first start). */
export function emptyEngineState(): EngineStateDocument {
  return { format: 'eems-watch-engine-state', version: 1, bookmarks: { events: {}, logs: {} }, memory: null, state: null, collectedAt: {}, lastPollAt: null, heartbeat: {} };
}

/** Read a JSON document; null when it does not exist. A corrupt one throws a sentence naming the file. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${file} is not valid JSON. Move it aside to start the engine afresh (alerts already in the journal are kept).`);
  }
}

/** The engine state document's path under a data folder. */
export function engineStatePath(dataDir: string): string {
  return join(dataDir, 'engine-state.json');
}

/** What loadEngineState found: the document, and where an unreadable one was moved to. */
export interface LoadedEngineState {
  doc: EngineStateDocument;
  /** Set when engine-state.json could not be used: it was moved aside, the engine starts afresh. */
  recovered: { movedTo: string; reason: string } | null;
}

function isStateShape(value: unknown): value is Partial<EngineStateDocument> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Partial<EngineStateDocument>;
  if (v.format !== 'eems-watch-engine-state' || v.version !== 1) return false;
  const b = v.bookmarks as unknown;
  return b === undefined || (typeof b === 'object' && b !== null && !Array.isArray(b));
}

/**
 * Load the engine state (empty when missing). A document that cannot be used (not JSON: a disk
 * fault or a hand edit; another format) is moved aside to engine-state.json.corrupt-<time> and
 * the engine starts afresh, rather than refusing to start on every launch (a crash loop). Alerts
 * already journaled are not repeated: their ids are in the journal; record alerts from the last
 * 24 hours are re-read from RecordId 0 and refused by id.
 */
export async function loadEngineState(dataDir: string, now: Date = new Date()): Promise<LoadedEngineState> {
  const file = engineStatePath(dataDir);
  let value: unknown;
  let reason: string;
  try {
    value = await readJson(file);
    const problem = value === null ? null : isStateShape(value) ? engineStateProblem(value) : 'it is not an EEMS Watch engine state document';
    if (problem === null) {
      const v = value as Partial<EngineStateDocument> | null;
      if (!v) return { doc: emptyEngineState(), recovered: null };
      return { doc: { ...emptyEngineState(), ...v, bookmarks: { events: {}, logs: {}, ...v.bookmarks } } as EngineStateDocument, recovered: null };
    }
    reason = problem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error; // unreadable disk: not ours to move
    reason = 'it is not valid JSON';
  }
  const movedTo = moveAside(file, now);
  return { doc: emptyEngineState(), recovered: { movedTo, reason } };
}

/** Save the engine state atomically. */
export async function saveEngineState(dataDir: string, doc: EngineStateDocument): Promise<void> {
  writeJsonAtomic(engineStatePath(dataDir), doc);
}
