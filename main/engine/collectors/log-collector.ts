/**
 * Reads a server's Mitigation Service log incrementally, by file and byte offset: only complete
 * lines (a half-written last line waits for the next cycle), surviving rotation (a new file),
 * truncation (the file is shorter than the bookmark: start over, and say so), replacement under the
 * same name (another inode) and deletion. The folder may be a local path or a UNC share.
 *
 * File names are not documented (eems-domain.md §2, INFERRED): every *.log, any case, sorted by
 * name then modification time.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '../../core/model.js';
import { parseMitigationLog } from '../../core/parsers/mitigation-log.js';
import type { LogBookmark } from '../bookmarks.js';

/** The result of one read. */
export interface LogReadResult {
  entries: LogEntry[];
  /** Where to continue next time (save it only after the alerts of these entries are journaled). */
  bookmark: LogBookmark | null;
  /** Sentences for the log and the diagnostics page: truncation, deletion, unreadable lines. */
  notes: string[];
  skipped: number;
  /** The folder could not be listed at all (missing, no access): nothing was read. */
  unreadable?: boolean;
}

/** How the note of an unreadable folder starts (the engine drops it once the folder reads again). */
export const UNREADABLE_NOTE_START = 'The Mitigation Service log folder ';

/** The note of a folder that cannot be read: what it costs and the next step. */
export function unreadableLogNote(folder: string, reason: string): string {
  return (
    `${UNREADABLE_NOTE_START}${folder} cannot be read (${reason}). Without it the heartbeat check and the log's fetch diagnosis are off ` +
    `for this server (fetch errors still come from event 1008). Check servers[].logFolder and that this account can read the folder or share.`
  );
}

/** Read at most this much per call; the rest comes next cycle (a first read of months of log). */
const MAX_READ_BYTES = 16 * 1024 * 1024;

interface LogFile {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

async function listLogFiles(folder: string, from: string | null): Promise<LogFile[]> {
  // Files that sort before the bookmarked one were read to their end: no need to stat them again
  // (a folder holds 30 days of files; one stat each per server per minute adds up).
  const names = (await readdir(folder)).filter((n) => n.toLowerCase().endsWith('.log') && (from === null || n >= from)).sort();
  const files: LogFile[] = [];
  for (const name of names) {
    try {
      const info = await stat(join(folder, name));
      if (info.isFile()) files.push({ name, path: join(folder, name), size: info.size, mtimeMs: info.mtimeMs, ino: info.ino });
    } catch {
      // Deleted between readdir and stat: rotation at work; the next cycle sees the new set.
    }
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.mtimeMs - b.mtimeMs));
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** Where reading starts: the file index and the offset in it. */
function startPoint(files: LogFile[], bookmark: LogBookmark | null, notes: string[]): { index: number; offset: number } {
  if (!bookmark) return { index: 0, offset: 0 };
  const index = files.findIndex((f) => f.name === bookmark.file);
  if (index < 0) {
    notes.push(`${bookmark.file} is gone (rotated or deleted); reading the files that sort after it.`);
    return { index: files.findIndex((f) => f.name > bookmark.file), offset: 0 };
  }
  const file = files[index]!;
  if (bookmark.ino !== undefined && bookmark.ino !== 0 && file.ino !== 0 && file.ino !== bookmark.ino) {
    notes.push(`${file.name} was replaced by a new file of the same name; reading it from the start.`);
    return { index, offset: 0 };
  }
  if (file.size < bookmark.offset) {
    notes.push(`${file.name} is shorter than where we stopped (${file.size} < ${bookmark.offset} bytes): it was truncated; reading it from the start.`);
    return { index, offset: 0 };
  }
  return { index, offset: bookmark.offset };
}

/** Read the new complete lines of a log folder since the bookmark. */
export async function readNewLogEntries(folder: string, bookmark: LogBookmark | null): Promise<LogReadResult> {
  const notes: string[] = [];
  let files: LogFile[];
  try {
    files = await listLogFiles(folder, bookmark?.file ?? null);
  } catch (error) {
    return { entries: [], bookmark, notes: [unreadableLogNote(folder, (error as Error).message)], skipped: 0, unreadable: true };
  }
  const start = startPoint(files, bookmark, notes);
  if (start.index < 0) return { entries: [], bookmark, notes, skipped: 0 };
  const entries: LogEntry[] = [];
  let skipped = 0;
  let budget = MAX_READ_BYTES;
  let next: LogBookmark | null = bookmark;
  for (let i = start.index; i < files.length && budget > 0; i += 1) {
    const file = files[i]!;
    const from = i === start.index ? start.offset : 0;
    const end = Math.min(file.size, from + budget);
    const chunk = end > from ? await readRange(file.path, from, end) : Buffer.alloc(0);
    // A newer file exists and this one was read to its end: the writer has moved on, so a last
    // line without a newline is complete as it is. Only the newest file may hold a half line.
    const writerMovedOn = i < files.length - 1 && end === file.size;
    const lastNewline = chunk.lastIndexOf(0x0a);
    const usable = writerMovedOn ? chunk : lastNewline >= 0 ? chunk.subarray(0, lastNewline + 1) : Buffer.alloc(0);
    budget -= usable.length;
    let text = usable.toString('utf8');
    if (from === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > 0) {
      const parsed = parseMitigationLog(text);
      for (const entry of parsed.entries) entries.push(entry);
      skipped += parsed.skipped;
    }
    next = { file: file.name, offset: from + usable.length, ino: file.ino };
    if (from + usable.length < file.size) break; // a half-written line, or the read budget is spent
  }
  return { entries, bookmark: next, notes, skipped };
}
