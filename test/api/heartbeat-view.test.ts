/** The heartbeat grid of the API: each cell exactly as the engine recorded the hour. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHeartbeat } from '../../main/api/views.js';
import type { ServerSnapshot } from '../../main/engine/engine-types.js';

function snapshot(heartbeat: ServerSnapshot['heartbeat']): ServerSnapshot {
  return {
    name: 'EX01', state: null, collectedAt: null, verdicts: [], lastCycleAt: '2026-06-16T14:02:00.000Z', heartbeat,
    fetchFailures: 0, lastFetchError: null, pollError: null, backoff: { failures: 0, retryAt: null }, logNotes: [],
  };
}

const states = (view: ReturnType<typeof buildHeartbeat>, day: number) => view.days[day]!.hours.map((h) => h.state);

test('seen, missed, no data and not yet come from the recorded hours, whatever the day count says', () => {
  // Three cycles in two hours (a service restart fetched twice at 10), 11 missed, log read from 09:30.
  const view = buildHeartbeat(snapshot([{ date: '2026-06-16', cycles: 3, missingHours: [11, 13], hours: [10, 12, 14] }]), new Date('2026-06-16T14:30:00Z'), 2);
  assert.equal(view.days.length, 2);
  assert.deepEqual(states(view, 0), Array(24).fill('no-data'), 'a day the engine holds nothing of');
  const today = states(view, 1);
  assert.deepEqual(today.slice(0, 10), Array(10).fill('no-data'), 'before the log started');
  assert.deepEqual(today.slice(10, 15), ['ok', 'missed', 'ok', 'missed', 'ok'], 'the current hour already held its cycle');
  assert.deepEqual(today.slice(15), Array(9).fill('future'));
  assert.equal(view.missed, 2);
  assert.equal(view.days[1]!.hours[10]!.cycles, 1);
  assert.equal(view.days[1]!.hours[11]!.cycles, 0);
});

test('an hour not over yet and without a cycle is "not yet", never missed', () => {
  const view = buildHeartbeat(snapshot([{ date: '2026-06-16', cycles: 1, missingHours: [], hours: [13] }]), new Date('2026-06-16T14:30:00Z'), 1);
  assert.equal(states(view, 0)[13], 'ok');
  assert.equal(states(view, 0)[14], 'future');
  assert.equal(view.missed, 0);
});
