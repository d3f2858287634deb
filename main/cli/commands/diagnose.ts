/**
 * eems-watch diagnose: explain an EEMS error (contracts.md, diagnose). `--text` takes one message;
 * `--file` takes a message, a Mitigation Service log or an event export, told apart by content, and
 * diagnoses every error in it.
 */
import { createReadStream } from 'node:fs';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { type ContextFor, diagnose, diagnoseEvents, diagnoseLogEntries } from '../../core/diagnosis/diagnosis.js';
import { looksBinary, readFailureReason, readKnowledge, readStateFile } from '../input-files.js';
import { parseMitigationLog } from '../../core/parsers/mitigation-log.js';
import { parseEventExport } from '../../core/parsers/events.js';
import type { Diagnosis } from '../../core/model.js';

type Source = { line: number; time?: string | null; server?: string | null } | { recordId: number; eventId: number; time: string; machine: string };
type SourcedDiagnosis = Diagnosis & { source: Source };
type FileKind = 'log' | 'events' | 'message';

const USAGE = [
  'Usage: eems-watch diagnose --text "<message>" [--json]',
  '       eems-watch diagnose --file FILE [--json]',
  '       ... [--state FILE [--server NAME]] [--knowledge FILE]',
  '',
  'Explains an EEMS error: a 1008 event message, a Mitigation Service log line, a 4999 Watson report.',
  'FILE may hold one message, a whole Mitigation Service log (V15\\Logging\\MitigationService) or an',
  'event export (Get-WinEvent ... | ConvertTo-Json, or wevtutil qe ... /f:xml): every error in it is diagnosed.',
  '',
  'With --state (a state file from eems-watch poll), a build-too-old diagnosis says whether the server',
  'the text came from (a log line\'s ServerName, an event\'s machine, or --server NAME) is below the',
  'June 2026 Security Update. --file is read up to 16 MiB and 200,000 lines.',
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

function diagnoseFile(text: string, file: string, contextFor?: ContextFor): { kind: FileKind; diagnoses: SourcedDiagnosis[]; read: number } {
  const kind = detectKind(text);
  if (kind === 'log') {
    const { entries } = parseMitigationLog(text);
    const diagnoses = diagnoseLogEntries(entries, contextFor).map(({ entry, diagnosis }) => ({
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
    const diagnoses = diagnoseEvents(result.events, contextFor).map(({ event, diagnosis }) => ({
      ...diagnosis,
      source: { recordId: event.recordId, eventId: event.eventId, time: event.time, machine: event.machine },
    }));
    return { kind, diagnoses, read: result.events.length };
  }
  return { kind, diagnoses: [{ ...diagnose(text, contextFor?.(null)), source: { line: 1 } }], read: 1 };
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

/**
 * Limits of --file, checked while the file streams in (an 88 MB file once took 1.7 GB, and
 * /dev/zero never ends): a day's Mitigation Service log is well under 1 MB and an event export of
 * a month a few MB [INFERRED from the captures in test/fixtures/real], so 16 MiB and 200,000
 * lines leave room and keep the memory used bounded.
 */
export const DIAGNOSE_MAX_BYTES = 16 * 1024 * 1024;
export const DIAGNOSE_MAX_LINES = 200_000;

const NEXT_STEP = 'Give one log file or a part of it, e.g. Get-Content <file> -Tail 20000 | Set-Content part.log, then diagnose --file part.log.';

/** Read the file as a stream, stopping as soon as it passes a limit (bytes or lines). */
async function readInput(file: string, limits = { bytes: DIAGNOSE_MAX_BYTES, lines: DIAGNOSE_MAX_LINES }): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let lines = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limits.bytes) throw new UsageError(`${file} is larger than the ${limits.bytes / 1024 / 1024} MiB limit of diagnose --file, so it was not read further. ${NEXT_STEP}`);
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      if (lines > limits.lines) throw new UsageError(`${file} has more than ${limits.lines.toLocaleString('en-US')} lines, the limit of diagnose --file, so it was not read further. ${NEXT_STEP}`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = readFailureReason(error);
    throw new UsageError(`cannot read ${file}: ${reason}. Give the path of a log, an event export or a file holding the message.`);
  } finally {
    stream.destroy();
  }
  return decodeFile(Buffer.concat(chunks, bytes));
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
      state: { type: 'string' },
      server: { type: 'string' },
      knowledge: { type: 'string' },
    });
    const contextFor = await readContext(values, io);
    if (values.text !== undefined && values.file !== undefined) throw new UsageError('give either --text or --file, not both.');
    if (values.file !== undefined) {
      const text = await readInput(values.file);
      if (text.trim() === '') throw new UsageError(`${values.file} is empty: nothing to diagnose. Give a log, an event export or a file holding the message.`);
      if (looksBinary(text)) throw new UsageError(`${values.file} is not a text file. Give a Mitigation Service log, an event export or a file holding the message.`);
      const result = diagnoseFile(text, values.file, contextFor);
      if (values.json) writeJson(io, { diagnoses: result.diagnoses });
      else printFile(io, values.file, result);
      return 0;
    }
    if (values.text === undefined || values.text.trim() === '') {
      throw new UsageError('nothing to diagnose: give --text "<message>" or --file FILE (see eems-watch diagnose --help).');
    }
    const diagnosis = diagnose(values.text, contextFor?.(null));
    if (values.json) writeJson(io, diagnosis);
    else io.stdout(`${formatDiagnosis(diagnosis)}\n`);
    return 0;
  },
};

/**
 * The server context of --state: a text's own server (ServerName, machine) when the state file
 * has it, else --server NAME, else the state's only server. Undefined without --state.
 */
async function readContext(values: { state?: string; server?: string; knowledge?: string }, io: CliIo): Promise<ContextFor | undefined> {
  if (values.state === undefined) {
    if (values.server !== undefined) throw new UsageError('--server needs --state FILE (the state file that holds the server\'s build).');
    return undefined;
  }
  const state = await readStateFile(values.state, io);
  const knowledge = await readKnowledge(values.knowledge);
  const find = (name: string | null | undefined) => (name ? state.servers.find((s) => s.Name.toLowerCase() === name.toLowerCase()) : undefined);
  if (values.server !== undefined && !find(values.server)) {
    throw new UsageError(`--server ${values.server}: the state file ${values.state} has no such server (it has ${state.servers.map((s) => s.Name).join(', ') || 'none'}).`);
  }
  const fallback = find(values.server) ?? (state.servers.length === 1 ? state.servers[0] : undefined);
  return (name) => {
    const server = find(name) ?? fallback;
    return server ? { server, knowledge } : undefined;
  };
}
