/**
 * The hourly heartbeat of each server, kept for the last 31 days: what each UTC hour was. An hour
 * held a fetch that worked (ok), a fetch that failed, a crash of the service, no fetch because the
 * service was stopped, no fetch while it ran (silent), or lies before anything was read (no data)
 * or after the last read (not read yet). Built from the Mitigation Service log (Fetching lines,
 * their failures, Started/Stopped lines), the 4999 crash reports and each state read (Service
 * Status), as they arrive in batches; stored as plain JSON in the engine state so a restart keeps
 * the history the log bookmark has moved past.
 */
import type { DayCycles } from '../core/log-cycles.js';
import { hoursOfMask } from '../core/log-cycles.js';
import type { EemsEvent, LogEntry } from '../core/model.js';
import { isFetchCycleStart } from '../core/parsers/mitigation-log.js';
import { diagnose } from '../core/diagnosis/diagnosis.js';

/** One day: cycles counted and one 24-bit mask per fact (bit h: UTC hour h). */
export interface HeartbeatDay {
  date: string;
  cycles: number;
  /** Hours that held a fetch cycle (ok or failed). */
  hours: number;
  /** Hours whose every cycle failed (a failure line before the next cycle). */
  failed?: number;
  /** Hours in which the service was down (stopped, crashed) at some point. */
  down?: number;
  /** Hours in which the service crashed (4999 Watson report naming it). */
  crashed?: number;
}

/** A server's heartbeat record. */
export interface HeartbeatRecord {
  /** Time of the first log entry ever read: hours before it are not "missing", just unseen. */
  from: string | null;
  /** The last time the log was read: hours after it are not judged yet. */
  readAt?: string | null;
  days: HeartbeatDay[];
  /** The service was seen going down here and not seen starting since (an open interval). */
  downSince?: string | null;
  /** The latest cycle start, so a failure line read in a later batch still marks its hour. */
  lastCycleAt?: string | null;
  /** Whether that cycle had a failure line, and whether one of its hour's cycles worked. */
  lastCycleFailed?: boolean;
}

/** What one hour was, for the heartbeat picture. */
export type HourState = 'ok' | 'failed' | 'crashed' | 'stopped' | 'silent' | 'no-data' | 'future';

/** A day as the snapshot shows it: parse-log's counts plus the state of each of its 24 hours. */
export interface HeartbeatDayView extends DayCycles {
  states: HourState[];
}

