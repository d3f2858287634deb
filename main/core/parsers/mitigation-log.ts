/**
 * The Mitigation Service log (`V15\Logging\MitigationService\*.LOG`), read as a stream: push chunks
 * of any size, split anywhere (inside a CRLF, inside a quoted message), and get the entries of every
 * complete line. Memory stays constant: only the unfinished last line is kept, and a line longer than
 * `maxLineLength` is dropped (counted in `skipped`) instead of growing without bound.
 *
 * Tolerant and loud: a line that cannot be read is counted in `skipped` (with the first few kept
 * in `skippedLines` so a person can see why), never thrown.
 */
import type { LogEntry } from '../model.js';
import { type LogColumns, type SkipReason, POSITIONAL_COLUMNS, parseCommonLineAt, parseLogLine, readFieldsHeader } from './log-line.js';

export type { LogColumns, SkipReason } from './log-line.js';
export { POSITIONAL_COLUMNS, readFieldsHeader } from './log-line.js';

/** A line the parser could not read, for the warnings shown to the admin. */
export interface SkippedLine {
  line: number;
  reason: SkipReason;
  /** The start of the line, at most 120 characters. */
  text: string;
}

/** A streaming Mitigation Service log parser (one per file). */
export interface MitigationLogParser {
  /** Feed the next chunk; returns the entries of the lines it completed. */
  push(chunk: string): LogEntry[];
  /** No more input: parses the last line even without a line end. */
  end(): LogEntry[];
  /** Lines that could not be read so far. */
  readonly skipped: number;
  /** The first `maxSkippedSamples` skipped lines with their reason. */
  readonly skippedLines: readonly SkippedLine[];
  /** Lines seen so far (data, header and blank). */
  readonly lines: number;
  /** The columns in effect now (from the last `#Fields:` header, else by position). */
  readonly columns: LogColumns;
}

export interface MitigationLogParserOptions {
  /** A longer line is skipped as 'too-long' (default 1 MiB). */
  maxLineLength?: number;
  /** How many skipped lines to keep as samples (default 20). */
  maxSkippedSamples?: number;
  /**
   * The columns in effect at the first line (default: by position). For a part of a file that does
   * not start at its beginning: the `#Fields:` header read before it.
   */
  columns?: LogColumns;
  /** Counts the work done, for tests that check it grows linearly with the input (no clock needed). */
  work?: ParserWork;
}

/**
 * The work a parser did, in characters: scanned for line ends, copied to join a line that came in
 * pieces, and handed to the line readers. A linear parser visits each input character a bounded
 * number of times, so these grow in proportion to the input whatever the machine's speed.
 */
export interface ParserWork {
  scanned: number;
  copied: number;
  lineCharacters: number;
}

const CR = 13;
const HASH = 35;
const BOM = 0xfeff;

/**
 * Create a streaming parser for one log file.
 * Columns come from the `#Fields:` header when the file has one (INFERRED: the real header was not
 * found in any source), else by position before the `S:LogLevel=` token: time, server, operation.
 */
