import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpcMain } from 'electron';
import { registerIpcHandlers, TrustedSenders, type SenderEvent } from '../../main/app/ipc-handlers.js';
import { IPC } from '../../main/app/ipc-channels.js';
import { API_METHODS, type ApiMethod, type ApiResult, type ApiService } from '../../main/api/eems-api.js';
import { projectRoot } from '../support/paths.js';

/** ipcMain is the seam: record what main/app registers and call it as Electron would. */
function fakeIpcMain() {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const listeners = new Map<string, (...args: unknown[]) => unknown>();
  const ipcMain = {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
    on: (channel: string, fn: (...args: unknown[]) => unknown) => (listeners.set(channel, fn), ipcMain),
    removeListener: (channel: string) => (listeners.delete(channel), ipcMain),
  };
  return { ipcMain: ipcMain as unknown as Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>, handlers, listeners };
}

function recordingService(calls: [ApiMethod, unknown][]): ApiService {
  return {
    async call(method, input): Promise<ApiResult> {
      calls.push([method, input]);
      return { ok: true, value: { method } };
    },
    subscribe: () => () => undefined,
  };
}

function event(id: number, url: string, topFrame = true): SenderEvent {
  return { sender: { id }, senderFrame: { url, parent: topFrame ? null : {} } } as unknown as SenderEvent;
}

function setup() {
  const calls: [ApiMethod, unknown][] = [];
  const logs: string[] = [];
  const senders = new TrustedSenders();
  senders.add(7);
  const fake = fakeIpcMain();
  const dispose = registerIpcHandlers({
    ipcMain: fake.ipcMain,
    service: recordingService(calls),
    senders,
    log: { warn: (m) => logs.push(`warn ${m}`), log: (level, m) => logs.push(`${level} ${m}`) },
  });
  const call = fake.handlers.get(IPC.apiCall) as (e: SenderEvent, method: unknown, input: unknown) => Promise<ApiResult>;
  return { calls, logs, call, fake, dispose };
}

test('a call from our own window on app://eems reaches the service with the validated input', async () => {
  const { calls, call } = setup();
  const result = await call(event(7, 'app://eems/index.html'), 'ackAlert', { id: 'a1' });
  assert.deepEqual(result, { ok: true, value: { method: 'ackAlert' } });
  assert.deepEqual(calls, [['ackAlert', { id: 'a1' }]]);
});

test('calls from another webContents, another origin or a subframe are refused and logged', async () => {
  const { calls, logs, call } = setup();
  for (const e of [event(8, 'app://eems/index.html'), event(7, 'https://evil.example/'), event(7, 'app://eems/index.html', false), event(7, 'file:///etc/passwd')]) {
    const result = await call(e, 'getOverview', {});
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'forbidden');
  }
  assert.equal(calls.length, 0);
  assert.equal(logs.filter((l) => l.startsWith('warn IPC call refused')).length, 4);
});

test('malformed payloads and unknown methods never reach the service', async () => {
  const { calls, call } = setup();
  const trusted = event(7, 'app://eems/');
  const bad = [
    await call(trusted, 'runShell', { cmd: 'calc' }),
    await call(trusted, 'planRemoval', { server: 'EX01; Remove-Item C:\\', mitigation: 'M2' }),
    await call(trusted, 'runPlan', { planId: 'p1', confirm: false }),
    await call(trusted, 'ackAlert', { id: 'a1', extra: true }),
    await call(trusted, '__proto__', {}),
  ];
  for (const result of bad) assert.equal(!result.ok && result.error.code, 'bad-request');
  assert.equal(calls.length, 0);
});

test('renderer log lines are forwarded only from a trusted sender and only with a known level', () => {
  const { logs, fake } = setup();
  const onLog = fake.listeners.get(IPC.log) as (e: SenderEvent, payload: unknown) => void;
  onLog(event(7, 'app://eems/'), { level: 'error', message: 'render failed' });
  onLog(event(9, 'app://eems/'), { level: 'error', message: 'spoofed' });
  onLog(event(7, 'app://eems/'), { level: 'debug; rm', message: 'x' });
  onLog(event(7, 'app://eems/'), 'not an object');
  assert.deepEqual(logs, ['error renderer: render failed']);
});

test('disposing removes the handlers', () => {
  const { fake, dispose } = setup();
  dispose();
  assert.equal(fake.handlers.size, 0);
  assert.equal(fake.listeners.size, 0);
});

test('the preload exposes exactly the EemsApi methods on exactly the channels main listens to', () => {
  const preload = readFileSync(join(projectRoot, 'main', 'app', 'preload.cts'), 'utf8');
  const list = /const METHODS = \[([\s\S]*?)\] as const/.exec(preload)?.[1] ?? '';
  const methods = [...list.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(methods, Object.keys(API_METHODS).sort());
  assert.match(preload, new RegExp(`CHANNEL_CALL = '${IPC.apiCall}'`));
  assert.match(preload, new RegExp(`CHANNEL_EVENT = '${IPC.apiEvent}'`));
  assert.match(preload, new RegExp(`CHANNEL_LOG = '${IPC.log}'`));
  // Sandboxed preloads can require nothing but electron.
  const requires = [...preload.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
  assert.deepEqual(requires, ['electron']);
  assert.doesNotMatch(preload, /exposeInMainWorld\('(?!eemsApi')/);
});
