import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { ActionStep } from '../../main/core/ports.js';
import { advanceLab, createLabHost, initLab, labPaths, setLabFault } from '../../main/lab/index.js';
import type { LabStateDocument } from '../../main/lab/lab-types.js';
import { tempDir } from './lab-support.js';

const RULES = ['EEMS M2.1 OWA CSP - outbound', 'EEMS M2.1 OWA SPA HTML shell - precondition'];

function step(kind: ActionStep['kind'], server: string | null, args: ActionStep['args'] = {}): ActionStep {
  return { kind, server, args, description: kind, powershell: '' };
}

/** The plan an admin runs for an orphaned or stale M2: back up, block, remove both rules, verify. */
function removalPlan(server: string): ActionStep[] {
  return [
    step('backup-config', server, { location: 'Default Web Site/owa' }),
    step('block-mitigation', server, { list: ['M2'] }),
    step('remove-rewrite-rule', server, { name: RULES[0]!, location: 'Default Web Site/owa' }),
    step('remove-rewrite-rule', server, { name: RULES[1]!, location: 'Default Web Site/owa' }),
    step('verify', server, { absentRules: RULES, blocked: ['M2'] }),
  ];
}

async function demoHost(t: { after: (fn: () => Promise<void> | void) => void }, latencyMs = 0) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir);
  const host = await createLabHost(dir, { latencyMs });
  t.after(() => host.close());
  return { dir, host };
}

test('collect reads the state at the lab clock; the clock follows advances made anywhere', async (t) => {
  const { dir, host } = await demoHost(t);
  assert.equal(host.clock.now().toISOString(), '2026-06-15T08:00:00.000Z');
  const doc = await host.collect({ servers: ['EX01', 'EX02', 'EX99'] });
  assert.equal(doc.collectedAt, '2026-06-15T08:00:00.000Z');
  assert.equal(doc.organization.MitigationsEnabled, false);
  assert.deepEqual(doc.servers.map((s) => s.Name), ['EX01', 'EX02', 'EX99']);
  assert.deepEqual(doc.servers[1]!.MitigationsApplied, ['PING1', 'M2.1.0']);
  assert.match(doc.servers[2]!.Error!, /EX99 is not part of this lab/);
  doc.servers[0]!.RewriteRules.length = 0; // the caller's copy: the lab must not change
  await host.advance(2);
  assert.equal(host.clock.now().toISOString(), '2026-06-15T10:00:00.000Z');
  await advanceLab(dir, 3); // e.g. `eems-watch lab advance` in another process
  assert.equal(host.clock.now().toISOString(), '2026-06-15T13:00:00.000Z');
  const again = await host.collect({ servers: ['EX01'] });
  assert.equal(again.collectedAt, '2026-06-15T13:00:00.000Z');
  assert.equal(again.servers[0]!.RewriteRules.length, 2);
  const location = host.logLocation('EX01')!;
  assert.equal(location.folder, labPaths.logs(host.dir, 'EX01'));
  assert.ok(readdirSync(location.folder).some((name) => name.endsWith('.LOG')));
  assert.equal(host.logLocation('EX99'), null);
});

test('events(server, since) returns only newer records, oldest first', async (t) => {
  const { host } = await demoHost(t);
  await host.advance(5);
  const all = await host.events('EX16-LEGACY', 0);
  assert.equal(all.length, 5);
  const newer = await host.events('EX16-LEGACY', all[2]!.recordId);
  assert.deepEqual(newer.map((e) => e.recordId), [all[3]!.recordId, all[4]!.recordId]);
  await host.advance(1);
  assert.equal((await host.events('EX16-LEGACY', all[4]!.recordId)).length, 1);
  await assert.rejects(host.events('EX99', 0), /EX99 is not part of this lab/);
  await assert.rejects(host.events('../etc', 0), /not a valid server name/);
});

test('an unreachable server: Error sentence in collect, events rejects, run refuses; the others answer', async (t) => {
  const { dir, host } = await demoHost(t);
  await setLabFault(dir, 'EX02', { kind: 'unreachable', on: true });
  const doc = await host.collect({ servers: ['EX01', 'EX02'] });
  assert.equal(doc.servers[0]!.Error, null);
  assert.match(doc.servers[1]!.Error!, /^EX02 could not be reached: .*Check that EX02 is running and reachable, then poll again\.$/);
  await assert.rejects(host.events('EX02', 0), /EX02 could not be reached/);
  const result = await host.run(step('block-mitigation', 'EX02', { list: ['M2'] }));
  assert.equal(result.ok, false);
  await setLabFault(dir, 'EX02', { kind: 'unreachable', on: false });
  assert.equal((await host.collect({ servers: ['EX02'] })).servers[0]!.Error, null);
});

test('a hung server never answers until the caller gives up; close() and an abort release the call', async (t) => {
  const { dir, host } = await demoHost(t);
  await setLabFault(dir, 'EX03', { kind: 'hung', on: true });
  const call = host.collect({ servers: ['EX03'] });
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), 50));
  assert.equal(await Promise.race([call, timeout]), 'timed out');
  const events = host.events('EX03', 0);
  host.close();
  await assert.rejects(call, /closed while a call to a hung server was waiting/);
  await assert.rejects(events, /closed/);
  const controller = new AbortController();
  const aborted = host.collect({ servers: ['EX03'] }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, /abandoned/);
  assert.equal((await host.collect({ servers: ['EX01'] })).servers[0]!.Error, null, 'other servers still answer');
});

