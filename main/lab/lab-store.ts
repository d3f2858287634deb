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

/**
 * A lab file that is missing, unreadable or damaged: the sentence names the file, what is wrong
 * with it and what to do, so `serve --lab`, `poll --lab` and `lab advance` can say it as it is.
 */
export class LabFileError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`The lab file ${path} ${problem}. Restore it from a copy, or start a new lab in another folder with: eems-watch lab init NEW-FOLDER`);
    this.name = 'LabFileError';
  }
}

/** What is wrong with a file that could not be read, in words. */
function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'is missing';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read by this account (permission denied)';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return `cannot be read (${(error as Error).message})`;
}

/** Parse a lab file's JSON; a damaged file is a LabFileError naming it. */
function parseLabJson(text: string, path: string): unknown {
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SyntaxError('it is not a JSON object');
    return value;
  } catch (error) {
    throw new LabFileError(path, `is damaged: it is not a JSON document of the lab (${(error as Error).message})`);
  }
}

/**
 * The error to throw for a lab file that could not be read: a LabFileError naming it, except
 * ENOTDIR, passed on as it is (a path below a file: the folder is not a lab, see readLabCached).
 */
function readError(path: string, error: unknown): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? error : new LabFileError(path, readProblem(error));
}

/** A state document without its servers list is damaged. */
function checkServersList(path: string, state: LabStateDocument): LabStateDocument {
  if (!Array.isArray(state.servers)) throw new LabFileError(path, 'is damaged: it has no "servers" list');
  return state;
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
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
  return parseLabJson(text, path) as T;
}

/** A shared, read-only parsed document; re-read only when the file changed. Do not mutate it. */
export function readJsonCachedSync<T>(path: string): T {
  let st;
  let text: string;
  try {
    st = statSync(path);
    const hit = cache.get(path);
    if (hit && hit.key === identity(st)) return hit.value as T;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
  const value = parseLabJson(text, path) as T;
  cache.set(path, { key: identity(st), value });
  return value;
}

/** lab.json, read-only, or NotALabError. */
export function readLabCached(dir: string): LabDocument {
  const path = labPaths.lab(dir);
  let doc: LabDocument;
  try {
    // No existsSync first: every host call reads the clock, so one stat per call matters.
    doc = readJsonCachedSync<LabDocument>(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new NotALabError(dir);
    if (error instanceof LabFileError && !existsSync(path)) throw new NotALabError(dir);
    throw error;
  }
  if (doc?.format !== 'eems-watch-lab') throw new NotALabError(dir);
  return doc;
}

/** state.json, read-only; a LabFileError when it is missing, damaged or has no servers list. */
export function readStateCached(dir: string): LabStateDocument {
  const path = labPaths.state(dir);
  return checkServersList(path, readJsonCachedSync<LabStateDocument>(path));
}

/** Both documents as mutable copies. */
export async function loadLab(dir: string): Promise<{ lab: LabDocument; state: LabStateDocument }> {
  readLabCached(dir); // NotALabError when it is not one
  const lab = await readJsonFresh<LabDocument>(labPaths.lab(dir));
  const state = checkServersList(labPaths.state(dir), await readJsonFresh<LabStateDocument>(labPaths.state(dir)));
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

/** Where the last lines of an event file are: (RecordId, byte offset of its line), oldest first. */
interface EventIndex {
  ino: number;
  /** Bytes of complete lines already indexed. */
  size: number;
  marks: Array<[recordId: number, offset: number]>;
}
/** Lines remembered per file: enough for a poller a few days behind; an older bookmark rescans. */
const INDEX_MARKS = 512;
const eventIndex = new Map<string, EventIndex>();

/** The offset to read from for records after `since`, or 0 when the remembered lines do not reach back that far. */
function startOffset(index: EventIndex | undefined, since: number): number {
  if (!index || index.marks.length === 0 || index.marks[0]![0] > since) return 0;
  const first = index.marks.find(([id]) => id > since);
  return first ? first[1] : index.size;
}

async function readFrom(path: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(to - from);
    let done = 0;
    while (done < chunk.length) {
      const { bytesRead } = await handle.read(chunk, done, chunk.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return chunk.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/**
 * The events of one server with RecordId above `sinceRecordId`, oldest first (RecordIds only grow
 * along the file). Only the offsets of the file's last lines are kept, so a poller reads just the
 * new tail and memory stays flat however long the lab runs; a bookmark older than those lines, a
 * file that shrank or was replaced, is read from the start. A last line without its line end (an
 * append in progress elsewhere) waits for the next call.
 */
export async function readServerEvents(dir: string, name: string, sinceRecordId = 0): Promise<EemsEvent[]> {
  const path = labPaths.events(dir, name);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let index = eventIndex.get(path);
  if (index && (index.ino !== st.ino || st.size < index.size)) index = undefined;
  const from = startOffset(index, sinceRecordId);
  if (from >= st.size) return [];
  const chunk = await readFrom(path, from, st.size);
  const lastEnd = chunk.lastIndexOf(10);
  const events: EemsEvent[] = [];
  const marks: Array<[number, number]> = index ? index.marks.filter(([, offset]) => offset < from) : [];
  let lineStart = 0;
  while (lineStart <= lastEnd) {
    const end = chunk.indexOf(10, lineStart);
    const line = chunk.subarray(lineStart, end).toString('utf8');
    if (line.trim().length > 0) {
      let event: EemsEvent;
      try {
        event = JSON.parse(line) as EemsEvent;
      } catch (error) {
        throw new LabFileError(path, `is damaged at byte ${from + lineStart}: a line is not a JSON event (${(error as Error).message})`);
      }
      marks.push([event.recordId, from + lineStart]);
      if (event.recordId > sinceRecordId) events.push(event);
    }
    lineStart = end + 1;
  }
  const size = from + lastEnd + 1;
  if (!index || size >= index.size) eventIndex.set(path, { ino: st.ino, size, marks: marks.slice(-INDEX_MARKS) });
  return events;
}
