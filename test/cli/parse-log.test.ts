import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

const run = (args: string[]) => runCli(['parse-log', ...args]);

/** The contracted fields of a day (contracts.md); fields added later (hours) are not the contract. */
const contracted = (day: { date: string; cycles: number; missingHours: number[] } | undefined) =>
  day && { date: day.date, cycles: day.cycles, missingHours: day.missingHours };

test('--json prints exactly the contract document for the sample log', async () => {
  const { code, stdout, stderr } = await run([fixture('samples', 'mitigation-service.log'), '--json']);
  assert.equal(code, 0);
  assert.equal(stderr, '');
  const doc = JSON.parse(stdout) as { entries: Record<string, unknown>[]; days: { date: string; cycles: number; missingHours: number[] }[]; skipped: number };
  assert.equal(doc.entries.length, 30);
  for (const key of ['time', 'server', 'operation', 'level', 'message', 'source']) assert.ok(key in doc.entries[0]!, key);
  assert.deepEqual(doc.days.map(contracted), [{ date: '2026-06-10', cycles: 5, missingHours: [] }]);
  assert.equal(doc.skipped, 0);
});

test('several files (rotation across midnight and a day with missing hours) in one document', async () => {
  const files = ['rotation-1.LOG', 'rotation-2.LOG', 'missing-hours.LOG'].map((f) => fixture('parsers', f));
  const { code, stdout } = await run(['--json', ...files]);
  assert.equal(code, 0);
  const doc = JSON.parse(stdout) as { days: { date: string; cycles: number; missingHours: number[] }[] };
  // Logs of 06-12 and 06-13/14 together: the counter spans them, 06-12 keeps its gaps.
  assert.deepEqual(contracted(doc.days.find((d) => d.date === '2026-06-12')), { date: '2026-06-12', cycles: 20, missingHours: [3, 4, 5, 17] });
  assert.equal(doc.days.find((d) => d.date === '2026-06-14')?.cycles, 3);
});

test('human output: a line per day with cycles and missing hours, then warnings, errors and skipped lines', async () => {
  const { code, stdout } = await run([fixture('parsers', 'missing-hours.LOG'), fixture('parsers', 'no-header-messy.LOG')]);
  assert.equal(code, 0);
  assert.match(stdout, /2026-06-12\s+20 cycles\s+missing hours 03-05, 17/);
  assert.match(stdout, /2026-06-15\s+2 cycles/);
  assert.match(stdout, /Error\s+Exception encountered while fetching mitigations : This XML is not deemed safe .*Response xml's signing cert/);
  assert.match(stdout, /3 lines could not be read and were skipped:/);
  assert.match(stdout, /no-header-messy\.LOG:10 \(truncated\)/);
  assert.doesNotMatch(stdout, /Fetching mitigations from/, 'information lines are not listed');
});

test('a large log read as a stream: CRLF chunks, every cycle counted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-parse-log-'));
  try {
    const lines: string[] = [];
    for (let h = 0; h < 24 * 40; h += 1) {
      const t = new Date(Date.UTC(2026, 5, 1) + h * 3_600_000 + 2031).toISOString();
      lines.push(`${t},EX01,FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations`);
      lines.push(`${t},EX01,DiagnosticData,S:LogLevel=Information;'S:Message=${'padding; '.repeat(40)}'`);
    }
    const file = join(dir, 'MitigationService20260601-1.LOG');
    await writeFile(file, lines.join('\r\n') + '\r\n');
    const { code, stdout } = await run([file, '--json']);
    assert.equal(code, 0);
    const doc = JSON.parse(stdout) as { entries: unknown[]; days: { cycles: number; missingHours: number[] }[]; skipped: number };
    assert.equal(doc.entries.length, lines.length);
    assert.equal(doc.skipped, 0);
    assert.equal(doc.days.length, 40);
    assert.ok(doc.days.every((d) => d.cycles === 24));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('no file or a missing file: one line on stderr, exit 2', async () => {
  for (const args of [[], ['/nonexistent/eems/MitigationService.LOG']]) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(stdout, '');
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(stderr, /\n\s+at /);
  }
  assert.match((await run(['/nonexistent/x.LOG'])).stderr, /cannot read \/nonexistent\/x\.LOG: no such file/);
});

test('terminal control sequences in a log line never reach the terminal; --json keeps them escaped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-parse-log-'));
  try {
    // OSC 52 writes the clipboard, CSI 2J clears the screen, U+009B is the 8-bit CSI.
    const hostile = 'Proxy said \u001b]52;c;cm0gLXJmIH4=\u0007 then \u001b[2J and \u009b31m';
    const file = join(dir, 'MitigationService20260601-1.LOG');
    await writeFile(file, `2026-06-01T09:00:02.031Z,EX01,FetchMitigation,S:LogLevel=Error;S:Message=${hostile}\r\n`);
    const human = await run([file]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /Proxy said \]52;c;cm0gLXJmIH4= then \[2J and 31m/, 'the text is shown, without its control characters');
    // eslint-disable-next-line no-control-regex -- control characters are what this matches
    assert.doesNotMatch(human.stdout, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
    const json = await run([file, '--json']);
    // eslint-disable-next-line no-control-regex -- control characters are what this matches
    assert.doesNotMatch(json.stdout, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
    const doc = JSON.parse(json.stdout) as { entries: { message: string }[] };
    assert.equal(doc.entries[0]?.message, hostile, 'the JSON document keeps every character, escaped');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an empty or binary file is refused like diagnose refuses it, and the MitigationService folder is read whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-parse-log-'));
  try {
    await writeFile(join(dir, 'empty.log'), '');
    const empty = await run([join(dir, 'empty.log')]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /empty\.log is empty: nothing to read\. Give a Mitigation Service log/);
    // A PNG header and 4 KB of bytes of every value: what a wrong file picked in a dialog looks like.
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + (i >> 8)) % 256));
    await writeFile(join(dir, 'image.bin'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes]));
    const binary = await run([join(dir, 'image.bin')]);
    assert.equal(binary.code, 2);
    assert.match(binary.stderr, /image\.bin is not a text file/);

    const folder = join(dir, 'MitigationService');
    await mkdir(folder);
    const line = (h: number) => `2026-06-01T${String(h).padStart(2, '0')}:00:02.031Z,EX01,FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations`;
    await writeFile(join(folder, 'Mitigation-Service_20260601-1.log'), [0, 1, 2].map(line).join('\r\n') + '\r\n');
    await writeFile(join(folder, 'Mitigation-Service_20260601-2.LOG'), [3, 4].map(line).join('\r\n') + '\r\n');
    await writeFile(join(folder, 'notes.txt'), 'not a log');
    const whole = await run([folder, '--json']);
    assert.equal(whole.code, 0, whole.stderr);
    const doc = JSON.parse(whole.stdout) as { days: { date: string; cycles: number }[] };
    assert.deepEqual(doc.days.map((d) => [d.date, d.cycles]), [['2026-06-01', 5]]);
    await mkdir(join(dir, 'elsewhere'));
    await writeFile(join(dir, 'elsewhere', 'notes.txt'), 'not a log');
    const none = await run([join(dir, 'elsewhere')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /holds no \.log files\. Give the MitigationService log folder/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
