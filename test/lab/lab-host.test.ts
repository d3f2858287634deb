import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseStepArgs } from '../../main/core/mitigations/action-steps.js';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import type { ActionStep, StepResult } from '../../main/core/ports.js';
import { planOrgReenable, planRemoval, verifyRemoval, type ActionPlan } from '../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../main/core/mitigations/staleness.js';
import { advanceLab, createLabHost, initLab, labPaths, setLabFault, type LabHost } from '../../main/lab/index.js';
import type { LabStateDocument } from '../../main/lab/lab-types.js';
import { tempDir } from './lab-support.js';

const kb = defaultKnowledgeBase();
const RULES = ['EEMS M2.1 OWA CSP - outbound', 'EEMS M2.1 OWA SPA HTML shell - precondition'];

/** A single step outside any plan (the service and server switches), in the canonical shape. */
function step(kind: ActionStep['kind'], server: string | null, args: ActionStep['args']): ActionStep {
  const s: ActionStep = { kind, server, args, description: kind, powershell: '' };
  assert.ok(parseStepArgs(s).ok, `${kind} test step follows the contract`);
  return s;
}

/**
 * The real removal plan for a server of the lab, as the app builds it: collect, judge with the
 * default knowledge base, plan the one removable verdict (EX01: orphan M2, EX03: stale M2.1.0).
 */
async function removalPlan(host: LabHost, server: string, verdict: 'orphan-artefact' | 'stale-applied'): Promise<ActionPlan> {
  const state = (await host.collect({ servers: [server] })).servers[0]!;
  const found = judgeServer(state, kb).find((v) => v.verdict === verdict);
  assert.ok(found, `${server} has a ${verdict} verdict`);
  const result = planRemoval(state, found, kb);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.plan;
}

/** Run a plan's steps in order, stopping at the first failure like the plan runner. */
async function runPlan(host: LabHost, steps: ActionStep[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const s of steps) {
    const result = await host.run(s);
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

const okChanged = (results: StepResult[]) => results.map((r) => [r.ok, r.changed]);

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
  assert.ok(readdirSync(location.folder).some((name) => name.toLowerCase().endsWith('.log')));
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
  const result = await host.run(step('block-mitigation', 'EX02', { mitigation: 'M2', mitigationsBlocked: ['M2'] }));
  assert.equal(result.ok, false);
  assert.match(result.message, /EX02 could not be reached/);
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
  // Counted, not timed: the waits of 15 ms the host schedules while collecting six servers.
  const waits: number[] = [];
  const original = globalThis.setTimeout;
  t.mock.method(globalThis, 'setTimeout', (fn: () => void, ms?: number, ...rest: unknown[]) => {
    waits.push(ms ?? 0);
    return original(fn, ms, ...rest);
  });
  await host.collect({ servers: ['EX01', 'EX02', 'EX03', 'EX04', 'EX05', 'EX16-LEGACY'] });
  t.mock.restoreAll();
  assert.ok(waits.filter((ms) => ms === 15).length >= 6, `one 15 ms wait per server call, got ${JSON.stringify(waits)}`);
});

