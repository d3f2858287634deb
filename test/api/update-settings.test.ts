/**
 * updateSettings over the real engine on a lab: saved settings reach the running engine at once,
 * and the answer names the changed fields that wait for a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertList, ApiService, Settings, SettingsUpdate } from '../../main/api/eems-api.js';
import { advanceLab, setLabFault } from '../../main/lab/index.js';
import { callOk, startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;

const value = <T>(method: Parameters<ApiService['call']>[0], input: unknown): Promise<T> => callOk<T>(api, method, input);

const fetchErrorsOn = async (server: string) => (await value<AlertList>('listAlerts', { kind: 'fetch-error', server })).alerts.length;

before(async () => {
  stack = await startLabStack({ scenario: 'quiet', servers: 3, hours: 3 });
  api = stack.running.service;
});
after(async () => stack?.close());

test('a new fetch-error threshold is used by the running engine, without a restart', async () => {
  await setLabFault(stack.labDir, 'EX02', { kind: 'fetch-failing', code: 'proxy' });
  await advanceLab(stack.labDir, 1);
  await value('pollNow', { server: 'EX02' });
  assert.equal(await fetchErrorsOn('EX02'), 0, 'one failed hourly fetch is below the default threshold of 2');

  const current = await value<Settings>('getSettings', {});
  const saved = await value<SettingsUpdate>('updateSettings', { settings: { ...current, alerts: { ...current.alerts, fetchErrorThreshold: 1 } } });
  assert.equal(saved.settings.alerts.fetchErrorThreshold, 1);
  assert.deepEqual(saved.restartRequired, [], 'an alert rule applies at once');

  await value('pollNow', { server: 'EX02' });
  assert.equal(await fetchErrorsOn('EX02'), 1, 'the same single failure raises an alert at the new threshold');
});

test('connection changes are saved and reported as waiting for a restart; the engine keeps polling the lab', async () => {
  const current = await value<Settings>('getSettings', {});
  const saved = await value<SettingsUpdate>('updateSettings', {
    settings: { ...current, connection: { ...current.connection, remoteUri: 'http://{server}/PowerShell-Proxy/', authentication: 'Negotiate' }, notifications: { ...current.notifications, minSeverity: 'critical' } },
  });
  assert.deepEqual(saved.restartRequired.sort(), ['connection.authentication', 'connection.remoteUri']);
  const polled = await value<{ polledAt: string }>('pollNow', {});
  assert.ok(polled.polledAt, 'still watching the lab it started with');
  const again = await value<SettingsUpdate>('updateSettings', { settings: saved.settings });
  assert.deepEqual(again.restartRequired, [], 'nothing changed the second time');
});
