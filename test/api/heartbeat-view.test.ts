/** The heartbeat grid of the API: each cell exactly what the engine recorded the hour was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHeartbeat } from '../../main/api/heartbeat-view.js';
import type { ServerSnapshot } from '../../main/engine/engine-types.js';
import { heartbeatDays, updateHeartbeat } from '../../main/engine/heartbeat-days.js';
import type { LogEntry } from '../../main/core/model.js';

function snapshot(heartbeat: ServerSnapshot['heartbeat']): ServerSnapshot {
  return {
    name: 'EX01', state: null, collectedAt: null, verdicts: [], lastCycleAt: '2026-06-16T14:02:00.000Z', heartbeat,
    fetchFailures: 0, lastFetchError: null, pollError: null, backoff: { failures: 0, retryAt: null }, logNotes: [],
  };
}

const line = (time: string, message: string, level: LogEntry['level'] = 'Information', operation: string | null = null): LogEntry =>
  ({ time, level, message, operation, line: 1 }) as LogEntry;
const fetching = (time: string) => line(time, 'Fetching mitigations from OCS', 'Information', 'FetchMitigation');
const states = (view: ReturnType<typeof buildHeartbeat>, day: number) => view.days[day]!.hours.map((h) => h.state);

test('fetched, failed, stopped and silent hours look different; no data only before the first read', () => {
  const at = (hhmm: string) => `2026-06-16T${hhmm}:00.000Z`;
  let record = updateHeartbeat(undefined, {
    entries: [
      fetching(at('09:05')),
      fetching(at('10:05')),
      line(at('10:05'), 'Response xml\'s leaf certificate is from unknown issuer or has EKU mismatch', 'Warning', 'FetchMitigation'),
      fetching(at('11:05')),
      line(at('11:30'), 'Stopped MSExchangeMitigation service'),
      line(at('13:10'), 'Started MSExchangeMitigation service'),
    ],
    events: [],
    serviceStatus: 'Running',
    logRead: true,
    now: new Date(at('13:20')),
  });
  // Nothing new for two hours while Running: 14 is silent.
  record = updateHeartbeat(record, { entries: [], events: [], serviceStatus: 'Running', logRead: true, now: new Date(at('15:30')) });
  const now = new Date(at('15:30'));
  const view = buildHeartbeat(snapshot(heartbeatDays(record, now)), now, 2);
  assert.deepEqual(states(view, 0), Array(24).fill('no-data'), 'a day before anything was read');
  const today = states(view, 1);
  assert.deepEqual(today.slice(8, 16), ['no-data', 'ok', 'failed', 'ok', 'stopped', 'stopped', 'silent', 'future']);
  assert.equal(view.missed, 4, 'the failed, the two stopped and the silent hour');
  assert.equal(view.days[1]!.hours[10]!.cycles, 1, 'a failed hour still held a cycle');
});

test('a service that is stopped right now makes the hours since stopped, not "not yet"', () => {
  const now = new Date('2026-06-16T14:30:00Z');
  const record = updateHeartbeat(undefined, { entries: [fetching('2026-06-16T11:05:00.000Z')], events: [], serviceStatus: 'Stopped', logRead: true, now: new Date('2026-06-16T12:10:00Z') });
  const view = buildHeartbeat(snapshot(heartbeatDays(record, now)), now, 1);
  assert.deepEqual(states(view, 0).slice(11, 15), ['ok', 'stopped', 'stopped', 'stopped']);
});

test('an hour not over yet and without a cycle is "not yet", never missed', () => {
  const now = new Date('2026-06-16T14:30:00Z');
  const record = updateHeartbeat(undefined, { entries: [fetching('2026-06-16T13:05:00.000Z')], events: [], serviceStatus: 'Running', logRead: true, now });
  const view = buildHeartbeat(snapshot(heartbeatDays(record, now)), now, 1);
  assert.equal(states(view, 0)[13], 'ok');
  assert.equal(states(view, 0)[14], 'future');
  assert.equal(view.missed, 0);
});
