import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixture } from '../../support/paths.js';
import {
  createMitigationLogParser,
  type ParserWork,
  isFetchCycleStart,
  parseMitigationLog,
} from '../../../main/core/parsers/mitigation-log.js';
import type { LogEntry } from '../../../main/core/model.js';
import { type LogColumns, POSITIONAL_COLUMNS, parseCommonLineAt, parseLogLine, parseLogLineGeneral } from '../../../main/core/parsers/log-line.js';
import { assertLinearWork } from '../../support/linearity.js';

const read = (...parts: string[]) => readFileSync(fixture(...parts), 'utf8');
const URL = 'https://officeclient.microsoft.com/getexchangemitigations';

test('the sample log: every line read, header columns used, quoted message unescaped', () => {
  const { entries, skipped } = parseMitigationLog(read('samples', 'mitigation-service.log'));
  assert.equal(skipped, 0);
  assert.equal(entries.length, 30);
  assert.deepEqual(entries[0], {
    time: '2026-06-10T08:50:01.612Z',
    server: 'EX01',
    operation: 'Startup',
    level: 'Information',
    message: 'Started MSExchangeMitigation',
    source: null,
    line: 6,
  });
  const notSafe = entries.find((e) => e.message.includes('not deemed safe'));
  assert.ok(notSafe);
  assert.equal(notSafe.level, 'Error');
  assert.equal(notSafe.operation, 'FetchMitigation');
  assert.match(notSafe.message, /Response xml's signing cert is invalid or not from microsoft$/);
  assert.equal(notSafe.source, 'Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine');
  // An unquoted message keeps its commas (Configs: PING1,M2).
  assert.ok(entries.some((e) => e.message === 'Mitigation XML received and signature validated. Configs: PING1,M2'));
  assert.equal(entries.filter(isFetchCycleStart).length, 5);
});

test('no header, BOM, CRLF, blank and garbage lines, quoted pairs and a truncated last line', () => {
  const { entries, skipped, skippedLines } = parseMitigationLog(read('parsers', 'no-header-messy.LOG'));
  assert.equal(entries.length, 5);
  assert.equal(entries[0]!.time, '2026-06-15T09:00:02.031Z', 'the BOM must not hide the first time stamp');
  assert.equal(entries[0]!.server, 'EX03');
  assert.equal(entries[0]!.operation, 'FetchMitigation');
  assert.equal(entries[1]!.level, 'Warning');
  assert.equal(entries[1]!.message, "Proxy said: '407; auth required', retry, later");
  assert.equal(entries[3]!.message, `Fetching mitigations from ${URL}`, 'an unknown pair (S:Extra) is not glued to the message');
  assert.ok(entries.every((e) => !e.message.includes('\r')));
  // Garbage lines and the cut-off last line are counted, blank lines are not.
  assert.equal(skipped, 3);
  assert.deepEqual(
    skippedLines.map((s) => [s.line, s.reason]),
    [
      [4, 'no-custom-data'],
      [7, 'no-custom-data'],
      [10, 'truncated'],
    ],
  );
});

test('a #Fields: header with unknown extra columns puts server and operation where it says', () => {
  const { entries, skipped } = parseMitigationLog(read('parsers', 'extra-columns.LOG'));
  assert.equal(skipped, 0);
  assert.deepEqual(
    entries.map((e) => [e.time, e.server, e.operation, e.level]),
    [
      ['2026-06-16T09:00:02.031Z', 'EX04', 'FetchMitigation', 'Information'],
      ['2026-06-16T09:00:02.877Z', 'EX04', 'FetchMitigation', 'Warning'],
    ],
  );
});

test('the BLOG-2025-01 tail alone (operation + custom data, no time) still gives an entry', () => {
  const { entries, skipped } = parseMitigationLog('FetchMitigation,S:LogLevel=Warning;S:Message=Connection attempted against untrusted endpoint\n');
  assert.equal(skipped, 0);
  assert.deepEqual(entries[0], {
    time: null,
    server: null,
    operation: 'FetchMitigation',
    level: 'Warning',
    message: 'Connection attempted against untrusted endpoint',
    source: null,
    line: 1,
  });
});

test('times are normalised to ISO UTC; impossible dates become null, not a moved day', () => {
  const line = (t: string) => `${t},EX01,FetchMitigation,S:LogLevel=Information;S:Message=x\n`;
  const times = ['2026-06-10 09:00:02', '2026-06-10T11:00:02.1234567+02:00', '2026-02-31T09:00:00.000Z', '2026-13-01T00:00:00Z']
    .map((t) => parseMitigationLog(line(t)).entries[0]!.time);
  assert.deepEqual(times, ['2026-06-10T09:00:02.000Z', '2026-06-10T09:00:02.123Z', null, null]);
});

test('a semicolon in an unquoted message stays in the message; a CSV-quoted field is unwrapped', () => {
  const a = parseMitigationLog('2026-06-10T09:00:00.000Z,EX01,Op,S:LogLevel=Error;S:Message=a; b;c;S:Source=X.Y\n').entries[0]!;
  assert.equal(a.message, 'a; b;c');
  assert.equal(a.source, 'X.Y');
  const b = parseMitigationLog('2026-06-10T09:00:00.000Z,EX01,Op,"S:LogLevel=Error;S:Message=say ""hi"", then go"\n').entries[0]!;
  assert.equal(b.operation, 'Op');
  assert.equal(b.message, 'say "hi", then go');
});

test('a line past maxLineLength is skipped as too-long and the next line is read', () => {
  const parser = createMitigationLogParser({ maxLineLength: 100 });
  const long = `2026-06-10T09:00:00.000Z,EX01,Op,S:LogLevel=Information;S:Message=${'x'.repeat(500)}`;
  const entries: LogEntry[] = [];
  for (let i = 0; i < long.length; i += 37) entries.push(...parser.push(long.slice(i, i + 37)));
  entries.push(...parser.push('\n2026-06-10T09:00:01.000Z,EX01,Op,S:LogLevel=Information;S:Message=ok\n'), ...parser.end());
  assert.equal(parser.skipped, 1);
  assert.equal(parser.skippedLines[0]!.reason, 'too-long');
  assert.deepEqual(entries.map((e) => [e.message, e.line]), [['ok', 2]]);
});

/** Parse `text` pushed in the pieces cut at `cuts`. */
function parseInPieces(text: string, cuts: number[]): { entries: LogEntry[]; skipped: number } {
  const parser = createMitigationLogParser();
  const entries: LogEntry[] = [];
  let last = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    entries.push(...parser.push(text.slice(last, cut)));
    last = cut;
  }
  entries.push(...parser.push(text.slice(last)), ...parser.end());
  return { entries, skipped: parser.skipped };
}

