import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { fixture } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';
import { type EntrySelection, type ReaderWork, readMitigationLogFile } from '../../main/engine/log-file-reader.js';
import { createCycleCounter } from '../../main/core/log-cycles.js';
import { parseMitigationLog } from '../../main/core/parsers/mitigation-log.js';
import type { LogEntry } from '../../main/core/model.js';
import { assertLinearWork } from '../support/linearity.js';

const URL = 'https://officeclient.microsoft.com/getexchangemitigations';
const FIXTURES = [
  fixture('samples', 'mitigation-service.log'),
  ...['no-header-messy.LOG', 'extra-columns.LOG', 'full-day.LOG', 'missing-hours.LOG', 'rotation-1.LOG', 'rotation-2.LOG'].map((f) => fixture('parsers', f)),
];

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir('log-reader', fn);

/** Read a file with the reader; everything it reports, entries in the order they arrived. */
async function readAll(file: string, options: { select?: EntrySelection; chunkBytes?: number } = {}) {
  const counter = createCycleCounter();
  const entries: LogEntry[] = [];
  const result = await readMitigationLogFile(file, { select: 'all', ...options, counter, onEntries: (batch) => entries.push(...batch) });
  return { ...result, entries, days: counter.days() };
}

/** What the string parser gives for the same bytes (the reference). */
function reference(bytes: Buffer) {
  const parsed = parseMitigationLog(bytes.toString('utf8'));
  const counter = createCycleCounter();
  for (const entry of parsed.entries) counter.add(entry);
  return { entries: parsed.entries, skipped: parsed.skipped, skippedLines: parsed.skippedLines, days: counter.days() };
}

test('every fixture: the file reader gives exactly what the string parser gives (entries, lines, skipped, cycles)', async () => {
  for (const file of FIXTURES) {
    const want = reference(readFileSync(file));
    const got = await readAll(file);
    assert.deepEqual(got.entries, want.entries, file);
    assert.equal(got.skipped, want.skipped, file);
    assert.deepEqual(got.skippedLines, want.skippedLines, file);
    assert.deepEqual(got.days, want.days, file);
  }
});

test('select: problems hands over only warnings and errors, none hands over nothing; all are still counted', async () => {
  const file = fixture('samples', 'mitigation-service.log');
  const all = await readAll(file);
  const problems = await readAll(file, { select: 'problems' });
  const none = await readAll(file, { select: 'none' });
  assert.deepEqual(problems.entries, all.entries.filter((e) => e.level === 'Warning' || e.level === 'Error'));
  assert.ok(problems.entries.length > 0);
  assert.deepEqual(none.entries, []);
  for (const r of [problems, none]) {
    assert.equal(r.lines, all.lines);
    assert.deepEqual(r.days, all.days);
  }
  assert.equal(all.entries.length, 30);
});

// Log-like pieces as bytes: multi-byte UTF-8 (2, 3 and 4 bytes), invalid bytes, CR, LF, BOM, quotes.
const pieces = [
  'S:LogLevel=', 'S:Message=', 'S:Source=', "'", "''", ';', ',', '"', '\r', '\n', '\r\n', '#Fields: ServerName,DateTime,Component,CustomData\r\n',
  '#Fields: DateTime,ServerName,Component,CustomData\r\n', '\ufeff', 'Grüße ', '漢字', '😀', 'Error', 'EX01',
  `2026-06-10T09:00:02.031Z,EX01,FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from ${URL}\r\n`,
  `2026-06-10T10:00:12.447Z,EX01,FetchMitigation,S:LogLevel=Error;S:Message=Exception encountered; Grüße;S:Source=Microsoft.Exchange\r\n`,
].map((p) => Buffer.from(p, 'utf8'));
const logBytes = fc
  .array(fc.oneof(fc.constantFrom(...pieces), fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b))), { maxLength: 50 })
  .map((parts) => Buffer.concat(parts));

test('property: any bytes, read in chunks of any size (cutting UTF-8 sequences and CRLF), give the string parser\'s result', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'random.LOG');
    await fc.assert(
      fc.asyncProperty(logBytes, fc.integer({ min: 1, max: 40 }), async (bytes, chunkBytes) => {
        await writeFile(file, bytes);
        const want = reference(bytes);
        const got = await readAll(file, { chunkBytes });
        assert.deepEqual(got.entries, want.entries);
        assert.equal(got.skipped, want.skipped);
        assert.deepEqual(got.skippedLines, want.skippedLines);
        assert.deepEqual(got.days, want.days);
      }),
      { numRuns: 200 },
    );
  });
});

