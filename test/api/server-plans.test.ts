/**
 * The one-click server plans run against the demo lab through the API: start the stopped
 * MSExchangeMitigation service, take IDs off MitigationsBlocked (the rest stays), re-enable a server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { ApiService, PlanView } from '../../main/api/eems-api.js';
import { labPaths } from '../../main/lab/index.js';
import { labServer, startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;
before(async () => {
  stack = await startLabStack({ hours: 2 });
  api = stack.running.service;
});
after(async () => stack?.close());

async function ok<T>(method: Parameters<ApiService['call']>[0], input: unknown): Promise<T> {
  const r = await api.call(method, input as never);
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { value: T }).value;
}

async function editLabServer(name: string, change: (server: Record<string, unknown>) => void): Promise<void> {
  const path = labPaths.state(stack.labDir);
  const doc = JSON.parse(await readFile(path, 'utf8')) as { servers: Record<string, unknown>[] };
  change(doc.servers.find((s) => s.Name === name)!);
  await writeFile(`${path}.edit`, JSON.stringify(doc));
  await rename(`${path}.edit`, path);
  await ok('pollNow', { server: name });
}

test('start the stopped MSExchangeMitigation on EX05: runs on the server, verified Running', async () => {
  const plan = await ok<PlanView>('planStartService', { server: 'EX05' });
  assert.deepEqual(plan.steps.map((s) => [s.kind, s.channel]), [['start-service', 'server'], ['verify', 'exchange']]);
  assert.match(plan.steps[0]!.description, /^On EX05 itself \(over WinRM\)/);
  const done = await ok<PlanView>('runPlan', { planId: plan.id, confirm: true });
  assert.deepEqual([done.state, done.result?.verified], ['succeeded', true], done.result?.message);
  const again = await api.call('planStartService', { server: 'EX05' });
  assert.equal(again.ok, false, 'nothing to start any more');
});

test('unblock takes only the named IDs off MitigationsBlocked and keeps the rest', async () => {
  await editLabServer('EX02', (s) => {
    s.MitigationsBlocked = ['M7', 'M2', 'M2.1.0'];
  });
  const plan = await ok<PlanView>('planUnblock', { server: 'EX02', ids: ['M2', 'M2.1.0'] });
  assert.equal(plan.steps[0]!.powershell, "Set-ExchangeServer -Identity EX02 -MitigationsBlocked @('M7')");
  const done = await ok<PlanView>('runPlan', { planId: plan.id, confirm: true });
  assert.deepEqual([done.state, done.result?.verified], ['succeeded', true], done.result?.message);
  assert.deepEqual(labServer(stack, 'EX02').mitigationsBlocked, ['M7']);
  const none = await api.call('planUnblock', { server: 'EX02', ids: ['M9'] });
  assert.match(!none.ok ? none.error.message : '', /M9 is not in MitigationsBlocked on EX02 \(it holds: M7\)/);
});

test('re-enable a server whose own MitigationsEnabled is False', async () => {
  await editLabServer('EX04', (s) => {
    s.MitigationsEnabled = false;
  });
  const plan = await ok<PlanView>('planServerReenable', { server: 'EX04' });
  assert.equal(plan.steps[0]!.powershell, 'Set-ExchangeServer -Identity EX04 -MitigationsEnabled $true');
  const done = await ok<PlanView>('runPlan', { planId: plan.id, confirm: true });
  assert.deepEqual([done.state, done.result?.verified], ['succeeded', true], done.result?.message);
  assert.match(done.script ?? '', /Read-Host/);
});