export function createMitigationLogParser(options: MitigationLogParserOptions = {}): MitigationLogParser {
  const maxLine = options.maxLineLength ?? 1024 * 1024;
  const maxSamples = options.maxSkippedSamples ?? 20;
  const commas = new Int32Array(64);
  const samples: SkippedLine[] = [];
  let columns: LogColumns = options.columns ?? POSITIONAL_COLUMNS;
  // The unfinished last line, as pieces: a long line arriving in tiny pushes is kept as a list and
  // joined once its end comes (appending to one string builds a rope whose cells the GC must trace).
  let pending: string[] = [];
  let pendingLength = 0;
  const takePending = (): string => {
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    pendingLength = 0;
    return text;
  };
  let discarding = false; // inside a line that already passed maxLine
  let lineNo = 0;
  let skipped = 0;
  const work = options.work;

  const skip = (reason: SkipReason, text: string): void => {
    skipped += 1;
    if (samples.length < maxSamples) samples.push({ line: lineNo, reason, text: text.slice(0, 120) });
  };

  /** Handle text[from, to) as one line (to excludes the LF). */
  const handleLine = (text: string, from: number, to: number, out: LogEntry[], finalLine: boolean): void => {
    lineNo += 1;
    if (to > from && text.charCodeAt(to - 1) === CR) to -= 1;
    if (to > from && text.charCodeAt(from) === BOM) from += 1;
    if (to === from) return;
    if (work) work.lineCharacters += to - from;
    if (to - from > maxLine) {
      skip('too-long', text.slice(from, from + 120));
      return;
    }
    const first = text.charCodeAt(from);
    if (first === HASH) {
      if (text.startsWith('#Fields:', from)) columns = readFieldsHeader(text.slice(from, to));
      return;
    }
    if (first >= 48 && first <= 57) {
      // A line starting with a digit is most likely the common shape: read it in place, no slice.
      const entry = parseCommonLineAt(text, from, to, lineNo, columns);
      if (entry !== null) {
        out.push(entry);
        return;
      }
    }
    const line = text.slice(from, to);
    if (first <= 32 && line.trim().length === 0) return;
    const result = parseLogLine(line, lineNo, columns, commas);
    if (typeof result === 'string') skip(finalLine && result === 'unterminated-quote' ? 'truncated' : result, line);
    else out.push(result);
  };

  return {
    push(chunk: string): LogEntry[] {
      const out: LogEntry[] = [];
      if (chunk.length === 0) return out;
      let text = chunk;
      let from = 0;
      let searchFrom = 0;
      if (discarding) {
        const nl = text.indexOf('\n');
        if (work) work.scanned += nl === -1 ? text.length : nl + 1;
        if (nl === -1) return out;
        discarding = false;
        from = nl + 1;
        searchFrom = from;
      } else if (pendingLength > 0) {
        // No line end in this chunk: keep it and wait. Scanning pending + chunk on every push would
        // be quadratic when a long line arrives in tiny pieces.
        if (work) work.scanned += chunk.length;
        if (chunk.indexOf('\n') === -1) {
          pending.push(chunk);
          pendingLength += chunk.length;
          if (pendingLength > maxLine + 2) {
            lineNo += 1;
            skip('too-long', takePending().slice(0, 120));
            discarding = true;
          }
          return out;
        }
        searchFrom = pendingLength; // pending holds no line end
        if (work) work.copied += pendingLength + chunk.length;
        text = takePending() + chunk;
      }
      if (work) work.scanned += text.length - searchFrom;
      let nl = text.indexOf('\n', searchFrom);
      while (nl !== -1) {
        handleLine(text, from, nl, out, false);
        from = nl + 1;
        nl = text.indexOf('\n', from);
      }
      // + 2: a trailing CR and a BOM do not count towards the line's length (handleLine drops them).
      if (text.length - from > maxLine + 2) {
        lineNo += 1;
        skip('too-long', text.slice(from, from + 120));
        discarding = true;
      } else if (from < text.length) {
        pending = [text.slice(from)];
        pendingLength = text.length - from;
      }
      return out;
    },
    end(): LogEntry[] {
      const out: LogEntry[] = [];
      if (pendingLength > 0) {
        const last = takePending();
        handleLine(last, 0, last.length, out, true);
      }
      discarding = false;
      return out;
    },
    get skipped() {
      return skipped;
    },
    get skippedLines() {
      return samples;
    },
    get lines() {
      return lineNo;
    },
    get columns() {
      return columns;
    },
  };
}

/** Parse a whole log held in memory (small files, tests). */
export function parseMitigationLog(text: string): { entries: LogEntry[]; skipped: number; skippedLines: readonly SkippedLine[] } {
  const parser = createMitigationLogParser();
  const entries = parser.push(text);
  for (const entry of parser.end()) entries.push(entry);
  return { entries, skipped: parser.skipped, skippedLines: parser.skippedLines };
}

const FETCH_PREFIX = 'Fetching mitigations from';

/**
 * Is this entry the start of an hourly fetch cycle ("Fetching mitigations from <url>", CONFIRMED
 * message text)? Case and leading blanks are tolerated.
 */
export function isFetchCycleStart(entry: LogEntry): boolean {
  const m = entry.message;
  // Fast no: a first character that is ASCII, not blank and not f/F cannot start the phrase, even
  // after trimStart and toLowerCase (this runs on every line of a log).
  const c = m.charCodeAt(0);
  if (c > 32 && c < 128 && (c | 32) !== 102) return false;
  if (m.startsWith(FETCH_PREFIX)) return true;
  return m.trimStart().toLowerCase().startsWith('fetching mitigations from');
}
