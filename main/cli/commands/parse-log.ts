/**
 * eems-watch parse-log FILE... [--json]: read Mitigation Service log files (any size, in constant
 * memory: see engine/log-file-reader) and report entries, hourly cycles per UTC day and the lines
 * that could not be read (contracts.md, parse-log).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { readFailureReason } from '../input-files.js';
import type { LogEntry } from '../../core/model.js';
import { type CycleCounter, createCycleCounter, type DayCycles } from '../../core/log-cycles.js';
import type { SkippedLine } from '../../core/parsers/mitigation-log.js';
import { type EntrySelection, type LogFileResult, readMitigationLogFile } from '../../engine/log-file-reader.js';
import { countOf } from '../../core/plural.js';

const USAGE = [
  'Usage: eems-watch parse-log FILE|FOLDER... [--json]',
  '',
  'Reads Mitigation Service log files (V15\\Logging\\MitigationService\\*.log, or that folder) and prints, per UTC day,',
  'the hourly fetch cycles and the hours without one, then every warning and error line.',
  '  --json   one JSON document: { entries, days, skipped }',
].join('\n');

/** An entry as printed: the LogEntry plus the file it came from. */
type PrintedEntry = LogEntry & { file: string };

/**
 * A file that is not a log at all: a tenth of its first 64 KB is NUL or undecodable. (A log cut
 * short by a crash may hold a run of NUL bytes, so one NUL is not enough to refuse it.)
 */
function mostlyNotText(head: string): boolean {
  // eslint-disable-next-line no-control-regex -- NUL is what this counts
  const odd = head.length - head.replace(/[\u0000\uFFFD]/g, '').length;
  return odd > 8 && odd * 10 > head.length;
}

/**
 * The log files to read: a folder (the MitigationService log folder) gives its *.log files in
 * name order; an empty or binary file is refused like diagnose refuses it, naming the file.
 */
async function logFilesOf(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((error: unknown) => {
      throw new UsageError(`cannot read ${path}: ${describeError(error)}. Check the path and that you may read it.`);
    });
    if (info.isDirectory()) {
      const logs = (await readdir(path)).filter((name) => /\.log$/i.test(name)).sort().map((name) => join(path, name));
      if (logs.length === 0) throw new UsageError(`${path} holds no .log files. Give the MitigationService log folder (V15\\Logging\\MitigationService) or its files.`);
      files.push(...logs);
      continue;
    }
    if (info.size === 0) throw new UsageError(`${path} is empty: nothing to read. Give a Mitigation Service log (V15\\Logging\\MitigationService\\*.log).`);
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(Math.min(info.size, 64 * 1024));
      await handle.read(head, 0, head.length, 0);
      if (mostlyNotText(head.toString('utf8'))) throw new UsageError(`${path} is not a text file. Give a Mitigation Service log (V15\\Logging\\MitigationService\\*.log).`);
    } finally {
      await handle.close();
    }
    files.push(path);
  }
  return files;
}

/**
 * Read one file the way parse-log does (the log-parsing benchmark measures this very call): every
 * entry counted into `counter`, the selected ones to `onEntries` in file order.
 * Throws a UsageError (one line, exit 2) when the file cannot be read.
 */
export async function readLogForParseLog(
  file: string,
  select: EntrySelection,
  counter: CycleCounter,
  onEntries: (entries: LogEntry[]) => void,
): Promise<LogFileResult> {
  try {
    return await readMitigationLogFile(file, { select, counter, onEntries });
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${describeError(error)}. Check the path and that you may read it.`);
  }
}

export const command: Command = {
  name: 'parse-log',
  summary: 'Read Mitigation Service log files: entries and hourly cycles',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, true);
    if (positionals.length === 0) throw new UsageError('give at least one log file or the log folder: eems-watch parse-log FILE|FOLDER... [--json]');
    const files = await logFilesOf(positionals);
    const json = values.json === true;
    const counter = createCycleCounter();
    const entries: PrintedEntry[] = [];
    const skippedLines: (SkippedLine & { file: string })[] = [];
    let skipped = 0;
    for (const file of files) {
      // Human output shows only warnings and errors: keep nothing else in memory for it.
      const result = await readLogForParseLog(file, json ? 'all' : 'problems', counter, (batch) => {
        for (const entry of batch) entries.push({ ...entry, file });
      });
      skipped += result.skipped;
      for (const line of result.skippedLines) skippedLines.push({ ...line, file });
    }
    const days = counter.days();
    if (json) {
      writeJson(io, { entries, days, skipped, skippedLines });
      return 0;
    }
    io.stdout(formatHuman(days, entries, skipped, skippedLines, files.length));
    return 0;
  },
};

function formatHuman(
  days: DayCycles[],
  problems: PrintedEntry[],
  skipped: number,
  skippedLines: (SkippedLine & { file: string })[],
  fileCount: number,
): string {
  const out: string[] = [];
  if (days.length === 0) out.push('No dated log lines found: is this a Mitigation Service log?');
  else out.push('Hourly fetch cycles per day (UTC):');
  for (const day of days) {
    const missing = day.missingHours.length === 0 ? 'no hour missing' : `missing hours ${formatHours(day.missingHours)}`;
    out.push(`  ${day.date}  ${countOf(day.cycles, 'cycle ', 'cycles').padStart(10)}  ${missing}`);
  }
  out.push('');
  if (problems.length === 0) out.push('No warning or error lines.');
  else out.push(`${problems.length} warning and error lines:`);
  for (const e of problems) {
    const where = fileCount > 1 ? `${e.file}:${e.line ?? '?'} ` : '';
    const source = e.source ? ` [${e.source}]` : '';
    out.push(`  ${where}${e.time ?? '(no time)'} ${e.server ?? '-'} ${e.level.padEnd(7)} ${e.message}${source}`);
  }
  if (skipped > 0) {
    out.push('');
    out.push(`${skipped} line${skipped === 1 ? '' : 's'} could not be read and ${skipped === 1 ? 'was' : 'were'} skipped:`);
    for (const s of skippedLines) out.push(`  ${s.file}:${s.line} (${s.reason}) ${s.text}`);
    if (skippedLines.length < skipped) out.push(`  ... and ${skipped - skippedLines.length} more`);
  }
  return `${out.join('\n')}\n`;
}

/** 3, 4, 5, 9 -> "03-05, 09" */
function formatHours(hours: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < hours.length; i += 1) {
    let j = i;
    while (j + 1 < hours.length && hours[j + 1] === hours[j]! + 1) j += 1;
    const a = String(hours[i]).padStart(2, '0');
    const b = String(hours[j]).padStart(2, '0');
    parts.push(i === j ? a : `${a}-${b}`);
    i = j;
  }
  return parts.join(', ');
}

function describeError(error: unknown): string {
  return readFailureReason(error, 'it is a folder, give the .LOG files in it');
}
