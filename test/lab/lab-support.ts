/** Shared helpers of the lab tests: temp labs, reading a server's logs and events back. */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EemsEvent, LogEntry } from '../../main/core/model.js';
import { parseMitigationLog } from '../../main/core/parsers/mitigation-log.js';
import { labPaths } from '../../main/lab/index.js';

/** A fresh temp folder; the returned cleanup removes it. */
export async function tempDir(prefix = 'eems-lab-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every log file of a server, oldest first, with its raw text. */
export async function readLogFiles(dir: string, server: string): Promise<{ name: string; text: string }[]> {
  const folder = labPaths.logs(dir, server);
  const names = (await readdir(folder)).filter((n) => n.toLowerCase().endsWith('.log')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(folder, name), 'utf8') })));
}

/** All log entries of a server, parsed with the project's own parser. */
export async function readLogEntries(dir: string, server: string): Promise<{ entries: LogEntry[]; skipped: number }> {
  const entries: LogEntry[] = [];
  let skipped = 0;
  for (const file of await readLogFiles(dir, server)) {
    const parsed = parseMitigationLog(file.text);
    entries.push(...parsed.entries);
    skipped += parsed.skipped;
  }
  return { entries, skipped };
}

/** The event file of a server. */
export async function readEvents(dir: string, server: string): Promise<EemsEvent[]> {
  const text = await readFile(labPaths.events(dir, server), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EemsEvent);
}

/** Fetch cycles per UTC day: { '2026-06-15': 16, ... }. */
export function cyclesPerDay(entries: LogEntry[]): Record<string, number> {
  const days: Record<string, number> = {};
  for (const e of entries) {
    if (!e.message.startsWith('Fetching mitigations from') || !e.time) continue;
    const day = e.time.slice(0, 10);
    days[day] = (days[day] ?? 0) + 1;
  }
  return days;
}