test('property: the result does not depend on where the chunks are cut (inside CRLF, quotes, BOM)', () => {
  const texts = [read('samples', 'mitigation-service.log'), read('parsers', 'no-header-messy.LOG'), read('parsers', 'missing-hours.LOG')];
  for (const text of texts) {
    const whole = parseMitigationLog(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 40 }), (cuts) => {
        assert.deepEqual(parseInPieces(text, cuts), { entries: whole.entries, skipped: whole.skipped });
      }),
      { numRuns: 150 },
    );
  }
  // Every single cut position of the messy file, including between \r and \n.
  const messy = texts[1]!;
  const whole = parseMitigationLog(messy);
  for (let i = 0; i <= messy.length; i += 1) assert.deepEqual(parseInPieces(messy, [i]).entries, whole.entries);
});

test('property: arbitrary text and log-like fragments never throw, and every entry is well formed', () => {
  const fragment = fc.constantFrom('S:LogLevel=', 'S:Message=', 'S:Source=', "'", "''", ';', ',', '"', '\r', '\n', '\r\n', '#Fields: ', 'DateTime', '\ufeff', '2026-06-10T09:00:00.000Z', 'EX01', 'Error', '\u0000');
  const logish = fc.array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 60 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(fc.oneof(logish, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
      const { entries, skipped } = parseMitigationLog(text);
      assert.ok(skipped >= 0);
      for (const e of entries) {
        assert.ok(['Information', 'Warning', 'Error', 'Unknown'].includes(e.level));
        assert.equal(typeof e.message, 'string');
        assert.ok(e.time === null || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time));
      }
    }),
    { numRuns: 500 },
  );
});

