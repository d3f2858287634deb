/**
 * runPlan's guards on the real engine over a demo lab: a plan shown for an older state is not run
 * when the server changed so that the mitigation protects it again, and the same plan confirmed
 * twice at once runs once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { ApiService, PlanView } from '../../main/api/eems-api.js';
import { labPaths } from '../../main/lab/index.js';
import { journalRecords, labServer, startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;

async function plan(server: string, mitigation: string): Promise<PlanView> {
  const result = await api.call('planRemoval', { server, mitigation });
  assert.equal(result.ok, true, JSON.stringify(result));
  return (result as { value: PlanView }).value;
}

/** Change one server in the lab's state.json the way an admin's change on the server would. */
async function editLabServer(name: string, change: (server: Record<string, unknown>) => void): Promise<void> {
  const path = labPaths.state(stack.labDir);
  const doc = JSON.parse(await readFile(path, 'utf8')) as { servers: Record<string, unknown>[] };
  const server = doc.servers.find((s) => s.Name === name);
  assert.ok(server, `${name} is in the lab`);
  change(server);
  await writeFile(`${path}.edit`, JSON.stringify(doc));
  await rename(`${path}.edit`, path);
}

async function actionsOf(planId: string): Promise<{ status: string }[]> {
  return (await journalRecords(stack))
    .filter((r) => r.type === 'action')
    .map((r) => r.action as { planId: string; status: string })
    .filter((a) => a.planId === planId);
}

before(async () => {
  // 34 hours: EX01 and EX04 both carry an orphaned (removable) M2 rule pair.
  stack = await startLabStack({ hours: 34 });
  api = stack.running.service;
});
after(async () => stack?.close());

test('a plan is not run when the server changed since it was shown and the mitigation protects it again', async () => {
  const shown = await plan('EX01', 'M2');
  const rulesBefore = labServer(stack, 'EX01').rewriteRules.filter((r) => /M2\.1/.test(r));
  assert.equal(rulesBefore.length, 2);
  // The Jun26SU is rolled back on EX01 after the plan was shown (no poll in between): the M2 rules
  // protect the server again and must stay.
  await editLabServer('EX01', (s) => {
    s.ExSetupVersion = '15.02.1748.043';
  });
  const result = await api.call('runPlan', { planId: shown.id, confirm: true });
  assert.equal(result.ok, false, JSON.stringify(result));
  assert.equal(!result.ok && result.error.code, 'conflict');
  assert.match(!result.ok ? result.error.message : '', /changed since this plan was shown[\s\S]*Nothing was changed/);
  assert.deepEqual(labServer(stack, 'EX01').rewriteRules.filter((r) => /M2\.1/.test(r)), rulesBefore, 'the rules are still on EX01');
  assert.deepEqual(await actionsOf(shown.id), [], 'nothing ran, so the journal has no action');
});

/** The M2 rules on a lab server. */
const m2Rules = (server: string) => labServer(stack, server).rewriteRules.filter((r) => /M2\.1/.test(r));

test('attack (14.1): the applied ID changes from M2.1.0 to M2.2.0 after the plan was shown: refused, nothing changed', async () => {
  const shown = await plan('EX03', 'M2.1.0');
  assert.ok(shown.steps.some((s) => s.kind === 'block-mitigation'));
  const before = m2Rules('EX03');
  assert.equal(before.length, 2);
  await editLabServer('EX03', (s) => {
    s.MitigationsApplied = ['PING1', 'M2.2.0'];
  });
  const result = await api.call('runPlan', { planId: shown.id, confirm: true });
  assert.equal(result.ok, false, JSON.stringify(result));
  assert.equal(!result.ok && result.error.code, 'conflict');
  assert.match(!result.ok ? result.error.message : '', /the plan was made for M2\.1\.0, but EX03 now shows M2\.2\.0 \(stale-applied\)[\s\S]*Nothing was changed/);
  assert.deepEqual(m2Rules('EX03'), before, 'the rules are still on EX03');
  assert.deepEqual(labServer(stack, 'EX03').mitigationsBlocked, [], 'nothing was blocked');
  assert.deepEqual(await actionsOf(shown.id), [], 'nothing ran');
  await editLabServer('EX03', (s) => {
    s.MitigationsApplied = ['PING1', 'M2.1.0'];
  });
  assert.equal((await api.call('pollNow', { server: 'EX03' })).ok, true);
});