test('every plan step is idempotent: a second run changes nothing and still succeeds', async (t) => {
  const { dir, host } = await demoHost(t);
  // EX01: orphan M2 (fix installed): back up, remove both rules, verify; nothing to block.
  const orphan = await removalPlan(host, 'EX01', 'orphan-artefact');
  assert.deepEqual(orphan.steps.map((s) => s.kind), ['backup-config', 'remove-rewrite-rule', 'remove-rewrite-rule', 'verify']);
  const first = await runPlan(host, orphan.steps);
  assert.deepEqual(okChanged(first), [[true, true], [true, true], [true, true], [true, false]]);
  const backup = JSON.parse(await readFile(first[0]!.backupPath!, 'utf8')) as { rules: { Name: string }[] };
  assert.ok(first[0]!.backupPath!.startsWith(labPaths.backups(host.dir, 'EX01')));
  assert.deepEqual(backup.rules.map((r) => r.Name), RULES);
  const second = await runPlan(host, orphan.steps.slice(1));
  assert.deepEqual(okChanged(second), [[true, false], [true, false], [true, false]]);
  assert.match(second[0]!.message, /already removed/);
  const ex01 = (await host.collect({ servers: ['EX01'] })).servers[0]!;
  assert.deepEqual(ex01.RewriteRules, []);
  assert.deepEqual(ex01.MitigationsBlocked, [], 'an orphan is not blocked');

  // EX03: stale M2.1.0: the block runs once, then finds M2 blocked.
  const stale = await removalPlan(host, 'EX03', 'stale-applied');
  assert.deepEqual(okChanged(await runPlan(host, stale.steps)), [[true, true], [true, true], [true, true], [true, true], [true, false]]);
  assert.deepEqual(okChanged(await runPlan(host, stale.steps.slice(1))), [[true, false], [true, false], [true, false], [true, false]]);

  const org = planOrgReenable();
  assert.deepEqual(okChanged(await runPlan(host, org.steps)), [[true, true], [true, false]]);
  assert.deepEqual(okChanged(await runPlan(host, org.steps)), [[true, false], [true, false]]);

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

test('block-mitigation adds to the list found, so a block added meanwhile by someone else is kept', async (t) => {
  const { dir, host } = await demoHost(t);
  const stale = await removalPlan(host, 'EX03', 'stale-applied');
  const block = stale.steps.find((s) => s.kind === 'block-mitigation')!;
  // K9: the family and the exact applied ID.
  assert.deepEqual(block.args, { mitigation: 'M2', mitigationsBlocked: ['M2', 'M2.1.0'] });
  const state = JSON.parse(await readFile(labPaths.state(dir), 'utf8')) as LabStateDocument;
  state.servers.find((s) => s.Name === 'EX03')!.MitigationsBlocked = ['M7'];
  await writeFile(labPaths.state(dir), JSON.stringify(state));
  const result = await host.run(block);
  assert.deepEqual([result.ok, result.changed], [true, true]);
  assert.deepEqual((await host.collect({ servers: ['EX03'] })).servers[0]!.MitigationsBlocked, ['M7', 'M2', 'M2.1.0']);
});

test('the lab refuses args outside the contract with the sentence naming the field, and changes nothing', async (t) => {
  const { host } = await demoHost(t);
  const variants: [ActionStep['kind'], ActionStep['args'], RegExp][] = [
    ['block-mitigation', { list: ['M2'] }, /args: "list" is not an argument of block-mitigation\./],
    ['block-mitigation', { mitigation: 'M2', mitigationsBlocked: ['M2.1$(calc)', 'M2'] }, /args\.mitigationsBlocked\[0\]: must be a mitigation ID/],
    ['remove-rewrite-rule', { names: RULES }, /"names" is not an argument of remove-rewrite-rule/],
    ['verify', { absentRules: RULES, blocked: ['M2'] }, /"blocked" is not an argument of verify/],
  ];
  for (const [kind, args, sentence] of variants) {
    const result = await host.run({ kind, server: 'EX01', args, description: `Hand-made ${kind}`, powershell: '' });
    assert.equal(result.ok, false);
    assert.match(result.message, /^The step "Hand-made [a-z-]+" was refused: /);
    assert.match(result.message, sentence);
    assert.match(result.message, /Nothing was changed; rebuild the plan from a fresh collection\.$/);
  }
  const ex01 = (await host.collect({ servers: ['EX01'] })).servers[0]!;
  assert.deepEqual([ex01.RewriteRules.map((r) => r.Name), ex01.MitigationsBlocked], [RULES, []]);
});

test('a removal fault stops the plan at step N with nothing changed, and the plan resumes', async (t) => {
  const { dir, host } = await demoHost(t);
  await setLabFault(dir, 'EX03', { kind: 'fail-run', atStep: 3 });
  const plan = await removalPlan(host, 'EX03', 'stale-applied');
  assert.deepEqual(plan.steps.map((s) => s.kind), ['backup-config', 'block-mitigation', 'remove-rewrite-rule', 'remove-rewrite-rule', 'verify']);
  const results = await runPlan(host, plan.steps);
  assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
  assert.match(results[2]!.message, /Nothing was changed; run the plan again to resume/);
  let ex03 = (await host.collect({ servers: ['EX03'] })).servers[0]!;
  assert.deepEqual(ex03.RewriteRules.map((r) => r.Name), RULES, 'the failed step removed nothing');
  assert.deepEqual(ex03.MitigationsBlocked, ['M2', 'M2.1.0']);
  assert.equal(verifyRemoval(plan, ex03, kb).ok, false);
  assert.deepEqual(okChanged(await runPlan(host, plan.steps.slice(2))), [[true, true], [true, true], [true, false]]);
  ex03 = (await host.collect({ servers: ['EX03'] })).servers[0]!;
  assert.deepEqual(ex03.RewriteRules, []);
  assert.ok(verifyRemoval(plan, ex03, kb).ok);
});

test('run() writes survive later advances; without a block EEMS puts an applied mitigation back', async (t) => {
  const { host } = await demoHost(t);
  // EX01 (orphan, fixed build): the rules go and stay gone, unblocked.
  await runPlan(host, (await removalPlan(host, 'EX01', 'orphan-artefact')).steps);
  // EX03 (stale, still published for SE): skip the block, as an admin removing by hand would.
  const stale = await removalPlan(host, 'EX03', 'stale-applied');
  const unblocked = await runPlan(host, stale.steps.filter((s) => s.kind !== 'block-mitigation'));
  assert.equal(unblocked.at(-1)!.ok, false, 'the plan\'s verify notices the missing block');
  assert.match(unblocked.at(-1)!.message, /EX03: not in MitigationsBlocked: M2, M2\.1\.0\./);
  const seen = (await host.events('EX03', 0)).at(-1)?.recordId ?? 0;
  await runPlan(host, planOrgReenable().steps);
  await host.advance(2);
  let doc = await host.collect({ servers: ['EX01', 'EX03'] });
  assert.deepEqual(doc.servers[0]!.RewriteRules, []);
  assert.deepEqual(doc.servers[0]!.MitigationsBlocked, []);
  assert.deepEqual(doc.servers[1]!.RewriteRules.map((r) => r.Name), RULES, 'EEMS re-applied M2 on EX03');
  assert.ok((await host.events('EX03', seen)).some((e) => e.eventId === 1005));
  assert.ok(existsSync(labPaths.backups(host.dir, 'EX01')));
  // With the whole plan (the block first), the rules stay gone.
  const again = await removalPlan(host, 'EX03', 'stale-applied');
  assert.ok((await runPlan(host, again.steps)).every((r) => r.ok));
  await host.advance(2);
  doc = await host.collect({ servers: ['EX03'] });
  assert.deepEqual(doc.servers[0]!.RewriteRules, []);
  assert.deepEqual(doc.servers[0]!.MitigationsBlocked, ['M2', 'M2.1.0']);
});

test('the demo\'s EX01 orphan plan and the SE server\'s stale-applied plan run end to end, and verifyRemoval says ok', async (t) => {
  const { host } = await demoHost(t);
  for (const [server, verdict] of [['EX01', 'orphan-artefact'], ['EX03', 'stale-applied']] as const) {
    const plan = await removalPlan(host, server, verdict);
    const before = (await host.collect({ servers: [server] })).servers[0]!;
    assert.equal(verifyRemoval(plan, before, kb).ok, false, `${server} is not done before the plan runs`);
    const results = await runPlan(host, plan.steps);
    assert.ok(results.every((r) => r.ok), results.map((r) => r.message).join(' | '));
    assert.equal(results.length, plan.steps.length);
    const after = (await host.collect({ servers: [server] })).servers[0]!;
    const check = verifyRemoval(plan, after, kb);
    assert.ok(check.ok, check.message);
    assert.match(check.message, new RegExp(`gone from ${server}`));
    if (verdict === 'stale-applied') assert.match(check.message, /M2 and M2\.1\.0 are blocked, so EEMS will not apply it again/);
    assert.ok(judgeServer(after, kb).every((v) => !v.removable), `${server} has nothing left to remove`);
  }
  const doc = await host.collect({ servers: ['EX01', 'EX03'] });
  assert.deepEqual(doc.servers.map((s) => [s.Name, s.RewriteRules.length, s.MitigationsBlocked]), [['EX01', 0, []], ['EX03', 0, ['M2', 'M2.1.0']]]);
});
