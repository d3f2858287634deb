/**
 * The demo organisation as contracts.md promises it ("eems-watch lab"), judged through the API the
 * window uses: M2 stays on a Jun26SU server (K1), goes at Jul26SU, and EOMT's rules (K7) are M2's
 * artefacts with the same plan, EOMT's own rollback shown as the alternative.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Overview, PlanView } from '../../main/api/eems-api.js';
import { callOk, labServer, startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let overview: Overview;

const mitigation = (server: string, family: string) => {
  const found = overview.servers.find((s) => s.name === server)?.mitigations.find((m) => m.id === family || m.id.startsWith(`${family}.`));
  assert.ok(found, `${server} shows ${family}`);
  return found;
};

before(async () => {
  stack = await startLabStack({ hours: 2 });
  overview = await callOk<Overview>(stack.running.service, 'getOverview', {});
});
after(async () => stack?.close());

test('a Jun26SU server keeps M2: active, the reason says Microsoft advises keeping it until Jul26SU, and no removal is planned', async () => {
  const m2 = mitigation('EX06', 'M2');
  assert.deepEqual([m2.id, m2.verdict, m2.removable], ['M2.1.0', 'active', false]);
  assert.match(m2.reason, /fix installed \(Jun26SU\); Microsoft advises keeping M2 until Jul26SU/);
  const refused = await stack.running.service.call('planRemoval', { server: 'EX06', mitigation: 'M2.1.0' });
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.error.message : '', /^M2\.1\.0 must stay on EX06: the fix is installed, but Microsoft advises keeping M2 until the Jul26SU \(15\.2\.1748\.48\)\. Install that update first/);
});

test('a Jul26SU server can let M2 go (EX01: EEMS rules left behind)', () => {
  const m2 = mitigation('EX01', 'M2');
  assert.deepEqual([m2.verdict, m2.removable, m2.appliedBy], ['orphan-artefact', true, 'EEMS']);
});

test("EOMT's rules are M2's artefacts: applied by EOMT, removable with the same plan, EOMT's rollback shown; the run removes them", async () => {
  const m2 = mitigation('EX07', 'M2');
  assert.deepEqual([m2.verdict, m2.removable, m2.appliedBy], ['orphan-artefact', true, 'EOMT']);
  assert.match(m2.reason, /applied by EOMT \(not EEMS\)/);
  const plan = await callOk<PlanView>(stack.running.service, 'planRemoval', { server: 'EX07', mitigation: 'M2' });
  const removed = plan.steps.filter((s) => s.kind === 'remove-rewrite-rule').map((s) => s.powershell);
  assert.equal(removed.length, 2, JSON.stringify(plan.steps));
  assert.ok(removed.some((t) => t.includes('EOMT OWA CSP - outbound')) && removed.some((t) => t.includes('EOMT OWA SPA HTML shell - precondition')), removed.join('\n'));
  assert.ok(plan.evidence?.alternatives.some((a) => /EOMT\.ps1 -RollbackMitigation/.test(a)), JSON.stringify(plan.evidence));
  const ran = await callOk<PlanView>(stack.running.service, 'runPlan', { planId: plan.id, confirm: true });
  assert.deepEqual([ran.result?.ok, ran.result?.verified], [true, true], JSON.stringify(ran.result));
  assert.deepEqual(labServer(stack, 'EX07').rewriteRules, []);
});
