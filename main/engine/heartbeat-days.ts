/**
 * The hourly heartbeat of each server, kept for the last 31 days: fetch cycles per UTC day and
 * the hours that held one. Counted with core's cycle counter as log entries arrive in batches
 * (counts add up across batches; a batch is never re-read thanks to the bookmarks), stored as
 * plain JSON in the engine state so a restart keeps the history the log bookmark has moved past.
 */
import { createCycleCounter, type DayCycles, hoursOfMask } from '../core/log-cycles.js';
import type { LogEntry } from '../core/model.js';
import { isFetchCycleStart } from '../core/parsers/mitigation-log.js';

/** One day: cycles counted and a bitmask of the UTC hours that held one. */
export interface HeartbeatDay {
  date: string;
  cycles: number;
  hours: number;
}

/** A server's heartbeat record. */
export interface HeartbeatRecord {
  /** Time of the first log entry ever read: hours before it are not "missing", just unseen. */
  from: string | null;
  days: HeartbeatDay[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const HEARTBEAT_DAYS_KEPT = 31;

/** Fold new log entries into a record (returns a new record; keeps 31 days before `now`). */
export function addHeartbeatEntries(record: HeartbeatRecord | undefined, entries: readonly LogEntry[], now: Date): HeartbeatRecord {
  const next: HeartbeatRecord = { from: record?.from ?? null, days: (record?.days ?? []).map((d) => ({ ...d })) };
  if (entries.length > 0) {
    const counter = createCycleCounter();
    for (const entry of entries) {
      counter.add(entry);
      if (entry.time && (next.from === null || entry.time < next.from)) next.from = entry.time;
    }
    const byDate = new Map(next.days.map((d) => [d.date, d]));
    for (const day of counter.days()) {
      if (day.cycles === 0) continue;
      const d = byDate.get(day.date) ?? { date: day.date, cycles: 0, hours: 0 };
      d.cycles += day.cycles;
      byDate.set(day.date, d);
    }
    for (const entry of entries) {
      if (!entry.time || !isFetchCycleStart(entry)) continue;
      const d = byDate.get(entry.time.slice(0, 10));
      if (d) d.hours |= 1 << new Date(entry.time).getUTCHours();
    }
    next.days = [...byDate.values()];
  }
  const oldest = new Date(now.getTime() - HEARTBEAT_DAYS_KEPT * DAY_MS).toISOString().slice(0, 10);
  next.days = next.days.filter((d) => d.date >= oldest).sort((a, b) => a.date.localeCompare(b.date));
  return next;
}

/**
 * The last `days` days as DayCycles (parse-log's shape): an hour is missing when it lies wholly
 * between the first entry ever read and now, and held no cycle. Days without any line are listed.
 */
export function heartbeatDays(record: HeartbeatRecord | undefined, now: Date, days = HEARTBEAT_DAYS_KEPT): DayCycles[] {
  if (!record?.from) return [];
  const fromMs = Date.parse(record.from);
  const nowMs = now.getTime();
  const byDate = new Map(record.days.map((d) => [d.date, d]));
  const firstDay = Math.max(Math.floor(fromMs / DAY_MS), Math.floor(nowMs / DAY_MS) - days + 1) * DAY_MS;
  const out: DayCycles[] = [];
  for (let day = firstDay; day <= nowMs; day += DAY_MS) {
    const date = new Date(day).toISOString().slice(0, 10);
    const d = byDate.get(date) ?? { date, cycles: 0, hours: 0 };
    const missingHours: number[] = [];
    for (let h = 0; h < 24; h += 1) {
      const start = day + h * HOUR_MS;
      if (start >= fromMs && start + HOUR_MS <= nowMs && (d.hours & (1 << h)) === 0) missingHours.push(h);
    }
    out.push({ date, cycles: d.cycles, missingHours, hours: hoursOfMask(d.hours) });
  }
  return out;
}
