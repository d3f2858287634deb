import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixture } from '../../support/paths.js';
import {
  isWatsonReport,
  parseEventExport,
  parseGetWinEventJson,
  parseWevtutilXml,
  readEventLevel,
} from '../../../main/core/parsers/events.js';

const read = (...parts: string[]) => readFileSync(fixture(...parts), 'utf8');

test('Get-WinEvent JSON of Windows PowerShell 5.1: \\/Date()\\/ times, levels, 4999 kept', () => {
  const { events, skipped, format } = parseEventExport(read('samples', 'events.getwinevent.json'));
  assert.equal(format, 'getwinevent-json');
  assert.equal(skipped, 0);
  assert.deepEqual(events.map((e) => e.eventId), [1001, 1008, 1008, 1005, 1006, 4999]);
  const first1008 = events[1]!;
  assert.equal(first1008.time, '2026-06-10T09:00:12.000Z');
  assert.equal(first1008.level, 'Error');
  assert.equal(first1008.recordId, 884177);
  assert.equal(first1008.machine, 'EX01.contoso.com');
  assert.equal(first1008.provider, 'MSExchange Mitigation Service');
  assert.match(first1008.message, /^An unexpected exception occurred\.\r\nDiagnostic information: /);
  const watson = events[5]!;
  assert.ok(isWatsonReport(watson));
  assert.match(watson.message, /MSExchangeMitigation.*System\.OutOfMemoryException/);
});

test('PowerShell 7: one object instead of an array, ISO time with offset, localised LevelDisplayName', () => {
  const { events, skipped } = parseGetWinEventJson(read('parsers', 'events.pwsh7.json'));
  assert.equal(skipped, 0);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.time, '2026-06-10T09:00:12.447Z');
  assert.equal(events[0]!.level, 'Error');
  assert.equal(events[0]!.machine, 'EX05.contoso.de');
});

test('the ConvertTo-Json -InputObject wrapper and records without a usable time are handled', () => {
  const text = JSON.stringify({
    value: [
      { Id: 1008, Level: 2, RecordId: 5, ProviderName: 'MSExchange Mitigation Service', MachineName: 'EX01', TimeCreated: '/Date(1781082012000)/', Message: 'x' },
      { Id: 1008, Level: 2, RecordId: 6, ProviderName: 'MSExchange Mitigation Service', MachineName: 'EX01', TimeCreated: 'yesterday', Message: 'y' },
    ],
    Count: 2,
  });
  const { events, skipped } = parseGetWinEventJson(text);
  assert.deepEqual(events.map((e) => [e.recordId, e.time]), [[5, '2026-06-10T09:00:12.000Z']]);
  assert.equal(skipped, 1);
});

test('levels from numbers, numeric text and localised names', () => {
  assert.equal(readEventLevel(3), 'Warning');
  assert.equal(readEventLevel('2'), 'Error');
  assert.equal(readEventLevel(null, 'Avertissement'), 'Warning');
  assert.equal(readEventLevel(undefined, 'エラー'), 'Error');
  assert.equal(readEventLevel(undefined, 'Informationen'), 'Information');
  assert.equal(readEventLevel(undefined, 'Something else'), 'Unknown');
});

test('wevtutil XML with a root (the sample): RenderingInfo message, else the Data items', () => {
  const { events, skipped, format } = parseEventExport(read('samples', 'events.wevtutil.xml'));
  assert.equal(format, 'wevtutil-xml');
  assert.equal(skipped, 0);
  assert.deepEqual(events.map((e) => [e.eventId, e.level, e.recordId]), [
    [1008, 'Error', 884177],
    [1005, 'Information', 884301],
    [1001, 'Information', 884102],
  ]);
  assert.equal(events[0]!.time, '2026-06-10T09:00:12.447Z');
  assert.match(events[0]!.message, /^An unexpected exception occurred\.\nDiagnostic information: .*---> System\.Net\.WebException/);
  assert.equal(events[1]!.message, 'M2.1.0\nMitigation of CVE-2026-42897 via a URL Rewrite configuration.');
  assert.deepEqual(events[1]!.data, ['M2.1.0', 'Mitigation of CVE-2026-42897 via a URL Rewrite configuration.']);
});

test('wevtutil XML without a root: broken and truncated records are skipped, other providers ignored', () => {
  const result = parseWevtutilXml(read('parsers', 'events.wevtutil-noroot.xml'));
  assert.deepEqual(result.events.map((e) => [e.eventId, e.provider]), [
    [1008, 'MSExchange Mitigation Service'],
    [4999, 'MSExchange Common'],
  ]);
  assert.match(result.events[0]!.message, /Response xml's signing cert is invalid/);
  assert.match(result.events[1]!.message, /^Watson report about to be sent/);
  assert.equal(result.skipped, 2, 'the record with a mismatched end tag and the cut-off last record');
  assert.equal(result.ignored, 1);
  assert.equal(parseWevtutilXml(read('parsers', 'events.wevtutil-noroot.xml'), { allProviders: true }).events.length, 3);
});

test('a DOCTYPE or ENTITY is refused outright, never expanded', () => {
  const evil = `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="MSExchange Mitigation Service"/><EventID>1008</EventID><Level>2</Level><TimeCreated SystemTime="2026-06-10T09:00:00Z"/><EventRecordID>1</EventRecordID><Computer>EX01</Computer></System><EventData><Data>&x;</Data></EventData></Event>`;
  const result = parseWevtutilXml(evil);
  assert.equal(result.events.length, 0);
  assert.equal(result.skipped, 1);
  assert.match(result.errors?.[0] ?? '', /DOCTYPE/);
});

test('input over the size cap is refused with a sentence saying what to do', () => {
  const result = parseEventExport('[' + ' '.repeat(2000) + ']', { maxBytes: 1000 });
  assert.equal(result.events.length, 0);
  assert.match(result.errors?.[0] ?? '', /larger than .* MB; export a shorter time range/);
});

test('property: arbitrary text, JSON-ish values and XML-ish fragments never throw', () => {
  const jsonish = fc.jsonValue().map((v) => JSON.stringify(v));
  const recordish = fc
    .record({ Id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), TimeCreated: fc.oneof(fc.string(), fc.integer(), fc.constant('/Date(1781082012000)/')), Level: fc.anything(), Message: fc.anything() }, { requiredKeys: [] })
    .map((r) => JSON.stringify([r]));
  const xmlish = fc
    .array(fc.constantFrom('<Event>', '</Event>', '<System>', '</System>', '<EventID>', '1008', '</EventID>', '<Event xmlns="x">', '<![CDATA[', ']]>', '&amp;', '&', '<', '>', '<!--', '-->', '<TimeCreated SystemTime="2026-06-10T09:00:00Z"/>'), { maxLength: 30 })
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string(), jsonish, recordish, xmlish), (text) => {
      const result = parseEventExport(text);
      assert.ok(result.skipped >= 0);
      for (const e of result.events) assert.ok(e.time.endsWith('Z'));
    }),
    { numRuns: 400 },
  );
});
