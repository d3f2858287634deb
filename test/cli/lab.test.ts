import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const run = (args: string[]) => runCli(args);

async function temp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eems-lab-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('lab init --json prints one summary document of the demo organisation', async (t) => {
  const dir = join(await temp(t), 'lab');
  const result = await run(['lab', 'init', dir, '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const summary = JSON.parse(result.stdout) as { scenario: string; now: string; organization: { MitigationsEnabled: boolean }; servers: { name: string; build: string; faults: { fetch: string | null } }[] };
  assert.equal(summary.scenario, 'demo');
  assert.equal(summary.now, '2026-06-15T08:00:00.000Z');
  assert.equal(summary.organization.MitigationsEnabled, false);
  assert.deepEqual(summary.servers.map((s) => s.name), ['EX01', 'EX02', 'EX03', 'EX04', 'EX05', 'EX16-LEGACY']);
  assert.equal(summary.servers.find((s) => s.name === 'EX16-LEGACY')!.faults.fetch, 'signing-cert');
});

test('lab advance says what happened, in words', async (t) => {
  const dir = join(await temp(t), 'lab');
  assert.equal((await run(['lab', 'init', dir, '--scenario', 'demo', '--start', '2026-06-20T00:00:00Z'])).code, 0);
  const result = await run(['lab', 'advance', dir, '--hours', '31']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /the lab clock is now 2026-06-21T07:00:00\.000Z \(hour 31\)/);
  assert.match(result.stdout, /^EX16-LEGACY: 31 fetches failed \(signing certificate not accepted\)$/m);
  assert.match(result.stdout, /^EX05: service not running, no EEMS cycle$/m);
  assert.match(result.stdout, /^EX04: Exchange 2019 CU14 Jul26SU installed \(15\.2\.1544\.43\)$/m);
  assert.match(result.stdout, /^EX03: the service crashed \(4999 Watson report, System\.OutOfMemoryException\)$/m);
  const json = await run(['lab', 'advance', dir, '--hours', '1', '--json']);
  const doc = JSON.parse(json.stdout) as { hour: number; advanced: { hours: number; servers: { server: string; cycles: number }[] } };
  assert.equal(doc.hour, 32);
  assert.equal(doc.advanced.servers.find((s) => s.server === 'EX01')!.cycles, 1);
});

test('lab fault switches a fault and the next advance shows it', async (t) => {
  const dir = join(await temp(t), 'lab');
  await run(['lab', 'init', dir, '--scenario', 'quiet', '--servers', '2']);
  const set = await run(['lab', 'fault', dir, '--set', 'fetch-fail', '--server', 'EX02', '--code', 'proxy']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /EX02: fetches now fail \(proxy refused the request\)/);
  const result = await run(['lab', 'advance', dir, '--hours', '2']);
  assert.match(result.stdout, /^EX02: 2 fetches failed \(proxy refused the request\)$/m);
  assert.match(result.stdout, /^EX01: 2 cycle\(s\), nothing changed$/m);
});

test('bad input: one line on stderr, exit 2, no stack trace', async (t) => {
  const base = await temp(t);
  const cases: [string[], RegExp][] = [
    [['lab', 'init', join(base, 'a'), '--scenario', 'nope'], /Unknown scenario 'nope'\. Known scenarios: demo, quiet, lifecycle, faults, large\./],
    [['lab', 'advance', base, '--hours', '3'], /is not a lab folder \(no lab\.json\)\. Create one with: eems-watch lab init/],
    [['lab', 'advance', base], /needs --hours N/],
    [['lab', 'init'], /needs the lab folder/],
    [['lab', 'init', join(base, 'b'), '--start', 'yesterday'], /--start is not a valid ISO 8601 time/],
    [['lab', 'init', join(base, 'c'), '--scenario', 'demo', '--servers', '9'], /fixed set of servers/],
    [['lab', 'fault', base, '--set', 'explode'], /unknown fault 'explode'/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
  await run(['lab', 'init', join(base, 'd'), '--scenario', 'quiet']);
  const hours = await run(['lab', 'advance', join(base, 'd'), '--hours', 'many']);
  assert.equal(hours.code, 2);
  assert.match(hours.stderr, /--hours must be a whole number/);
});