/** What one commit adds to a server's record. */
export interface HeartbeatInput {
  entries: readonly LogEntry[];
  events: readonly EemsEvent[];
  /** The service Status read this commit, or null when the state was not read. */
  serviceStatus: string | null;
  /** The log was read this commit (its silence means something). */
  logRead: boolean;
  now: Date;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const HEARTBEAT_DAYS_KEPT = 31;
const STARTED = /^Started MSExchangeMitigation\b/i;
const STOPPED = /^Stopped MSExchangeMitigation\b/i;
const RUNNING = /^running$/i;

type Mask = 'hours' | 'failed' | 'down' | 'crashed';

class Days {
  private readonly byDate: Map<string, HeartbeatDay>;
  constructor(days: HeartbeatDay[]) {
    this.byDate = new Map(days.map((d) => [d.date, { ...d }]));
  }
  day(ms: number): HeartbeatDay {
    const date = new Date(ms).toISOString().slice(0, 10);
    let d = this.byDate.get(date);
    if (!d) {
      d = { date, cycles: 0, hours: 0 };
      this.byDate.set(date, d);
    }
    return d;
  }
  set(ms: number, mask: Mask, on = true): void {
    const d = this.day(ms);
    const bit = 1 << new Date(ms).getUTCHours();
    d[mask] = on ? (d[mask] ?? 0) | bit : (d[mask] ?? 0) & ~bit;
  }
  /** Mark every hour that [fromMs, toMs) touches. */
  span(fromMs: number, toMs: number, mask: Mask): void {
    for (let h = Math.floor(fromMs / HOUR_MS) * HOUR_MS; h < toMs; h += HOUR_MS) this.set(h, mask);
  }
  list(): HeartbeatDay[] {
    return [...this.byDate.values()];
  }
}

function isFailureLine(entry: LogEntry): boolean {
  return entry.level === 'Error' || (entry.level === 'Warning' && (entry.operation ?? '').toLowerCase() === 'fetchmitigation');
}

type Happening = { time: string; what: 'cycle' | 'stopped' | 'started' | 'failure' | 'crash' };

/** The log lines and crash reports that tell about the heartbeat, in time order. */
function happenings(entries: readonly LogEntry[], events: readonly EemsEvent[]): Happening[] {
  const out: Happening[] = [];
  for (const entry of entries) {
    if (entry.time === null) continue;
    if (isFetchCycleStart(entry)) out.push({ time: entry.time, what: 'cycle' });
    else if (STOPPED.test(entry.message)) out.push({ time: entry.time, what: 'stopped' });
    else if (STARTED.test(entry.message)) out.push({ time: entry.time, what: 'started' });
    else if (isFailureLine(entry)) out.push({ time: entry.time, what: 'failure' });
  }
  for (const event of events) {
    if (event.eventId === 4999 && Number.isFinite(Date.parse(event.time)) && diagnose(event.message).code === 'crash') out.push({ time: event.time, what: 'crash' });
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

function addHappenings(next: HeartbeatRecord, days: Days, list: Happening[]): void {
  for (const { time, what } of list) {
    const ms = Date.parse(time);
    if (what === 'cycle') {
      const d = days.day(ms);
      d.cycles += 1;
      const bit = 1 << new Date(ms).getUTCHours();
      // A new cycle in an hour whose earlier cycle failed: the hour worked after all, until told otherwise.
      d.hours |= bit;
      d.failed = (d.failed ?? 0) & ~bit;
      next.lastCycleAt = time;
      next.lastCycleFailed = false;
    } else if (what === 'stopped' || what === 'crash') {
      if (what === 'crash') days.set(ms, 'crashed');
      days.set(ms, 'down');
      next.downSince ??= time;
    } else if (what === 'started') {
      if (next.downSince) days.span(Date.parse(next.downSince), ms + 1, 'down');
      next.downSince = null;
    } else if (next.lastCycleAt && !next.lastCycleFailed && time >= next.lastCycleAt) {
      next.lastCycleFailed = true;
      days.set(Date.parse(next.lastCycleAt), 'failed');
    }
  }
}

/** Fold one commit's log entries, crash reports and service state into a record (returns a new one; keeps 31 days). */
export function updateHeartbeat(record: HeartbeatRecord | undefined, input: HeartbeatInput): HeartbeatRecord {
  const next: HeartbeatRecord = { ...structuredClone(record ?? { from: null, days: [] }) };
  next.days = next.days ?? [];
  const days = new Days(next.days);
  const nowIso = input.now.toISOString();
  const list = happenings(input.entries, input.events);
  addHappenings(next, days, list);
  for (const h of list) if (h.what !== 'crash' && (next.from === null || h.time < next.from)) next.from = h.time;
  for (const e of input.entries) if (e.time && (next.from === null || e.time < next.from)) next.from = e.time;
  if (input.serviceStatus !== null) {
    if (!RUNNING.test(input.serviceStatus)) next.downSince ??= nowIso;
    else if (next.downSince && next.downSince < nowIso) {
      // Running again without a Started line read (log unreadable, or a quick restart): close it here.
      days.span(Date.parse(next.downSince), input.now.getTime(), 'down');
      next.downSince = null;
    }
  }
  if (next.downSince) days.span(Date.parse(next.downSince), input.now.getTime() + 1, 'down');
  if (input.logRead) {
    next.readAt = nowIso;
    next.from ??= nowIso;
  }
  const oldest = new Date(input.now.getTime() - HEARTBEAT_DAYS_KEPT * DAY_MS).toISOString().slice(0, 10);
  next.days = days.list().filter((d) => d.date >= oldest).sort((a, b) => a.date.localeCompare(b.date));
  return next;
}

function hourState(d: HeartbeatDay, h: number, hourStart: number, fromMs: number, readMs: number): HourState {
  const bit = 1 << h;
  if ((d.crashed ?? 0) & bit) return 'crashed';
  if (d.hours & bit) return (d.failed ?? 0) & bit ? 'failed' : 'ok';
  if ((d.down ?? 0) & bit) return 'stopped';
  if (hourStart + HOUR_MS > readMs) return 'future';
  if (hourStart < fromMs) return 'no-data';
  return 'silent';
}

/**
 * The last `days` days, oldest first (days without any record listed): each hour's state, and
 * parse-log's shape (cycles, missingHours = hours read wholly with no cycle, hours with one).
 */
export function heartbeatDays(record: HeartbeatRecord | undefined, now: Date, days = HEARTBEAT_DAYS_KEPT): HeartbeatDayView[] {
  if (!record || (!record.from && record.days.length === 0)) return [];
  const nowMs = now.getTime();
  const fromMs = record.from ? Date.parse(record.from) : Number.POSITIVE_INFINITY;
  // Hours after the last read are not judged; an old record without readAt was read up to now.
  const readMs = record.readAt ? Date.parse(record.readAt) : record.from ? nowMs : Number.NEGATIVE_INFINITY;
  const byDate = new Map(record.days.map((d) => [d.date, d]));
  const first = Math.min(fromMs, ...record.days.map((d) => Date.parse(`${d.date}T00:00:00Z`)));
  const firstDay = Math.max(Math.floor(first / DAY_MS), Math.floor(nowMs / DAY_MS) - days + 1) * DAY_MS;
  const out: HeartbeatDayView[] = [];
  for (let day = firstDay; day <= nowMs; day += DAY_MS) {
    const date = new Date(day).toISOString().slice(0, 10);
    const d = byDate.get(date) ?? { date, cycles: 0, hours: 0 };
    const states = Array.from({ length: 24 }, (_, h) => hourState(d, h, day + h * HOUR_MS, fromMs, Math.min(readMs, nowMs)));
    const downNow = record.downSince ? Date.parse(record.downSince) : null;
    // The service is down right now: the hours since, not read yet, are stopped all the same.
    if (downNow !== null) for (let h = 0; h < 24; h += 1) if (states[h] === 'future' && day + h * HOUR_MS <= nowMs && day + (h + 1) * HOUR_MS > downNow) states[h] = 'stopped';
    const missingHours = states.flatMap((s, h) => ((s === 'stopped' || s === 'silent') && day + (h + 1) * HOUR_MS <= nowMs ? [h] : []));
    out.push({ date, cycles: d.cycles, missingHours, hours: hoursOfMask(d.hours), states });
  }
  return out;
}