test('property: bytes decoded as UTF-8 (invalid sequences included) never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      parseMitigationLog(Buffer.from(bytes).toString('utf8'));
    }),
    { numRuns: 300 },
  );
});

/** The total a parser's work counter holds. */
function total(work: ParserWork): number {
  return work.scanned + work.copied + work.lineCharacters;
}

test('work stays linear in input size, also for one long line pushed a character at a time (counted, not timed)', async () => {
  const block = read('samples', 'mitigation-service.log');
  await assertLinearWork((copies) => {
    const text = block.repeat(copies);
    const work: ParserWork = { scanned: 0, copied: 0, lineCharacters: 0 };
    const parser = createMitigationLogParser({ work });
    for (let i = 0; i < text.length; i += 65536) parser.push(text.slice(i, i + 65536));
    parser.end();
    return total(work);
  }, 100, 'lines in 64 KiB chunks', { units: (copies) => block.length * copies, max: 5 });
  // A single line pushed one character at a time: the worst case for the pending buffer.
  const line = `2026-06-10T09:00:00.000Z,EX01,Op,S:LogLevel=Information;S:Message=${'y'.repeat(900000)}`;
  await assertLinearWork((n) => {
    const work: ParserWork = { scanned: 0, copied: 0, lineCharacters: 0 };
    const parser = createMitigationLogParser({ work });
    for (let i = 0; i < n; i += 1) parser.push(line[i]!);
    parser.push('\n');
    return total(work);
  }, 100000, 'characters pushed one by one', { units: (n) => n, max: 4 });
});

