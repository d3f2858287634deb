import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { coalesceAlerts } from '../../main/core/alerts/alert-coalesce.js';
import { makeAlert } from '../../main/core/alerts/alert-rules.js';
import { diagnosisFor } from '../../main/core/diagnosis/diagnosis.js';
import { APP_NAME, createNodeNotifier } from '../../main/engine/notifier/node-notifier-port.js';

const HOW = 'Run it as `xvfb-run -a dbus-run-session -- node --import tsx --test test/engine/notifier-desktop.test.ts` with the packages xvfb, xauth, dbus, dbus-x11, libnotify-bin and dunst installed (apt-get install -y xvfb xauth dbus dbus-x11 libnotify-bin dunst).';

function waitFor(read: () => string, check: (text: string) => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const poll = () => {
      if (check(read())) return resolve(true);
      if (Date.now() > end) return resolve(false);
      setTimeout(poll, 50);
    };
    poll();
  });
}

test('an alert reaches the desktop notification daemon with the right app name, title and body', { timeout: 30_000 }, async () => {
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, `No session D-Bus: nothing could receive a notification. ${HOW}`);
  assert.equal(spawnSync('notify-send', ['--version']).error, undefined, `notify-send is missing. ${HOW}`);

  const monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ['ignore', 'pipe', 'pipe'] });
  let captured = '';
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => (captured += chunk));
  try {
    // dbus-monitor prints its own NameAcquired signal once it listens.
    assert.ok(await waitFor(() => captured, (t) => t.length > 0, 5_000), `dbus-monitor did not start. ${HOW}`);
    spawnSync('dunstctl', ['close-all']);

    const now = new Date('2026-06-15T12:00:00Z');
    const alerts = ['EX01', 'EX02', 'EX03'].map((server) =>
      makeAlert('fetch-error', server, null, 'signing-cert@x', { title: `Fetch error on ${server}`, body: '' }, now.toISOString(), diagnosisFor('signing-cert')),
    );
    const [notification] = coalesceAlerts(alerts, { policy: { enabled: true, minSeverity: 'warning', quietHours: { enabled: false, start: '22:00', end: '07:00' } }, now }).notifications;
    assert.ok(notification);
    await createNodeNotifier().notify(notification).catch((error: Error) => assert.fail(`${error.message} ${HOW}`));

    const arrived = await waitFor(() => captured, (t) => t.includes(notification.title) && t.includes('EX01, EX02, EX03'), 5_000);
    assert.ok(arrived, `No Notify call carrying the alert reached the session bus. Captured:\n${captured.slice(-2000)}\n${HOW}`);
    const call = captured.slice(captured.lastIndexOf('member=Notify'));
    const strings = [...call.matchAll(/string "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    // Notify(app_name, replaces_id, app_icon, summary, body, ...): the first string is the app name.
    assert.equal(strings[0], APP_NAME);
    assert.ok(strings.includes(notification.title), `summary: ${strings.join(' | ')}`);
    assert.ok(strings.some((s) => s === notification.body), `body: ${strings.join(' | ')}`);
    assert.equal(notification.title, 'Fetch error on 3 servers');

    // The daemon took it: after closing, it is in dunst's history with the same words.
    const inHistory = await waitFor(
      () => {
        spawnSync('dunstctl', ['close-all']);
        return spawnSync('dunstctl', ['history'], { encoding: 'utf8' }).stdout ?? '';
      },
      (t) => t.includes(notification.title),
      3_000,
    );
    assert.ok(inHistory, `The notification daemon (dunst) did not record the notification. ${HOW}`);
  } finally {
    monitor.kill();
  }
});
