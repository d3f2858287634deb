/**
 * Reads Mitigation Service log files for parse-log (and its benchmark: both call readMitigationLogFile).
 * The file is read with fs read calls into one reused 1 MiB buffer and decoded by a StringDecoder in
 * 64 KiB pieces (the decoding createReadStream + setEncoding('utf8') did, without the stream
 * machinery), then parsed by the pure streaming parser of main/core. Memory stays constant
 * whatever the file size. Splitting big files over worker threads was measured and dropped: on
 * the 2-core build machines two workers parsed 200 MB slower (182 MB/s) than one thread (233 MB/s).
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LogEntry } from '../core/model.js';
import { type CycleCounter, createCycleCounter } from '../core/log-cycles.js';
import { type ParserWork, type SkippedLine, createMitigationLogParser } from '../core/parsers/mitigation-log.js';

/** Which entries come back to the caller: all, only Warning and Error lines, or none (count only). */
export type EntrySelection = 'all' | 'problems' | 'none';

export interface ReadLogOptions {
  /** Which entries reach onEntries (every entry is parsed and counted whatever this says). */
  select: EntrySelection;
  /** Receives the selected entries in file order, in batches. */
  onEntries?: (entries: LogEntry[]) => void;
  /** Fed with every entry of the file. */
  counter?: CycleCounter;
  /** Bytes per read call (default 1 MiB); small values let tests cut the file anywhere. */
  chunkBytes?: number;
  /** Counts the work done (bytes read, and the parser's work), for tests of linear growth. */
  work?: ReaderWork;
}

/** The parser's work plus the bytes read from the file. */
export interface ReaderWork extends ParserWork {
  bytesRead: number;
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

const BUFFER_BYTES = 1 << 20;
// Decoded pieces stay small: V8 allocates strings past ~128 KiB in large-object space, which made
// decoding 4 MiB at once several times slower than 64 KiB pieces (measured).
const PIECE_BYTES = 1 << 16;
const MAX_SAMPLES = 20;

/**
 * Read one log file: every entry is parsed and fed to `counter`, the selected ones go to
 * `onEntries` in file order. Throws the fs error when the file cannot be read.
 */
export async function readMitigationLogFile(file: string, options: ReadLogOptions): Promise<LogFileResult> {
  const counter = options.counter ?? createCycleCounter();
  const deliver = options.onEntries ?? (() => undefined);
  const parser = createMitigationLogParser({ maxSkippedSamples: MAX_SAMPLES, work: options.work });
  const decoder = new StringDecoder('utf8');
  let entries = 0;
  const take = (batch: LogEntry[]): void => {
    entries += batch.length;
    for (const entry of batch) counter.add(entry);
    const chosen = options.select === 'all' ? batch : options.select === 'problems' ? batch.filter(isProblem) : [];
    if (chosen.length > 0) deliver(chosen);
  };
  const fh = await open(file, 'r');
  try {
    const size = Math.max(1, options.chunkBytes ?? BUFFER_BYTES);
    const piece = Math.min(size, PIECE_BYTES);
    const buffer = Buffer.allocUnsafe(size);
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, size, null);
      if (bytesRead === 0) break;
      if (options.work) options.work.bytesRead += bytesRead;
      for (let at = 0; at < bytesRead; at += piece) take(parser.push(decoder.write(buffer.subarray(at, Math.min(bytesRead, at + piece)))));
    }
  } finally {
    await fh.close();
  }
  const rest = decoder.end();
  if (rest.length > 0) take(parser.push(rest));
  take(parser.end());
  return { entries, lines: parser.lines, skipped: parser.skipped, skippedLines: [...parser.skippedLines] };
}

function isProblem(entry: LogEntry): boolean {
  return entry.level === 'Warning' || entry.level === 'Error';
}
