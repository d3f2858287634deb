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
  assert.deepEqual(summary.servers.map((s) => s.name), ['EX01', 'EX02', 'EX03', 'EX04', 'EX05', 'EX06', 'EX07', 'EX16-LEGACY']);
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

test('a damaged or missing lab file is named in the error, with what is wrong and what to do, by lab advance and poll alike', async (t) => {
  const { writeFile, rm: remove } = await import('node:fs/promises');
  const root = await temp(t);
  const cases: { name: string; damage: (dir: string) => Promise<void>; file: string; problem: RegExp }[] = [
    { name: 'state.json not JSON', damage: (d) => writeFile(join(d, 'state.json'), '{"collectedAt": "2026-'), file: 'state.json', problem: /is damaged: it is not a JSON document/ },
    { name: 'state.json null', damage: (d) => writeFile(join(d, 'state.json'), 'null'), file: 'state.json', problem: /is damaged/ },
    { name: 'state.json without servers', damage: (d) => writeFile(join(d, 'state.json'), '{"collectedAt":"2026-06-15T08:00:00Z","organization":{}}'), file: 'state.json', problem: /has no "servers" list/ },
    { name: 'state.json missing', damage: (d) => remove(join(d, 'state.json')), file: 'state.json', problem: /is missing/ },
    { name: 'lab.json not JSON', damage: (d) => writeFile(join(d, 'lab.json'), '\u0000\u0001garbage'), file: 'lab.json', problem: /is damaged/ },
  ];
  for (const c of cases) {
    const dir = join(root, c.name.replace(/\W+/g, '-'));
    assert.equal((await run(['lab', 'init', dir])).code, 0);
    await c.damage(dir);
    const expectFile = new RegExp(`The lab file ${join(dir, c.file).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} `);
    for (const [args, code] of [[['lab', 'advance', dir, '--hours', '1'], 2], [['poll', '--once', '--lab', dir, '--json', '--data', join(root, `${c.name}-data`)], 3]] as const) {
      const result = await run([...args]);
      assert.equal(result.code, code, `${c.name}: ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expectFile, `${c.name}: ${args.join(' ')} names the file`);
      assert.match(result.stderr, c.problem, `${c.name}: says what is wrong`);
      assert.match(result.stderr, /eems-watch lab init NEW-FOLDER/, `${c.name}: says what to do`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  }
});

test('a broken line in a server\'s events file is named with its file and byte offset when the lab host reads events', async (t) => {
  const { appendFile } = await import('node:fs/promises');
  const { createLabHost } = await import('../../main/lab/index.js');
  const dir = join(await temp(t), 'lab');
  assert.equal((await run(['lab', 'init', dir])).code, 0);
  const file = join(dir, 'servers', 'EX01', 'events.jsonl');
  await appendFile(file, '{"recordId": 1, broken\n');
  const host = await createLabHost(dir);
  try {
    await assert.rejects(host.events('EX01', 0), (error: Error) => error.message.startsWith(`The lab file ${file} is damaged at byte 0: a line is not a JSON event`) && /eems-watch lab init NEW-FOLDER/.test(error.message));
    assert.deepEqual(await host.events('EX02', 0), [], 'the other servers are still read');
  } finally {
    host.close();
  }
});
