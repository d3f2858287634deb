/**
 * Reads Mitigation Service log files for parse-log (and its benchmark: both call readMitigationLogFile).
 * The file is read with fs read calls into one reused 1 MiB buffer and decoded by a StringDecoder in
 * 64 KiB pieces (the decoding createReadStream + setEncoding('utf8') did, without the stream
 * machinery). A big file is cut into parts at line ends and the parts are parsed at the same time:
 * the first on this thread, the others in worker threads; results are put back in file order.
 * The parser itself (main/core) stays single-threaded and pure.
 */
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import type { LogEntry } from '../core/model.js';
import { type CycleCounter, type CycleCounts, createCycleCounter } from '../core/log-cycles.js';
import { type LogColumns, POSITIONAL_COLUMNS, type SkippedLine, createMitigationLogParser } from '../core/parsers/mitigation-log.js';

/** Which entries come back to the caller: all, only Warning and Error lines, or none (count only). */
export type EntrySelection = 'all' | 'problems' | 'none';

export interface ReadLogOptions {
  /** Which entries reach onEntries (every entry is parsed and counted whatever this says). */
  select: EntrySelection;
  /** Receives the selected entries in file order, in batches, `line` numbered in the whole file. */
  onEntries?: (entries: LogEntry[]) => void;
  /** Fed with every entry of the file. */
  counter?: CycleCounter;
  /** Files of at least this many bytes are parsed in parallel parts (default 64 MiB). */
  parallelFrom?: number;
  /** Parts at most (default: the machine's parallelism, at most 8). 1 = never use workers. */
  parts?: number;
  /** Bytes per read call (default 1 MiB); small values let tests cut the file anywhere. */
  chunkBytes?: number;
}

/** What a file held. */
export interface LogFileResult {
  /** Entries parsed (selected or not). */
  entries: number;
  /** Lines seen (data, header and blank). */
  lines: number;
  skipped: number;
  /** The first 20 skipped lines, in file order. */
  skippedLines: SkippedLine[];
}

/** One part of a file, as sent to a worker (plain data). */
export interface RangeTask {
  file: string;
  /** Byte offset of a line start. */
  start: number;
  /** Byte offset just after a line end, or null: up to the end of the file. */
  end: number | null;
  /** The columns in effect at `start` (assumed for parts after the first: checked afterwards). */
  columns: LogColumns;
  select: EntrySelection;
  /** Bytes per read call (default 1 MiB). */
  chunkBytes?: number;
}

/** What a worker sends back: a part's result with line numbers counted from the part's start. */
export interface RangeResult extends LogFileResult {
  selected: LogEntry[];
  counts: CycleCounts;
  columnsAtEnd: LogColumns;
}

const BUFFER_BYTES = 1 << 20;
// Decoded pieces stay small: V8 allocates strings past ~128 KiB in large-object space, which made
// decoding 4 MiB at once several times slower than 64 KiB pieces (measured).
const PIECE_BYTES = 1 << 16;
const MAX_SAMPLES = 20;
// Starting a worker took 110-120 ms of CPU on the (loaded) 2-core test machine, and on 2 cores the
// second part gained 1.1-1.5x at best on 200 MB: below this size one thread wins.
const DEFAULT_PARALLEL_FROM = 64 * 1024 * 1024;

/**
 * Read one log file: every entry is parsed and fed to `counter`, the selected ones go to
 * `onEntries` in file order. Throws the fs error when the file cannot be read.
 */
export async function readMitigationLogFile(file: string, options: ReadLogOptions): Promise<LogFileResult> {
  const parts = Math.max(1, Math.min(options.parts ?? availableParallelism(), 8));
  const fh = await open(file, 'r');
  let size: number;
  let starts: number[];
  let headColumns: LogColumns;
  try {
    size = (await fh.stat()).size;
    if (parts === 1 || size < (options.parallelFrom ?? DEFAULT_PARALLEL_FROM)) starts = [];
    else starts = await findPartStarts(fh, size, parts);
    headColumns = starts.length === 0 ? POSITIONAL_COLUMNS : await readHeadColumns(fh, starts[0]!);
  } finally {
    await fh.close();
  }
  const counter = options.counter ?? createCycleCounter();
  const deliver = options.onEntries ?? (() => undefined);
  const { select, chunkBytes } = options;
  const first: RangeTask = { file, start: 0, end: starts[0] ?? null, columns: POSITIONAL_COLUMNS, select, chunkBytes };
  if (starts.length === 0) return summarise(await parseLogRange(first, counter, deliver));

  const tasks = starts.map((start, i): RangeTask => ({ file, start, end: starts[i + 1] ?? null, columns: headColumns, select, chunkBytes }));
  const workers = tasks.map(runInWorker);
  // The first part is parsed here meanwhile; a worker failure must not go unhandled while we wait.
  for (const w of workers) w.catch(() => undefined);
  const head = await parseLogRange(first, counter, deliver);
  let total = summarise(head);
  let columns = head.columnsAtEnd;
  for (let i = 0; i < tasks.length; i += 1) {
    let part = await workers[i]!;
    // A `#Fields:` header inside an earlier part changes the columns this part starts with: parse it
    // again with the right ones (rare: Exchange writes the header at the top of each file).
    if (!sameColumns(tasks[i]!.columns, columns)) part = await parseLogRange({ ...tasks[i]!, columns }, createCycleCounter(), () => undefined, true);
    counter.merge(part.counts);
    const offset = total.lines;
    for (const entry of part.selected) entry.line = (entry.line ?? 0) + offset;
    if (part.selected.length > 0) deliver(part.selected);
    total = {
      entries: total.entries + part.entries,
      lines: total.lines + part.lines,
      skipped: total.skipped + part.skipped,
      skippedLines: [...total.skippedLines, ...part.skippedLines.map((s) => ({ ...s, line: s.line + offset }))].slice(0, MAX_SAMPLES),
    };
    columns = part.columnsAtEnd;
  }
  return total;
}