/** A log of `hours` hourly cycles (the shapes of a real server, quoted lines and a non-ASCII one included). */
function makeLog(hours: number, fieldsMidway?: { atHour: number; header: string; line: (t: string) => string }): string {
  const lines = ['#Software: Microsoft Exchange Server', '#Fields: DateTime,ServerName,Component,CustomData'];
  for (let h = 0; h < hours; h += 1) {
    const t = (ms: number) => new Date(Date.UTC(2026, 5, 1) + h * 3_600_000 + ms).toISOString();
    if (fieldsMidway && h === fieldsMidway.atHour) lines.push(fieldsMidway.header);
    if (fieldsMidway && h >= fieldsMidway.atHour) {
      lines.push(fieldsMidway.line(t(2031)));
      continue;
    }
    if (h % 7 === 3) continue; // a missed hour now and then
    lines.push(`${t(2031)},EX01,FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from ${URL}`);
    lines.push(`${t(3402)},EX01,FetchMitigation,S:LogLevel=Error;'S:Message=This XML is not deemed safe: xml''s cert';S:Source=Microsoft.Exchange.Mitigation`);
    lines.push(`${t(3500)},EX01,FetchMitigation,S:LogLevel=Warning;S:Message=Proxy für EX01 antwortet nicht`);
    if (h % 11 === 5) lines.push('not a log line');
  }
  return `${lines.join('\r\n')}\r\n2026-06-30T00:00:00.000Z,EX01,FetchMitigation,S:LogLevel=Error;'S:Message=cut`;
}

test('a 20-day log read in 1 MiB blocks: the same entries, line numbers, skipped lines and cycles as the string parser', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'MitigationService.LOG');
    const text = makeLog(24 * 20);
    await writeFile(file, text);
    const want = reference(Buffer.from(text, 'utf8'));
    const got = await readAll(file);
    assert.ok(got.entries.length > 1000);
    assert.deepEqual(got.entries, want.entries);
    assert.deepEqual(got.days, want.days);
    assert.equal(got.skipped, want.skipped);
    // More skipped lines than samples kept: the samples are the first 20 of the file, in order.
    assert.ok(got.skipped > 20);
    assert.equal(got.skippedLines.length, 20);
    assert.ok(got.skippedLines.every((s, i) => i === 0 || s.line > got.skippedLines[i - 1]!.line));
  });
});

test('a #Fields: header part-way through a file changes how the following lines are read', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'MitigationService.LOG');
    // From hour 200 on the server writes ServerName first.
    const text = makeLog(24 * 40, {
      atHour: 200,
      header: '#Fields: ServerName,DateTime,Component,CustomData',
      line: (t) => `EX02,${t},FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from ${URL}`,
    });
    await writeFile(file, text);
    const want = reference(Buffer.from(text, 'utf8'));
    assert.ok(want.entries.filter((e) => e.server === 'EX02').length > 150);
    const got = await readAll(file);
    assert.deepEqual(got.entries, want.entries);
    assert.deepEqual(got.days, want.days);
    assert.equal(got.skipped, want.skipped);
  });
});

test('a file that cannot be read rejects with the fs error (parse-log turns it into one line)', async () => {
  await assert.rejects(readAll('/nonexistent/eems/MitigationService.LOG'), { code: 'ENOENT' });
});

test('work stays linear in file size: bytes read and characters parsed (counted, not timed)', async () => {
  await withDir(async (dir) => {
    const block = readFileSync(fixture('samples', 'mitigation-service.log'), 'utf8');
    for (const copies of [150, 1200]) await writeFile(join(dir, `${copies}.LOG`), block.repeat(copies));
    await assertLinearWork(async (copies) => {
      const work: ReaderWork = { bytesRead: 0, scanned: 0, copied: 0, lineCharacters: 0 };
      await readMitigationLogFile(join(dir, `${copies}.LOG`), { select: 'none', work, chunkBytes: 4096 });
      assert.equal(work.bytesRead, Buffer.byteLength(block) * copies, 'every byte read once');
      return work.bytesRead + work.scanned + work.copied + work.lineCharacters;
    }, 150, 'log file read', { units: (copies) => Buffer.byteLength(block) * copies, max: 6 });
  });
});
