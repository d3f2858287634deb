import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

const run = (args: string[]) => runCli(['stale', ...args]);

function assertOneLineError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('stale --json on the contracts.md example prints exactly the contract document', async () => {
  const r = await run(['--state', fixture('kb', 'contracts-example.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { servers: { name: string; build: string; mitigations: Record<string, unknown>[] }[] };
  assert.equal(doc.servers.length, 1);
  assert.deepEqual([doc.servers[0]!.name, doc.servers[0]!.build], ['EX01', '15.2.1748.46']);
  for (const m of doc.servers[0]!.mitigations) {
    // contracts.md 2026-12-01: removableFrom, sources and disagreement added, nothing else.
    assert.deepEqual(Object.keys(m).sort(), ['artefacts', 'disagreement', 'family', 'fixedIn', 'id', 'reason', 'removable', 'removableFrom', 'sources', 'verdict']);
    for (const s of m.sources as Record<string, unknown>[]) for (const key of ['what', 'build', 'source', 'date']) assert.ok(key in s, key);
  }
  assert.deepEqual(
    doc.servers[0]!.mitigations.map((m) => [m.id, m.verdict, m.removable, m.fixedIn, m.removableFrom]),
    [['PING1', 'heartbeat', false, null, null], ['M2.1.0', 'active', false, '15.2.1748.46', '15.2.1748.48']],
  );
  const m2 = doc.servers[0]!.mitigations[1]!;
  assert.match(String(m2.reason), /fix installed \(Jun26SU\); Microsoft advises keeping M2 until Jul26SU/);
  assert.match(String(m2.disagreement), /Sources differ/);
});

test('stale --json covers all six verdicts on the every-verdict state file', async () => {
  const r = await run(['--json', '--state', fixture('kb', 'every-verdict.json')]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { servers: { mitigations: { verdict: string }[] }[] };
  const verdicts = new Set(doc.servers.flatMap((s) => s.mitigations.map((m) => m.verdict)));
  assert.deepEqual([...verdicts].sort(), ['active', 'blocked', 'heartbeat', 'orphan-artefact', 'orphan-unfixed', 'stale-applied']);
});

test('stale prints a readable table per server, with the reason under each row', async () => {
  const r = await run(['--state', fixture('kb', 'every-verdict.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^EX-ACTIVE {2}15\.2\.1748\.43 {2}Exchange 2019 CU15 Feb26SU$/m);
  assert.match(r.stdout, /^ {2}ID +VERDICT +REMOVABLE +FIXED IN +REMOVABLE FROM +ARTEFACTS$/m);
  assert.match(r.stdout, /^ {2}M2\.1\.0 +stale-applied +yes +15\.2\.1544\.41 +15\.2\.1544\.43 +EEMS M2\.1 OWA CSP - outbound, EEMS M2\.1 OWA SPA HTML shell - precondition$/m);
  assert.match(r.stdout, /^ {6}M2\.1\.0 is still in MitigationsApplied although/m);
  assert.match(r.stdout, /^EX-DOWN {2}build unknown\n {2}Could not be read: Connecting to remote server/m);
  assert.match(r.stdout, /Note: Only the CU is known/);
  assert.doesNotMatch(r.stdout, /^\{/);
});

test('a state file with a bad field: exit 2, one line naming the field', async () => {
  assertOneLineError(await run(['--state', fixture('kb', 'bad-state.json')]), /servers\[0\]\.MitigationsApplied: expected array/);
  assertOneLineError(await run(['--state', fixture('kb', 'bad-state.json'), '--json']), /servers\[0\]\.MitigationsApplied/);
});

test('missing file, a folder, broken JSON, no --state, unknown option: exit 2, one line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-stale-'));
  try {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "servers": [ ');
    assertOneLineError(await run(['--state', join(dir, 'nope.json')]), /cannot read the state file .*nope\.json: no such file/);
    assertOneLineError(await run(['--state', dir]), /cannot read the state file .*: it is a folder/);
    assertOneLineError(await run(['--state', broken]), /is not valid JSON/);
    assertOneLineError(await run([]), /--state FILE is required/);
    assertOneLineError(await run(['--state', broken, '--frobnicate']), /frobnicate/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--knowledge merges an override: a mitigation the shipped catalogue lacks is judged', async () => {
  const without = JSON.parse((await run(['--state', fixture('kb', 'pool-service.json'), '--json'])).stdout);
  assert.deepEqual(without.servers[0].mitigations.map((m: { id: string }) => m.id), ['PING1']);
  const r = await run(['--state', fixture('kb', 'pool-service.json'), '--knowledge', fixture('kb', 'overrides', 'good.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const m9 = doc.servers[0].mitigations.find((m: { family: string }) => m.family === 'M9');
  assert.deepEqual([m9.verdict, m9.artefacts], ['orphan-artefact', ['MSExchangeTestAppPool', 'MSExchangeTestService']]);
  assert.equal(doc.servers[1].mitigations.find((m: { id: string }) => m.id === 'M9.1').verdict, 'active');
});

test('a malformed --knowledge file: exit 2, one line with the field path', async () => {
  assertOneLineError(
    await run(['--state', fixture('kb', 'contracts-example.json'), '--knowledge', fixture('kb', 'overrides', 'bad-fixed-build.json')]),
    /knowledge override .*bad-fixed-build\.json: mitigations\[1\]\.lines\[0\]\.fixedIn\[0\]\.build: expected a build/,
  );
  assertOneLineError(
    await run(['--state', fixture('kb', 'contracts-example.json'), '--knowledge', fixture('kb', 'overrides', 'bad-json.json'), '--json']),
    /knowledge override .*bad-json\.json is not valid JSON/,
  );
});

test('stale --help prints the usage', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /eems-watch stale --state FILE/);
});