/**
 * Parse one part of a file: entries to `counter`, selected ones to `onSelected` as they come
 * (or, with `collect`, kept in the result for a worker to send back).
 */
export async function parseLogRange(
  task: RangeTask,
  counter: CycleCounter,
  onSelected: (entries: LogEntry[]) => void,
  collect = false,
): Promise<RangeResult> {
  const parser = createMitigationLogParser({ columns: task.columns, maxSkippedSamples: MAX_SAMPLES });
  const decoder = new StringDecoder('utf8');
  const selected: LogEntry[] = [];
  let entries = 0;
  const take = (batch: LogEntry[]): void => {
    entries += batch.length;
    for (const entry of batch) counter.add(entry);
    const chosen = task.select === 'all' ? batch : task.select === 'problems' ? batch.filter(isProblem) : [];
    if (chosen.length === 0) return;
    if (collect) for (const entry of chosen) selected.push(entry);
    else onSelected(chosen);
  };
  const fh = await open(task.file, 'r');
  try {
    const size = Math.max(1, task.chunkBytes ?? BUFFER_BYTES);
    const piece = Math.min(size, PIECE_BYTES);
    const buffer = Buffer.allocUnsafe(size);
    let position = task.start;
    for (;;) {
      const want = task.end === null ? size : Math.min(size, task.end - position);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(buffer, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      for (let at = 0; at < bytesRead; at += piece) take(parser.push(decoder.write(buffer.subarray(at, Math.min(bytesRead, at + piece)))));
    }
  } finally {
    await fh.close();
  }
  const rest = decoder.end();
  if (rest.length > 0) take(parser.push(rest));
  take(parser.end());
  return {
    entries,
    lines: parser.lines,
    skipped: parser.skipped,
    skippedLines: [...parser.skippedLines],
    selected,
    counts: counter.snapshot(),
    columnsAtEnd: parser.columns,
  };
}

function isProblem(entry: LogEntry): boolean {
  return entry.level === 'Warning' || entry.level === 'Error';
}

function summarise(r: LogFileResult): LogFileResult {
  return { entries: r.entries, lines: r.lines, skipped: r.skipped, skippedLines: r.skippedLines };
}

function sameColumns(a: LogColumns, b: LogColumns): boolean {
  return a.time === b.time && a.server === b.server && a.operation === b.operation;
}

/** Part starts after the first: the byte after the first line end past each even cut. */
async function findPartStarts(fh: Awaited<ReturnType<typeof open>>, size: number, parts: number): Promise<number[]> {
  const probe = Buffer.allocUnsafe(PIECE_BYTES);
  const starts: number[] = [];
  for (let i = 1; i < parts; i += 1) {
    const cut = Math.max(Math.floor((size * i) / parts), starts[starts.length - 1] ?? 0);
    const { bytesRead } = await fh.read(probe, 0, PIECE_BYTES, cut);
    const nl = probe.subarray(0, bytesRead).indexOf(10);
    // No line end within 64 KiB of the cut: leave that line to the part before (one part fewer).
    if (nl === -1 || cut + nl + 1 >= size) continue;
    if (starts.length === 0 || cut + nl + 1 > starts[starts.length - 1]!) starts.push(cut + nl + 1);
  }
  return starts;
}

/** The columns the parser holds after the file's first 64 KiB (its `#Fields:` header): a guess for later parts. */
async function readHeadColumns(fh: Awaited<ReturnType<typeof open>>, limit: number): Promise<LogColumns> {
  const head = Buffer.allocUnsafe(Math.min(PIECE_BYTES, limit));
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  const parser = createMitigationLogParser();
  const text = head.toString('utf8', 0, bytesRead);
  parser.push(text.slice(0, text.lastIndexOf('\n') + 1));
  return parser.columns;
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './log-parse-worker.ts' : './log-parse-worker.js', import.meta.url);

/** A worker running log-parse-worker; from source (tests under tsx) it first registers tsx, which workers do not inherit. */
function startWorker(task: RangeTask): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: task });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData: task });
}

function runInWorker(task: RangeTask): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(task);
    let result: RangeResult | null = null;
    worker.once('message', (message: RangeResult) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`the log parsing worker stopped (exit code ${code}) before it finished ${task.file}`));
    });
  });
}
