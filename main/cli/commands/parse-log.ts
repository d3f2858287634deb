/**
 * eems-watch parse-log FILE... [--json]: read Mitigation Service log files (any size, in constant
 * memory: see engine/log-file-reader) and report entries, hourly cycles per UTC day and the lines
 * that could not be read (contracts.md, parse-log).
 */
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import type { LogEntry } from '../../core/model.js';
import { type CycleCounter, createCycleCounter, type DayCycles } from '../../core/log-cycles.js';
import type { SkippedLine } from '../../core/parsers/mitigation-log.js';
import { type EntrySelection, type LogFileResult, readMitigationLogFile } from '../../engine/log-file-reader.js';

const USAGE = [
  'Usage: eems-watch parse-log FILE... [--json]',
  '',
  'Reads Mitigation Service log files (V15\\Logging\\MitigationService\\*.LOG) and prints, per UTC day,',
  'the hourly fetch cycles and the hours without one, then every warning and error line.',
  '  --json   one JSON document: { entries, days, skipped }',
].join('\n');

/** An entry as printed: the LogEntry plus the file it came from. */
type PrintedEntry = LogEntry & { file: string };

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
    if (positionals.length === 0) throw new UsageError('give at least one log file: eems-watch parse-log FILE... [--json]');
    const json = values.json === true;
    const counter = createCycleCounter();
    const entries: PrintedEntry[] = [];
    const skippedLines: (SkippedLine & { file: string })[] = [];
    let skipped = 0;
    for (const file of positionals) {
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
    io.stdout(formatHuman(days, entries, skipped, skippedLines, positionals.length));
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
    out.push(`  ${day.date}  ${String(day.cycles).padStart(3)} cycles  ${missing}`);
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
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'it is a folder, give the .LOG files in it';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  return (err.message ?? String(error)).split('\n')[0]!;
}
