import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixture } from '../support/paths.js';
import { createCycleCounter } from '../../main/core/log-cycles.js';
import { parseMitigationLog } from '../../main/core/parsers/mitigation-log.js';
import type { LogEntry } from '../../main/core/model.js';

function countFiles(...files: string[]) {
  const counter = createCycleCounter();
  for (const file of files) for (const entry of parseMitigationLog(readFileSync(fixture('parsers', file), 'utf8')).entries) counter.add(entry);
  return counter.days();
}

const fetchAt = (time: string): LogEntry => ({
  time,
  server: 'EX01',
  operation: 'FetchMitigation',
  level: 'Information',
  message: 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations',
  source: null,
});
const otherAt = (time: string): LogEntry => ({ ...fetchAt(time), message: 'No diagnostic data sent. DataCollectionEnabled is false' });

test('a healthy day: 24 cycles, no hour missing', () => {
  assert.deepEqual(countFiles('full-day.LOG'), [{ date: '2026-06-11', cycles: 24, missingHours: [], hours: Array.from({ length: 24 }, (_, h) => h) }]);
});

test('a day where the service hung: the hours without a fetch are listed', () => {
  assert.deepEqual(countFiles('missing-hours.LOG'), [{ date: '2026-06-12', cycles: 20, missingHours: [3, 4, 5, 17], hours: Array.from({ length: 24 }, (_, h) => h).filter((h) => ![3, 4, 5, 17].includes(h)) }]);
});

test('rotation across midnight: two files, two UTC days, partial first and last hours not missing', () => {
  // File 1: started 20:40 (hour 20 partial), fetches 21..23. File 2: fetches 00..02, stopped 02:30.
  const days = countFiles('rotation-2.LOG', 'rotation-1.LOG'); // any order
  assert.deepEqual(days, [
    { date: '2026-06-13', cycles: 3, missingHours: [], hours: [21, 22, 23] },
    { date: '2026-06-14', cycles: 3, missingHours: [], hours: [0, 1, 2] },
  ]);
});

test('the sample log: 5 cycles, the partial 08:xx start hour is not counted missing', () => {
  const counter = createCycleCounter();
  for (const e of parseMitigationLog(readFileSync(fixture('samples', 'mitigation-service.log'), 'utf8')).entries) counter.add(e);
  assert.deepEqual(counter.days(), [{ date: '2026-06-10', cycles: 5, missingHours: [], hours: [9, 10, 11, 12, 13] }]);
});

test('a day without any line between two logged days reports all 24 hours missing', () => {
  const counter = createCycleCounter();
  counter.add(fetchAt('2026-06-10T23:00:02.000Z'));
  counter.add(otherAt('2026-06-10T23:59:00.000Z'));
  counter.add(fetchAt('2026-06-12T00:00:02.000Z'));
  counter.add(otherAt('2026-06-12T01:30:00.000Z'));
  const days = counter.days();
  assert.deepEqual(days.map((d) => d.date), ['2026-06-10', '2026-06-11', '2026-06-12']);
  assert.deepEqual(days[1], { date: '2026-06-11', cycles: 0, missingHours: Array.from({ length: 24 }, (_, h) => h), hours: [] });
  // 2026-06-12: hour 0 has its fetch, hour 1 is only partly covered (log ends 01:30): nothing missing.
  assert.deepEqual(days[2]!.missingHours, []);
  // 2026-06-10: the log starts at 23:00:02, so hour 23 is partial but holds a cycle anyway.
  assert.deepEqual(days[0], { date: '2026-06-10', cycles: 1, missingHours: [], hours: [23] });
});

test('an hour the log covers wholly without a fetch is missing even at the edges of the span', () => {
  const counter = createCycleCounter();
  counter.add(otherAt('2026-06-10T05:00:00.000Z')); // covered from exactly 05:00
  counter.add(fetchAt('2026-06-10T06:10:00.000Z'));
  counter.add(otherAt('2026-06-10T08:00:00.000Z')); // covered up to exactly 08:00
  assert.deepEqual(counter.days(), [{ date: '2026-06-10', cycles: 1, missingHours: [5, 7], hours: [6] }]);
});

test('entries without a time are ignored; an empty counter has no days', () => {
  const counter = createCycleCounter();
  assert.deepEqual(counter.days(), []);
  counter.add({ ...fetchAt('x'), time: null });
  assert.deepEqual(counter.days(), []);
});

test('property: entries counted in any order (files read in any order) give the same days', () => {
  const all = ['full-day.LOG', 'missing-hours.LOG', 'rotation-1.LOG', 'rotation-2.LOG'].flatMap(
    (file) => parseMitigationLog(readFileSync(fixture('parsers', file), 'utf8')).entries,
  );
  const whole = createCycleCounter();
  for (const entry of all) whole.add(entry);
  assert.ok(whole.days().some((d) => d.missingHours.length > 0), 'the fixtures hold missing hours');
  fc.assert(
    fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
      const counter = createCycleCounter();
      for (const entry of shuffled) counter.add(entry);
      assert.deepEqual(counter.days(), whole.days());
    }),
    { numRuns: 50 },
  );
});

test('hours lists the UTC hours that held a cycle, so a heartbeat grid can be drawn exactly', () => {
  const counter = createCycleCounter();
  counter.add(fetchAt('2026-06-10T00:00:02.000Z'));
  counter.add(fetchAt('2026-06-10T00:40:00.000Z')); // a restart: two cycles in one hour, one hour listed
  counter.add(fetchAt('2026-06-10T23:00:02.000Z'));
  const [day] = counter.days();
  assert.equal(day!.cycles, 3);
  assert.deepEqual(day!.hours, [0, 23]);
  assert.equal(day!.missingHours.length + day!.hours.length, 24, 'a wholly covered day: every hour is either held or missing');
});