test('property: the fast path for common lines gives exactly what the general reader gives', () => {
  // Lines built near the common shape, each part sometimes bent: impossible or odd times, ':' or
  // quotes in the server, empty columns, ';' in the message, an extra pair, a quoted message.
  const time = fc.constantFrom(
    '2026-06-10T09:00:02.031Z', '2026-02-28T23:59:59.999Z', '2024-02-29T00:00:00.000Z', '2026-02-29T00:00:00.000Z',
    '2026-04-31T10:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-06-10T24:00:00.000Z', '2026-06-10T09:60:00.000Z',
    '2026-06-10T09:00:60.000Z', '2026-06-10 09:00:02.031Z', '2026-06-10T09:00:02.031+', '0099-12-31T00:00:00.000Z', '2026,06-10T09:00:02.031Z',
  );
  const field = fc.oneof(fc.constantFrom('EX01', '', 'S:LogLevel=Error', "EX'01", 'EX"01', 'a:b', 'FetchMitigation', 'S:Message=x'), fc.string({ maxLength: 6 }));
  const level = fc.constantFrom('Information', 'Warning', 'Error', 'information', ' Warn', 'Critical', '', 'x;y');
  const text = fc.oneof(
    fc.constantFrom(`Fetching mitigations from ${URL}`, 'a; b;c', '', "xml''s", 'S:Source=', ';S:Source=X', ';S:Source=X;Y', ';S:Extra=1', ";'S:Source=X'"),
    fc.string({ maxLength: 30 }),
  );
  const line = fc
    .tuple(time, field, field, level, text, fc.oneof(fc.constant(''), text.map((t) => `;S:Source=${t}`)), fc.constantFrom('', "'", 'S:Message=', ','))
    .map(([t, server, op, lv, message, source, twist]) => `${t},${server},${op},${twist === ',' ? ',' : ''}S:LogLevel=${lv};${twist === "'" ? "'" : ''}S:Message=${message}${source}${twist === 'S:Message=' ? twist : ''}`);
  const columns = fc.constantFrom<LogColumns>(POSITIONAL_COLUMNS, { time: 0, server: 1, operation: 2 }, { time: -1, server: -1, operation: -1 }, { time: 1, server: 0, operation: 2 }, { time: 0, server: -1, operation: 2 });
  const scratch = new Int32Array(64);
  // Read in place inside a chunk: what follows the line (the next line's commas, ';', typed keys)
  // must not leak into it.
  const around = fc.constantFrom('', '\r\n', '\n', ';S:Source=Y', ',x,y,S:LogLevel=Error;S:Message=z', ':;,', "'S:Message=q'", '\r');
  fc.assert(
    fc.property(line, columns, around, around, (text, cols, before, after) => {
      const want = parseLogLineGeneral(text, 7, cols, scratch);
      assert.deepEqual(parseLogLine(text, 7, cols, scratch), want);
      const prefix = before.length > 0 ? `${before}\n` : '';
      const chunk = `${prefix}${text}\r\n${after}`;
      const inPlace = parseCommonLineAt(chunk, prefix.length, prefix.length + text.length, 7, cols);
      if (inPlace !== null) assert.deepEqual(inPlace, want);
    }),
    { numRuns: 3000 },
  );
  // And every line of the fixtures.
  for (const name of ['no-header-messy.LOG', 'extra-columns.LOG', 'full-day.LOG', 'missing-hours.LOG', 'rotation-1.LOG', 'rotation-2.LOG']) {
    for (const text of read('parsers', name).replace(/^\ufeff/, '').split(/\r?\n/)) {
      if (text.length === 0 || text.startsWith('#')) continue;
      assert.deepEqual(parseLogLine(text, 1, POSITIONAL_COLUMNS, scratch), parseLogLineGeneral(text, 1, POSITIONAL_COLUMNS, scratch), text);
    }
  }
});

test('a parser can start with the columns of a header read earlier, and tells the columns it ends with', () => {
  const line = 'EX05,2026-06-10T09:00:00.000Z,Op,S:LogLevel=Error;S:Message=x\n';
  const parser = createMitigationLogParser({ columns: { time: 1, server: 0, operation: 2 } });
  const [entry] = parser.push(line);
  assert.equal(entry?.server, 'EX05');
  assert.equal(entry?.time, '2026-06-10T09:00:00.000Z');
  parser.push('#Fields: DateTime,ServerName,Component,CustomData\n');
  assert.deepEqual(parser.columns, { time: 0, server: 1, operation: 2 });
  assert.equal(createMitigationLogParser().push(line)[0]?.server, '2026-06-10T09:00:00.000Z', 'by position, the second column is the server');
});

test('a custom-data field quoted as a whole (not pair by pair) still gives its level, message and source', () => {
  const { entries, skipped } = parseMitigationLog(
    "2026-06-10T11:00:03.402Z,EX01,FetchMitigation,'S:LogLevel=Error;S:Message=This XML is not deemed safe to consume since Response xml''s signing cert is invalid or not from microsoft;S:Source=Microsoft.Exchange.Mitigation.Service'\r\n" +
      "2026-06-10T11:00:04.000Z,EX01,FetchMitigation,'S:Message=a; S:LogLevel=Error stays text'\r\n",
  );
  assert.equal(skipped, 0);
  assert.deepEqual(
    entries.map((e) => [e.level, e.message, e.source]),
    [
      ['Error', "This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft", 'Microsoft.Exchange.Mitigation.Service'],
      ['Unknown', 'a; S:LogLevel=Error stays text', null],
    ],
  );
});
