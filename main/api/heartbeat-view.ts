/**
 * The heartbeat picture of one server: the last N UTC days, 24 hours each, each hour what the
 * engine recorded it was. A fetch that worked is ok; a fetch that failed, a crash, a stopped
 * service and a running service that stayed silent are problems (red or amber, never "no data");
 * no data is only for hours before anything was read, future for hours not over or not read yet.
 */
import type { ServerSnapshot } from '../engine/engine-types.js';
import type { HourState } from '../engine/heartbeat-days.js';
import type { HeartbeatCellState, HeartbeatView } from './eems-api.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Hours in which no fetch worked although one was due. */
const MISSED: ReadonlySet<HeartbeatCellState> = new Set(['failed', 'crashed', 'stopped', 'silent', 'missed']);

/** Build the heartbeat view of a server snapshot. */
export function buildHeartbeat(s: ServerSnapshot, now: Date, days: number): HeartbeatView {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const byDate = new Map(s.heartbeat.map((d) => [d.date, d]));
  let missed = 0;
  const out: HeartbeatView['days'] = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const dayStart = today - i * DAY_MS;
    const date = new Date(dayStart).toISOString().slice(0, 10);
    const record = byDate.get(date);
    const hours = Array.from({ length: 24 }, (_, h) => {
      const future = dayStart + (h + 1) * HOUR_MS > now.getTime();
      const recorded: HourState | undefined = record?.states?.[h];
      const state: HeartbeatCellState = recorded ?? (future ? 'future' : 'no-data');
      if (MISSED.has(state)) missed += 1;
      return { hour: h, cycles: state === 'ok' || state === 'failed' ? 1 : 0, state };
    });
    out.push({ date, hours });
  }
  return { server: s.name, lastCycleAt: s.lastCycleAt, missed, days: out };
}
