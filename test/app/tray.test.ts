import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { deriveTrayView, trayIconFile, type TrayInput } from '../../main/app/tray-state.js';
import { buildTrayMenu, type TrayActions } from '../../main/app/tray-menu.js';
import type { Alert } from '../../main/core/model.js';
import { projectRoot } from '../support/paths.js';

function alert(id: string, severity: Alert['severity'], title: string): Alert {
  return { id, kind: 'fetch-error', severity, server: 'EX01', mitigation: null, title, body: '', diagnosis: null, time: '2026-11-27T10:00:00Z' };
}

const base: TrayInput = { status: 'ok', polling: false, openAlerts: [], serverCount: 3, lastPollAt: '2026-11-27T10:05:00Z', pausedUntil: null };

test('the tray icon follows the overall status, and polling never hides a problem', () => {
  assert.equal(deriveTrayView(base).icon, 'ok');
  assert.equal(deriveTrayView({ ...base, polling: true }).icon, 'polling');
  assert.equal(deriveTrayView({ ...base, status: 'critical', polling: true }).icon, 'critical');
  assert.equal(deriveTrayView({ ...base, status: 'warning' }).icon, 'warning');
  assert.equal(deriveTrayView({ ...base, status: 'unknown' }).icon, 'unknown');
});

test('the tooltip summarises servers, alerts and the last poll, within the Windows limit', () => {
  const view = deriveTrayView({ ...base, status: 'critical', openAlerts: [alert('a', 'critical', 'x'), alert('b', 'warning', 'y'), alert('c', 'critical', 'z')] });
  assert.match(view.tooltip, /CRITICAL/);
  assert.match(view.tooltip, /3 servers/);
  assert.match(view.tooltip, /2 critical, 1 warning alerts/);
  assert.match(view.tooltip, /last poll 10:05 UTC/);
  const many = deriveTrayView({ ...base, serverCount: 1, pausedUntil: '2026-11-27T11:00:00Z', openAlerts: Array.from({ length: 400 }, (_, i) => alert(String(i), 'warning', 't')) });
  assert.ok(many.tooltip.length <= 127);
  assert.match(deriveTrayView({ ...base, serverCount: 1 }).tooltip, /1 server ·/);
});

test('every tray icon state has its file for Windows, macOS and Linux', () => {
  for (const state of ['ok', 'warning', 'critical', 'unknown', 'polling'] as const) {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const file = trayIconFile(state, platform);
      assert.ok(existsSync(join(projectRoot, 'assets', 'tray', file)), `${file} is missing`);
    }
  }
  assert.match(trayIconFile('ok', 'darwin'), /Template\.png$/);
  assert.match(trayIconFile('ok', 'win32'), /\.ico$/);
});

function recordingActions(calls: string[]): TrayActions {
  return {
    open: () => calls.push('open'),
    openAlert: (id) => calls.push(`alert:${id}`),
    pollNow: () => calls.push('poll'),
    pauseAlerts: (m) => calls.push(`pause:${m}`),
    resumeAlerts: () => calls.push('resume'),
    quit: () => calls.push('quit'),
  };
}

function click(item: MenuItemConstructorOptions | undefined): void {
  assert.ok(item?.click, `menu item ${item?.label} has no action`);
  (item.click as () => void)();
}

test('the tray menu holds every action, since Linux ignores clicks on the icon', () => {
  const calls: string[] = [];
  const menu = buildTrayMenu({ polling: false, openAlerts: [alert('a1', 'critical', 'Fetch error on EX16')], pausedUntil: null }, recordingActions(calls));
  const byLabel = (re: RegExp) => menu.find((m) => typeof m.label === 'string' && re.test(m.label));
  click(byLabel(/^Open/));
  click(byLabel(/^Poll now/));
  click(byLabel(/^Pause alerts for 1 hour/));
  const latest = byLabel(/^Latest alerts/)?.submenu as MenuItemConstructorOptions[];
  assert.match(String(latest[0]?.label), /Fetch error on EX16/);
  click(latest[0]);
  click(byLabel(/^Quit/));
  assert.deepEqual(calls, ['open', 'poll', 'pause:60', 'alert:a1', 'quit']);
});

test('while polling, "Poll now" is disabled; while paused, the menu offers to resume', () => {
  const calls: string[] = [];
  const menu = buildTrayMenu({ polling: true, openAlerts: [], pausedUntil: '2026-11-27T12:00:00Z' }, recordingActions(calls));
  const poll = menu.find((m) => m.label === 'Polling…');
  assert.equal(poll?.enabled, false);
  const resume = menu.find((m) => typeof m.label === 'string' && m.label.startsWith('Resume alerts (paused until 12:00 UTC)'));
  click(resume);
  assert.deepEqual(calls, ['resume']);
  const latest = menu.find((m) => m.label === 'Latest alerts')?.submenu as MenuItemConstructorOptions[];
  assert.equal(latest[0]?.label, 'No open alerts');
  assert.equal(latest[0]?.enabled, false);
});
