/**
 * eems-watch diagnose: explain an EEMS error (contracts.md, diagnose). `--text` takes one message;
 * `--file` takes a message, a Mitigation Service log or an event export, told apart by content, and
 * diagnoses every error in it.
 */
import { readFile } from 'node:fs/promises';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { diagnose, diagnoseEvents, diagnoseLogEntries } from '../../core/diagnosis/diagnosis.js';
import { parseMitigationLog } from '../../core/parsers/mitigation-log.js';
import { parseEventExport } from '../../core/parsers/events.js';
import type { Diagnosis } from '../../core/model.js';

type Source = { line: number; time?: string | null; server?: string | null } | { recordId: number; eventId: number; time: string; machine: string };
type SourcedDiagnosis = Diagnosis & { source: Source };
type FileKind = 'log' | 'events' | 'message';

const USAGE = [
  'Usage: eems-watch diagnose --text "<message>" [--json]',
  '       eems-watch diagnose --file FILE [--json]',
  '',
  'Explains an EEMS error: a 1008 event message, a Mitigation Service log line, a 4999 Watson report.',
  'FILE may hold one message, a whole Mitigation Service log (V15\\Logging\\MitigationService) or an',
  'event export (Get-WinEvent ... | ConvertTo-Json, or wevtutil qe ... /f:xml): every error in it is diagnosed.',
].join('\n');

/** Text of a file as Windows tools write it: UTF-8 with or without BOM, or UTF-16 (PowerShell 5.1 Out-File). */
function decodeFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A binary file: NUL never occurs in a decoded text file (a UTF-16 export is decoded first), and
 * many undecodable bytes (U+FFFD) mean it was not text in the first place.
 */
function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const head = text.slice(0, 64 * 1024);
  const replaced = head.length - head.replaceAll('\uFFFD', '').length;
  return replaced > 8 && replaced * 10 > head.length;
}