test('attack (14.1): the server rolls back below the fix and M2.1.0 leaves MitigationsApplied: refused, the server keeps its protection', async () => {
  const shown = await plan('EX03', 'M2.1.0');
  const before = m2Rules('EX03');
  await editLabServer('EX03', (s) => {
    s.ExSetupVersion = '15.02.2562.041';
    s.MitigationsApplied = ['PING1'];
  });
  const result = await api.call('runPlan', { planId: shown.id, confirm: true });
  assert.equal(result.ok, false, JSON.stringify(result));
  assert.equal(!result.ok && result.error.code, 'conflict');
  assert.match(!result.ok ? result.error.message : '', /changed since this plan was shown: the plan was made for M2\.1\.0, but EX03 now shows M2 \(orphan-unfixed\)/);
  assert.deepEqual(m2Rules('EX03'), before, 'the rules still protect EX03');
  assert.deepEqual(labServer(stack, 'EX03').mitigationsBlocked, [], 'M2 was not blocked');
  assert.deepEqual(await actionsOf(shown.id), [], 'nothing ran, so nothing reports "succeeded, verified"');
});

test('the same plan confirmed twice at once runs once; the other call is refused', async () => {
  const shown = await plan('EX04', 'M2');
  const [a, b] = await Promise.all([api.call('runPlan', { planId: shown.id, confirm: true }), api.call('runPlan', { planId: shown.id, confirm: true })]);
  const outcomes = [a, b].map((r) => (r.ok ? 'ran' : r.error.code)).sort();
  assert.deepEqual(outcomes, ['conflict', 'ran']);
  const refused = [a, b].find((r) => !r.ok);
  assert.match(refused && !refused.ok ? refused.error.message : '', /already running/);
  assert.equal(labServer(stack, 'EX04').rewriteRules.filter((r) => /M2\.1/.test(r)).length, 0);
  assert.deepEqual((await actionsOf(shown.id)).map((x) => x.status), ['started', 'done']);
});

test('a run killed half-way and resumed under a new plan closes the first run\'s "never finished" entry (14.10)', async () => {
  await editLabServer('EX01', (s) => {
    s.ExSetupVersion = '15.02.1748.048';
  });
  assert.equal((await api.call('pollNow', { server: 'EX01' })).ok, true);
  // What a run leaves when the app is killed after its first record.
  const killed = { planId: 'rm-killed-plan', runId: 'killed-run', server: 'EX01', mitigation: 'M2', title: 'Remove leftover M2 artefacts from EX01', status: 'started' as const, message: 'Run 1 started.' };
  await stack.running.engine.journal.append({ type: 'action', at: '2026-06-16T09:00:00.000Z', action: killed });
  const shown = await plan('EX01', 'M2');
  const result = await api.call('runPlan', { planId: shown.id, confirm: true });
  assert.equal(result.ok, true, JSON.stringify(result));
  const records = (await journalRecords(stack)).filter((r) => r.type === 'action').map((r) => r.action as Record<string, unknown>);
  const ofKilled = records.filter((a) => a.runId === 'killed-run').map((a) => a.status);
  assert.deepEqual(ofKilled, ['started', 'cancelled']);
  const closing = records.find((a) => a.runId === 'killed-run' && a.status === 'cancelled')!;
  assert.match(String(closing.message), /Never finished/);
  assert.equal((closing.closedBy as { planId: string }).planId, shown.id);
  assert.deepEqual((await actionsOf(shown.id)).map((x) => x.status), ['started', 'done'], 'the new run is recorded as usual');
});
