/**
 * The lab on disk: where each file lives, atomic JSON writes (temp file + rename), append-only
 * logs and events, a read cache keyed by the file's identity (so 500 servers polled by 16 callers
 * do not re-parse the state each time) and an in-process lock per lab folder so a run() step and an
 * advance never interleave their read-modify-write.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EemsEvent } from '../core/model.js';
import type { LabDocument, LabStateDocument } from './lab-types.js';

/** Server names as Exchange allows them; also what keeps a name from leaving the lab folder. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Whether a server name is safe to use as a folder name in the lab. */
export function isValidServerName(name: string): boolean {
  return SERVER_NAME.test(name) && !name.includes('..');
}

export const labPaths = {
  lab: (dir: string) => join(dir, 'lab.json'),
  state: (dir: string) => join(dir, 'state.json'),
  server: (dir: string, name: string) => join(dir, 'servers', name),
  events: (dir: string, name: string) => join(dir, 'servers', name, 'events.jsonl'),
  logs: (dir: string, name: string) => join(dir, 'servers', name, 'Logging', 'MitigationService'),
  backups: (dir: string, name: string) => join(dir, 'backups', name),
};

/** The error for a folder that holds no lab: a sentence with the next step. */
export class NotALabError extends Error {
  constructor(dir: string) {
    super(`${dir} is not a lab folder (no lab.json). Create one with: eems-watch lab init ${dir}`);
    this.name = 'NotALabError';
  }
}

interface CacheEntry {
  key: string;
  value: unknown;
}
const cache = new Map<string, CacheEntry>();

function identity(st: { ino: number; mtimeMs: number; size: number }): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

let tempCounter = 0;

/** Write a JSON document atomically, and remember it so the next read needs no parse. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 1)}\n`;
  const temp = `${path}.${process.pid}.${++tempCounter}.tmp`;
  await writeFile(temp, text, 'utf8');
  await rename(temp, path);
  const st = await stat(path);
  cache.set(path, { key: identity(st), value: JSON.parse(text) as unknown });
}

/** A fresh, mutable copy of a JSON document (for read-modify-write under the lock). */
export async function readJsonFresh<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** A shared, read-only parsed document; re-read only when the file changed. Do not mutate it. */
export function readJsonCachedSync<T>(path: string): T {
  const st = statSync(path);
  const key = identity(st);
  const hit = cache.get(path);
  if (hit && hit.key === key) return hit.value as T;
  const value = JSON.parse(readFileSync(path, 'utf8')) as T;
  cache.set(path, { key, value });
  return value;
}

/** lab.json, read-only, or NotALabError. */
export function readLabCached(dir: string): LabDocument {
  const path = labPaths.lab(dir);
  if (!existsSync(path)) throw new NotALabError(dir);
  const doc = readJsonCachedSync<LabDocument>(path);
  if (doc?.format !== 'eems-watch-lab') throw new NotALabError(dir);
  return doc;
}

/** state.json, read-only. */
export function readStateCached(dir: string): LabStateDocument {
  return readJsonCachedSync<LabStateDocument>(labPaths.state(dir));
}

/** Both documents as mutable copies. */
export async function loadLab(dir: string): Promise<{ lab: LabDocument; state: LabStateDocument }> {
  readLabCached(dir); // NotALabError when it is not one
  const lab = await readJsonFresh<LabDocument>(labPaths.lab(dir));
  const state = await readJsonFresh<LabStateDocument>(labPaths.state(dir));
  return { lab, state };
}

/** Save both documents: the state first, then the clock, so no reader sees a clock ahead of its state. */
export async function saveLab(dir: string, lab: LabDocument, state: LabStateDocument): Promise<void> {
  await writeJsonAtomic(labPaths.state(dir), state);
  await writeJsonAtomic(labPaths.lab(dir), lab);
}

const locks = new Map<string, Promise<unknown>>();

/** Run fn with the lab folder to itself (in this process). */
export async function withLabLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(dir);
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const tail = next.catch(() => undefined);
  locks.set(key, tail);
  try {
    return await next;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

/** Appends gathered during one operation, written file by file at the end (append-only). */
export class AppendBatch {
  private readonly files = new Map<string, string[]>();

  add(path: string, lines: string[]): void {
    const list = this.files.get(path);
    if (list) list.push(...lines);
    else this.files.set(path, [...lines]);
  }

  /** Whether the file exists on disk or already has pending lines. */
  knows(path: string): boolean {
    return this.files.has(path) || existsSync(path);
  }

  /** Append every file's lines (one append per file, files in parallel: order within a file is kept). */
  async flush(lineEnd: (path: string) => string): Promise<void> {
    const work = [...this.files].filter(([, lines]) => lines.length > 0);
    this.files.clear();
    await Promise.all(
      work.map(async ([path, lines]) => {
        const end = lineEnd(path);
        const text = lines.join(end) + end;
        try {
          await appendFile(path, text, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          await mkdir(join(path, '..'), { recursive: true });
          await appendFile(path, text, 'utf8');
        }
      }),
    );
  }
}

interface EventCache {
  key: string;
  ino: number;
  size: number;
  events: EemsEvent[];
}
const eventCache = new Map<string, EventCache>();

/**
 * The events of one server, oldest first. The file only grows, so the parsed prefix is kept and
 * only the new tail is read; a file that shrank or was replaced is read again whole. A last line
 * without its line end (an append in progress elsewhere) waits for the next call.
 */
export async function readServerEvents(dir: string, name: string): Promise<EemsEvent[]> {
  const path = labPaths.events(dir, name);
  if (!existsSync(path)) return [];
  const st = await stat(path);
  const key = `${st.ino}:${st.mtimeMs}:${st.size}`;
  const hit = eventCache.get(path);
  if (hit && hit.key === key) return hit.events;
  const reuse = hit !== undefined && hit.ino === st.ino && st.size >= hit.size;
  const from = reuse ? hit.size : 0;
  const handle = await open(path, 'r');
  let chunk: Buffer;
  try {
    chunk = Buffer.alloc(st.size - from);
    await handle.read(chunk, 0, chunk.length, from);
  } finally {
    await handle.close();
  }
  const lastEnd = chunk.lastIndexOf(10);
  const complete = lastEnd === -1 ? '' : chunk.subarray(0, lastEnd + 1).toString('utf8');
  const events = reuse ? [...hit.events] : [];
  for (const line of complete.split('\n')) {
    if (line.trim().length > 0) events.push(JSON.parse(line) as EemsEvent);
  }
  eventCache.set(path, { key, ino: st.ino, size: from + (lastEnd + 1), events });
  return events;
}
