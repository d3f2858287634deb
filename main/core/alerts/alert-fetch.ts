/**
 * Fetch-cycle bookkeeping for the alert rules: consecutive failed hourly fetches per server, the
 * diagnosis of the latest failed cycle, and the last cycle seen (the heartbeat). Pure: it folds
 * records into plain JSON memory.
 *
 * A failure is counted once per hourly cycle even when the same failure shows as a log Error line,
 * a log Warning and an event 1008: a failure opens a new "slot" only after a new "Fetching
 * mitigations" line, or, on a server whose log we cannot read, more than 30 minutes after the last
 * one (EEMS fetches hourly: eems-domain.md section 0). A cycle that starts and ends with no failure
 * is a success; we only know it ended when the next one starts, so clearing lags one cycle.
 */
import type { Diagnosis, DiagnosisCode } from '../model.js';

/** What the rules remember about one server's fetches (plain JSON). */
export interface FetchMemory {
  /** Consecutive failed cycles in the current episode. */
  failures: number;
  /** ISO time of the first failure of the current episode, or null. */
  episodeStart: string | null;
  lastFailureAt: string | null;
  /** Start of the latest "Fetching mitigations" cycle seen, and whether it failed. */
  cycleStartAt: string | null;
  cycleFailed: boolean;
  /** The diagnosis code already alerted in this episode (null: none yet). */
  alertedCode: DiagnosisCode | null;
  /** The most telling error of the latest failed cycle. */
  lastError: { time: string; text: string; diagnosis: Diagnosis } | null;
}

/** A fresh fetch memory. */
export function emptyFetchMemory(): FetchMemory {
  return { failures: 0, episodeStart: null, lastFailureAt: null, cycleStartAt: null, cycleFailed: false, alertedCode: null, lastError: null };
}

const SAME_SLOT_MS = 30 * 60 * 1000;

/**
 * Note a "Fetching mitigations" line. Returns true when it closed a cycle that had no failure
 * (a successful fetch: the episode, if any, is over).
 */
export function noteCycleStart(memory: FetchMemory, time: string): boolean {
  const succeeded = memory.cycleStartAt !== null && !memory.cycleFailed && Date.parse(time) > Date.parse(memory.cycleStartAt);
  memory.cycleStartAt = time;
  memory.cycleFailed = false;
  if (succeeded) endEpisode(memory);
  return succeeded;
}

/** Note one failure record (log line or 1008 event) already diagnosed. */
export function noteFailure(memory: FetchMemory, time: string, text: string, diagnosis: Diagnosis): void {
  const t = Date.parse(time);
  const last = memory.lastFailureAt === null ? null : Date.parse(memory.lastFailureAt);
  const cycle = memory.cycleStartAt === null ? null : Date.parse(memory.cycleStartAt);
  const newSlot = last === null || (cycle !== null && cycle > last) || t - last > SAME_SLOT_MS;
  if (newSlot) {
    memory.failures += 1;
    if (memory.episodeStart === null) memory.episodeStart = time;
    memory.lastError = { time, text, diagnosis };
  } else if (memory.lastError && memory.lastError.diagnosis.code === 'unknown' && diagnosis.code !== 'unknown') {
    // A later line of the same cycle often says more ("TLS ... failed" beside "One or more errors").
    memory.lastError = { time, text, diagnosis };
  }
  if (last === null || t >= last) memory.lastFailureAt = time;
  memory.cycleFailed = true;
}

/** End the current failure episode (a success, or silence for longer than the grace period). */
export function endEpisode(memory: FetchMemory): void {
  memory.failures = 0;
  memory.episodeStart = null;
  memory.alertedCode = null;
}