/** What a file holds, by content: an event export, a Mitigation Service log, or one message. */
function detectKind(text: string): FileKind {
  const start = text.trimStart();
  if (start.startsWith('<') && /<Event[\s>]/.test(start)) return 'events';
  if (start.startsWith('[') || start.startsWith('{')) {
    try {
      JSON.parse(start);
      return 'events';
    } catch {
      return 'message';
    }
  }
  if (/^#Software:.*Exchange/im.test(start) || /^[^\r\n]*,S:LogLevel=/m.test(start) || /^[^\r\n]*,'S:LogLevel=/m.test(start)) return 'log';
  return 'message';
}

function diagnoseFile(text: string, file: string): { kind: FileKind; diagnoses: SourcedDiagnosis[]; read: number } {
  const kind = detectKind(text);
  if (kind === 'log') {
    const { entries } = parseMitigationLog(text);
    const diagnoses = diagnoseLogEntries(entries).map(({ entry, diagnosis }) => ({
      ...diagnosis,
      source: { line: entry.line ?? 0, time: entry.time, server: entry.server },
    }));
    return { kind, diagnoses, read: entries.length };
  }
  if (kind === 'events') {
    const result = parseEventExport(text, { allProviders: true });
    if (result.errors && result.errors.length > 0) throw new UsageError(`cannot read ${file}: ${result.errors[0]}`);
    if (result.events.length === 0 && (result.ignored ?? 0) === 0 && result.skipped > 0) {
      throw new UsageError(
        `cannot read ${file}: it holds ${result.format === 'wevtutil-xml' ? 'XML' : 'JSON'} but no event record in it could be read. Export with Get-WinEvent ... | ConvertTo-Json, or wevtutil qe Application /f:xml.`,
      );
    }
    const diagnoses = diagnoseEvents(result.events).map(({ event, diagnosis }) => ({
      ...diagnosis,
      source: { recordId: event.recordId, eventId: event.eventId, time: event.time, machine: event.machine },
    }));
    return { kind, diagnoses, read: result.events.length };
  }
  return { kind, diagnoses: [{ ...diagnose(text), source: { line: 1 } }], read: 1 };
}

function formatDetails(details: Record<string, unknown>): string[] {
  const shown = Object.entries(details).filter(([key, value]) => key !== 'text' && key !== 'fromCycle' && value !== undefined && value !== null);
  const lines = shown.length > 0 ? [`Recognised: ${shown.map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(', ')}`] : [];
  if (details.fromCycle === true) lines.push('This line alone says little: the lines before it in the same hourly fetch say why.');
  if (typeof details.text === 'string') lines.push('The text:', ...details.text.split(/\r?\n/).map((line) => `  ${line}`));
  return lines;
}

/** One diagnosis for people: title, explanation, numbered fix steps, links, what was recognised. */
export function formatDiagnosis(d: Diagnosis): string {
  return [
    `${d.title}  [${d.code}]`,
    '',
    d.explanation,
    '',
    'Fix:',
    ...d.fix.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    'Links:',
    ...d.links.map((link) => `  ${link}`),
    ...formatDetails(d.details),
  ].join('\n');
}

function describeSource(source: Source): string {
  if ('recordId' in source) return `Event ${source.eventId}, record ${source.recordId} (${source.time}, ${source.machine})`;
  const where = [source.time, source.server].filter(Boolean).join(', ');
  return `Line ${source.line}${where ? ` (${where})` : ''}`;
}

/** Human output of a file: every error, the full diagnosis only the first time a code is seen. */
function printFile(io: CliIo, file: string, result: { kind: FileKind; diagnoses: SourcedDiagnosis[]; read: number }): void {
  const what = result.kind === 'log' ? 'log lines' : result.kind === 'events' ? 'events' : 'message';
  if (result.diagnoses.length === 0) {
    io.stdout(`No errors found in ${file} (${result.read} ${what} read).\n`);
    return;
  }
  io.stdout(`${result.diagnoses.length} error(s) in ${file} (${result.read} ${what} read).\n`);
  const seen = new Set<string>();
  for (const d of result.diagnoses) {
    // Unknown texts differ from each other, so each is shown in full; known codes once.
    const key = d.code === 'unknown' ? `unknown:${String(d.details.text)}` : `${d.code}:${d.title}`;
    if (seen.has(key)) {
      io.stdout(`\n${describeSource(d.source)}: ${d.title} [${d.code}], as above.\n`);
      continue;
    }
    seen.add(key);
    io.stdout(`\n${describeSource(d.source)}:\n${formatDiagnosis(d)}\n`);
  }
}

async function readInput(file: string): Promise<string> {
  try {
    return decodeFile(await readFile(file));
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : err.code === 'EACCES' ? 'permission denied' : (err.message ?? String(error));
    throw new UsageError(`cannot read ${file}: ${reason}. Give the path of a log, an event export or a file holding the message.`);
  }
}

export const command: Command = {
  name: 'diagnose',
  summary: 'Explain an EEMS error text, log or event export',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, {
      text: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.text !== undefined && values.file !== undefined) throw new UsageError('give either --text or --file, not both.');
    if (values.file !== undefined) {
      const text = await readInput(values.file);
      if (text.trim() === '') throw new UsageError(`${values.file} is empty: nothing to diagnose. Give a log, an event export or a file holding the message.`);
      if (looksBinary(text)) throw new UsageError(`${values.file} is not a text file. Give a Mitigation Service log, an event export or a file holding the message.`);
      const result = diagnoseFile(text, values.file);
      if (values.json) writeJson(io, { diagnoses: result.diagnoses });
      else printFile(io, values.file, result);
      return 0;
    }
    if (values.text === undefined || values.text.trim() === '') {
      throw new UsageError('nothing to diagnose: give --text "<message>" or --file FILE (see eems-watch diagnose --help).');
    }
    const diagnosis = diagnose(values.text);
    if (values.json) writeJson(io, diagnosis);
    else io.stdout(`${formatDiagnosis(diagnosis)}\n`);
    return 0;
  },
};
