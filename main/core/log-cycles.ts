/**
 * Hourly fetch cycles of the Mitigation Service, counted per UTC day from log entries added one by
 * one (streaming: memory grows with the number of days, not lines).
 *
 * EEMS checks OCS once an hour (LEARN-EM, CONFIRMED), so a healthy day holds 24 cycles, one per
 * hour. A cycle is one "Fetching mitigations from ..." line (contracts.md, parse-log).
 */
import type { LogEntry } from './model.js';
import { isFetchCycleStart } from './parsers/mitigation-log.js';

/** Cycles of one UTC day. */
export interface DayCycles {
  /** YYYY-MM-DD, UTC. */
  date: string;
  cycles: number;
  /** UTC hours (0..23) the log covers wholly and that hold no cycle. */
  missingHours: number[];
  /** UTC hours (0..23) that hold at least one cycle, ascending (for an exact heartbeat grid). */
  hours: number[];
}

/** The UTC hours set in a 24-bit mask (bit h: hour h held a cycle), ascending. */
export function hoursOfMask(mask: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < 24; h += 1) if ((mask & (1 << h)) !== 0) out.push(h);
  return out;
}

/** Counts cycles as entries arrive. */
export interface CycleCounter {
  add(entry: LogEntry): void;
  /** Every day from the first to the last entry (days with no line at all included), oldest first. */
  days(): DayCycles[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Past this span (garbage dates in a log), only days that hold entries are listed. */
const MAX_FILLED_DAYS = 3660;

interface DayTally {
  cycles: number;
  /** Bit h set: hour h holds at least one cycle. */
  hours: number;
}

/**
 * Create a cycle counter. Entries without a readable time are ignored; entries may come out of
 * order (several files in any order).
 *
 * The first and last hours of a log are usually partial: the service starts at 08:50 and fetches
 * first at ~09:00 (about 10 minutes after a start, LEARN-EM), or the log ends at 13:30 before the
 * next fetch is due. Decision: an hour counts as missing only when the log covers it wholly, i.e.
 * the hour lies inside [first entry, last entry] of all entries (not only fetch lines). A partial
 * hour is never missing (if it holds a cycle it is not missing anyway). Days between the first and
 * last are covered wholly, so a day without a single line reports all 24 hours.
 */
export function createCycleCounter(): CycleCounter {
  const tallies = new Map<string, DayTally>();
  // Canonical ISO UTC strings sort in time order, so the span is kept as strings (no Date per line).
  let first: string | null = null;
  let last: string | null = null;

  let lastDate = '';
  let lastTally: DayTally | null = null;
  const tally = (time: string): DayTally => {
    // Consecutive lines share a day: skip the slice and the map lookup for them.
    if (lastTally !== null && time.startsWith(lastDate)) return lastTally;
    const date = time.slice(0, 10);
    let t = tallies.get(date);
    if (!t) {
      t = { cycles: 0, hours: 0 };
      tallies.set(date, t);
    }
    lastDate = date;
    lastTally = t;
    return t;
  };

  return {
    add(entry: LogEntry): void {
      const time = entry.time;
      if (time === null) return;
      // LogEntry.time is canonical ISO UTC ("2026-06-10T09:00:02.031Z"): read date and hour by position.
      if (time.length !== 24 || time.charCodeAt(10) !== 84 /* T */) return;
      // A log is written in time order: one comparison for nearly every entry (comparing sliced
      // strings is not free: this halved the counter's cost per entry, measured).
      if (first === null || last === null) first = last = time;
      else if (time >= last) last = time;
      else if (time < first) first = time;
      const t = tally(time);
      if (isFetchCycleStart(entry)) {
        const hour = (time.charCodeAt(11) - 48) * 10 + (time.charCodeAt(12) - 48);
        t.cycles += 1;
        t.hours |= 1 << hour;
      }
    },
    days(): DayCycles[] {
      if (tallies.size === 0 || first === null || last === null) return [];
      const firstMs = Date.parse(first);
      const lastMs = Date.parse(last);
      const dates = [...tallies.keys()].sort();
      const firstDay = Date.parse(`${dates[0]}T00:00:00Z`);
      const lastDay = Date.parse(`${dates[dates.length - 1]}T00:00:00Z`);
      const span = (lastDay - firstDay) / DAY_MS + 1;
      const listed: string[] = [];
      if (span <= MAX_FILLED_DAYS) {
        for (let d = firstDay; d <= lastDay; d += DAY_MS) listed.push(new Date(d).toISOString().slice(0, 10));
      } else {
        listed.push(...dates);
      }
      return listed.map((date) => {
        const t = tallies.get(date) ?? { cycles: 0, hours: 0 };
        const dayStart = Date.parse(`${date}T00:00:00Z`);
        const missingHours: number[] = [];
        for (let h = 0; h < 24; h += 1) {
          const hourStart = dayStart + h * HOUR_MS;
          const covered = hourStart >= firstMs && hourStart + HOUR_MS <= lastMs;
          if (covered && (t.hours & (1 << h)) === 0) missingHours.push(h);
        }
        return { date, cycles: t.cycles, missingHours, hours: hoursOfMask(t.hours) };
      });
    },
  };
}