test('latency is paid per server call', async (t) => {
  const { host } = await demoHost(t, 15);
  const started = performance.now();
  await host.collect({ servers: ['EX01', 'EX02', 'EX03', 'EX04', 'EX05', 'EX16-LEGACY'] });
  assert.ok(performance.now() - started >= 6 * 15 * 0.9);
});

test('every step is idempotent: a second run changes nothing and still succeeds', async (t) => {
  const { dir, host } = await demoHost(t);
  const first = [];
  for (const s of removalPlan('EX01')) first.push(await host.run(s));
  assert.deepEqual(first.map((r) => [r.ok, r.changed]), [[true, true], [true, true], [true, true], [true, true], [true, false]]);
  const backup = JSON.parse(await readFile(first[0]!.backupPath!, 'utf8')) as { rules: { Name: string }[] };
  assert.ok(first[0]!.backupPath!.startsWith(labPaths.backups(host.dir, 'EX01')));
  assert.deepEqual(backup.rules.map((r) => r.Name), RULES);
  const second = [];
  for (const s of removalPlan('EX01').slice(1)) second.push(await host.run(s));
  assert.deepEqual(second.map((r) => [r.ok, r.changed]), [[true, false], [true, false], [true, false], [true, false]]);
  assert.match(second[1]!.message, /already removed/);
  const ex01 = (await host.collect({ servers: ['EX01'] })).servers[0]!;
  assert.deepEqual(ex01.RewriteRules, []);
  assert.deepEqual(ex01.MitigationsBlocked, ['M2']);

  assert.deepEqual(await host.run(step('set-org-mitigations-enabled', null, { enabled: true })).then((r) => [r.ok, r.changed]), [true, true]);
  assert.deepEqual(await host.run(step('set-org-mitigations-enabled', null, { enabled: true })).then((r) => [r.ok, r.changed]), [true, false]);
  assert.deepEqual(await host.run(step('set-server-mitigations-enabled', 'EX02', { enabled: false })).then((r) => [r.ok, r.changed]), [true, true]);
  assert.deepEqual(await host.run(step('start-service', 'EX05', { name: 'MSExchangeMitigation' })).then((r) => [r.ok, r.changed]), [true, true]);
  assert.deepEqual(await host.run(step('start-service', 'EX05', { name: 'MSExchangeMitigation' })).then((r) => [r.ok, r.changed]), [true, false]);

  const state = JSON.parse(await readFile(labPaths.state(dir), 'utf8')) as LabStateDocument;
  state.servers[0]!.AppPools[0]!.State = 'Stopped';
  await writeFile(labPaths.state(dir), JSON.stringify(state));
  assert.deepEqual(await host.run(step('start-app-pool', 'EX01', { name: 'MSExchangeOWAAppPool' })).then((r) => [r.ok, r.changed]), [true, true]);
  assert.deepEqual(await host.run(step('start-app-pool', 'EX01', { name: 'MSExchangeOWAAppPool' })).then((r) => [r.ok, r.changed]), [true, false]);
  assert.equal((await host.run(step('start-app-pool', 'EX01', { name: 'NoSuchPool' }))).ok, false);

  const after = await host.collect({ servers: ['EX02', 'EX05'] });
  assert.equal(after.organization.MitigationsEnabled, true);
  assert.equal(after.servers[0]!.MitigationsEnabled, false);
  assert.equal(after.servers[1]!.Service!.Status, 'Running');
  await host.advance(1);
  assert.ok((await host.events('EX05', 0)).some((e) => e.eventId === 1001), 'the started service logged its start');
});

test('a removal fault stops the plan at step N with nothing changed, and the plan resumes', async (t) => {
  const { dir, host } = await demoHost(t);
  await setLabFault(dir, 'EX03', { kind: 'fail-run', atStep: 3 });
  const plan = removalPlan('EX03');
  const results = [];
  for (const s of plan) {
    const result = await host.run(s);
    results.push(result);
    if (!result.ok) break;
  }
  assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
  assert.match(results[2]!.message, /Nothing was changed; run the plan again to resume/);
  let ex03 = (await host.collect({ servers: ['EX03'] })).servers[0]!;
  assert.deepEqual(ex03.RewriteRules.map((r) => r.Name), RULES, 'the failed step removed nothing');
  assert.deepEqual(ex03.MitigationsBlocked, ['M2']);
  for (const s of plan.slice(2)) assert.equal((await host.run(s)).ok, true);
  ex03 = (await host.collect({ servers: ['EX03'] })).servers[0]!;
  assert.deepEqual(ex03.RewriteRules, []);
});

test('run() writes survive later advances; without a block EEMS puts an applied mitigation back', async (t) => {
  const { host } = await demoHost(t);
  // EX01 (orphan, fixed build): the rules go and stay gone.
  for (const s of removalPlan('EX01')) await host.run(s);
  // EX02 (active, below the fix): remove the rules without blocking, then turn the org back on.
  await host.run(step('remove-rewrite-rule', 'EX02', { name: RULES }));
  await host.run(step('set-org-mitigations-enabled', null, { enabled: true }));
  await host.advance(2);
  const doc = await host.collect({ servers: ['EX01', 'EX02'] });
  assert.deepEqual(doc.servers[0]!.RewriteRules, []);
  assert.deepEqual(doc.servers[0]!.MitigationsBlocked, ['M2']);
  assert.deepEqual(doc.servers[1]!.RewriteRules.map((r) => r.Name), RULES, 'EEMS re-applied M2 on EX02');
  assert.ok((await host.events('EX02', 0)).some((e) => e.eventId === 1005));
  assert.ok(existsSync(labPaths.backups(host.dir, 'EX01')));
});
