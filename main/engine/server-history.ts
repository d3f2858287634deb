/**
 * The recent raw records of each server for its page: the last Mitigation Service log lines and
 * Application events the engine read, in a bounded ring per server (memory does not grow with
 * time), plus the start of the latest fetch cycle that logged no failure. Kept in memory only:
 * the page says "since EEMS Watch started" (the log and event log on the server keep the rest).
 */
import type { EemsEvent, LogEntry } from '../core/model.js';
import { isFetchCycleStart } from '../core/parsers/mitigation-log.js';

/** What the engine keeps per server. */
export interface ServerHistory {
  /** Oldest first, at most `maxLines`. */
  logLines: LogEntry[];
  /** Oldest first, at most `maxEvents`. */
  events: EemsEvent[];
  /** Lines and events read but no longer kept (the ring is full). */
  droppedLines: number;
  droppedEvents: number;
  /** When the engine first read anything of this server (ISO), or null. */
  since: string | null;
  /** Start of the latest "Fetching mitigations" cycle whose lines hold no failure, or null. */
  lastCleanFetchAt: string | null;
}

/** The history store the engine feeds. */
export interface ServerHistoryStore {
  /** Fold the records of one poll of one server in (either list may be empty). */
  add(server: string, lines: readonly LogEntry[], events: readonly EemsEvent[], now: Date): void;
  /** A copy of what is kept for a server (empty when nothing was read yet). */
  get(server: string): ServerHistory;
}

/** Long messages (a stack trace in a 1008) are cut: the page shows a line, not a dump. */
const MAX_TEXT = 4000;

interface Ring {
  lines: LogEntry[];
  events: EemsEvent[];
  droppedLines: number;
  droppedEvents: number;
  since: string | null;
  cycleStart: string | null;
  cycleFailed: boolean;
  /** The current cycle had a line after its start (the fetch was answered). */
  cycleAnswered: boolean;
  lastCleanFetchAt: string | null;
  /** lastCleanFetchAt before the current cycle began (a failure later in the cycle restores it). */
  cleanBeforeCycle: string | null;
}

/** A failed fetch as the alert rules count it: an Error line, or a FetchMitigation Warning. */
function isFailure(entry: LogEntry): boolean {
  if (entry.level === 'Error') return true;
  return entry.level === 'Warning' && (entry.operation ?? '').toLowerCase() === 'fetchmitigation';
}

const cut = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)` : text);

function noteCycle(ring: Ring, entry: LogEntry): void {
  if (isFetchCycleStart(entry) && entry.time) {
    ring.cycleStart = entry.time;
    ring.cleanBeforeCycle = ring.lastCleanFetchAt;
    ring.cycleFailed = false;
    ring.cycleAnswered = false;
    return;
  }
  if (!ring.cycleStart) return;
  if (isFailure(entry)) ring.cycleFailed = true;
  else ring.cycleAnswered = true;
  ring.lastCleanFetchAt = ring.cycleAnswered && !ring.cycleFailed ? ring.cycleStart : ring.cleanBeforeCycle;
}

function push<T>(list: T[], items: readonly T[], max: number): number {
  list.push(...items);
  const over = list.length - max;
  if (over > 0) list.splice(0, over);
  return Math.max(0, over);
}

/** Create the store; `maxLines` and `maxEvents` bound each server's ring. */
export function createServerHistory(options: { maxLines?: number; maxEvents?: number } = {}): ServerHistoryStore {
  const maxLines = options.maxLines ?? 120;
  const maxEvents = options.maxEvents ?? 60;
  const rings = new Map<string, Ring>();
  const ringOf = (server: string): Ring => {
    const key = server.toLowerCase();
    let ring = rings.get(key);
    if (!ring) {
      ring = { lines: [], events: [], droppedLines: 0, droppedEvents: 0, since: null, cycleStart: null, cycleFailed: false, cycleAnswered: false, lastCleanFetchAt: null, cleanBeforeCycle: null };
      rings.set(key, ring);
    }
    return ring;
  };
  return {
    add(server, lines, events, now) {
      if (lines.length === 0 && events.length === 0) return;
      const ring = ringOf(server);
      ring.since ??= now.toISOString();
      for (const entry of lines) noteCycle(ring, entry);
      // Only the newest `max` of a large first read are copied (a first read can be months of log).
      const keptLines = lines.slice(-maxLines).map((e) => ({ ...e, message: cut(e.message) }));
      const keptEvents = events.slice(-maxEvents).map((e) => ({ ...e, message: cut(e.message) }));
      ring.droppedLines += lines.length - keptLines.length + push(ring.lines, keptLines, maxLines);
      ring.droppedEvents += events.length - keptEvents.length + push(ring.events, keptEvents, maxEvents);
    },
    get(server) {
      const ring = rings.get(server.toLowerCase());
      if (!ring) return { logLines: [], events: [], droppedLines: 0, droppedEvents: 0, since: null, lastCleanFetchAt: null };
      return {
        logLines: [...ring.lines],
        events: [...ring.events],
        droppedLines: ring.droppedLines,
        droppedEvents: ring.droppedEvents,
        since: ring.since,
        lastCleanFetchAt: ring.lastCleanFetchAt,
      };
    },
  };
}
