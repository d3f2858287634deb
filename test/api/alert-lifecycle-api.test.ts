/** The alert lifecycle through the API on the demo lab: ack silences, never hides; a fix resolves; every face counts the same open list. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertList, AlertView, ApiService, Overview, PlanView } from '../../main/api/eems-api.js';
import { callOk, startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;
const value = <T>(method: Parameters<ApiService['call']>[0], input: unknown): Promise<T> => callOk<T>(api, method, input);

before(async () => {
  stack = await startLabStack({ hours: 26 });
  api = stack.running.service;
});
after(async () => stack?.close());

const openCount = async () => (await value<AlertList>('listAlerts', {})).alerts.filter((a) => a.state === 'open').length;

test('acknowledging silences, never hides: the status stays critical, the row says who acknowledged, and it can be undone', async () => {
  const list = await value<AlertList>('listAlerts', { kind: 'service-stopped' });
  const stopped = list.alerts.find((a) => a.server === 'EX05' && a.state === 'open');
  assert.ok(stopped, 'the demo has EX05 stopped');
  assert.ok(stopped.since, 'since is set');
  const acked = await value<AlertView>('ackAlert', { id: stopped.id });
  assert.equal(acked.acked, true);
  assert.equal(acked.state, 'open');
  const overview = await value<Overview>('getOverview', {});
  assert.equal(overview.status, 'critical');
  const row = overview.servers.find((s) => s.name === 'EX05')!;
  assert.equal(row.status, 'critical', 'the row keeps its real verdict');
  const summary = row.alerts?.find((a) => a.id === stopped.id);
  assert.equal(summary?.acked, true, 'and shows the acknowledgement beside it');
  assert.ok(summary?.ackedAt);
  assert.equal(overview.openAlerts, await openCount(), 'header count = open alerts of the Alerts view');
  assert.equal(overview.openAlerts, stack.running.engine.snapshot().openAlerts.length, 'header count = poll --once alerts');
  const undone = await value<AlertView>('unackAlert', { id: stopped.id });
  assert.equal(undone.acked, false);
  const snoozed = await value<AlertView>('snoozeAlert', { id: stopped.id, until: '2099-01-01T00:00:00.000Z' });
  assert.ok(snoozed.snoozedUntil);
  assert.equal((await value<Overview>('getOverview', {})).status, 'critical');
  assert.equal((await value<AlertView>('unsnoozeAlert', { id: stopped.id })).snoozedUntil, null);
});

test('a fixed problem resolves by itself: re-enabling the organisation moves its alert to the history, and every count agrees', async () => {
  const org = (await value<AlertList>('listAlerts', { kind: 'org-mitigations-disabled' })).alerts.find((a) => a.state === 'open');
  assert.ok(org, 'the demo organisation has MitigationsEnabled False');
  assert.ok(org.since && org.since < org.time, 'since is the audit entry that turned it off, before the alert');
  const before = (await value<Overview>('getOverview', {})).openAlerts;
  const plan = await value<PlanView>('planOrgReenable', {});
  assert.equal((await value<PlanView>('runPlan', { planId: plan.id, confirm: true })).state, 'succeeded');
  await value('pollNow', {});
  const after = (await value<AlertList>('listAlerts', { kind: 'org-mitigations-disabled' })).alerts.find((a) => a.id === org.id)!;
  assert.equal(after.state, 'resolved');
  assert.ok(after.resolvedAt);
  const overview = await value<Overview>('getOverview', {});
  assert.ok(overview.openAlerts < before);
  assert.equal(overview.openAlerts, await openCount());
  assert.equal(overview.openAlerts, stack.running.engine.snapshot().openAlerts.length);
});

test('the heartbeat shows the stopped service and the crash as problems, never as no data', async () => {
  const hb = await value<{ servers: { server: string; days: { hours: { state: string }[] }[] }[] }>('getHeartbeat', { days: 2 });
  const states = (name: string) => new Set(hb.servers.find((s) => s.server === name)!.days.flatMap((d) => d.hours.map((h) => h.state)));
  assert.ok(states('EX05').has('stopped'), [...states('EX05')].join(','));
  assert.ok(states('EX03').has('crashed'), [...states('EX03')].join(','));
  assert.ok(states('EX16-LEGACY').has('failed'), [...states('EX16-LEGACY')].join(','));
  assert.ok(states('EX01').has('ok'));
});
