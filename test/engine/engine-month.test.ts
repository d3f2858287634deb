import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import type { DesktopNotification, NotifierPort } from '../../main/core/ports.js';
import { type Engine, createEngine } from '../../main/engine/engine.js';
import { createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';
import { type Settings, defaultSettings } from '../../main/engine/settings/settings-schema.js';
import { type LabFault, type LabHost } from '../../main/lab/index.js';
import { withQuietLab } from '../support/quiet-lab.js';

const SERVERS = ['EX01', 'EX02', 'EX03'];

function recordingNotifier(): NotifierPort & { shown: DesktopNotification[] } {
  const shown: DesktopNotification[] = [];
  return { shown, notify: async (n) => void shown.push(n) };
}

function makeEngine(host: LabHost, dataDir: string, notifier: NotifierPort | null, settings: Settings = defaultSettings()): Engine {
  const scheduler = createManualScheduler(createFakeClock(new Date(0)));
  return createEngine({ host, settings, dataDir, clock: host.clock, notifier, knowledge: defaultKnowledgeBase(), servers: SERVERS, scheduler });
}

const withLab = (fn: (dir: string, host: LabHost) => Promise<void>) => withQuietLab('month', fn);

/** The script: faults at known hours, and what each must raise (kind, server, diagnosis code). */
const SCRIPT: { hour: number; server: string | null; fault: LabFault; expect?: string }[] = [
  { hour: 24, server: 'EX02', fault: { kind: 'fetch-failing', code: 'signing-cert' }, expect: 'fetch-error EX02 signing-cert' },
  { hour: 48, server: 'EX02', fault: { kind: 'fetch-failing', code: null } },
  { hour: 100, server: 'EX02', fault: { kind: 'fetch-failing', code: 'proxy' }, expect: 'fetch-error EX02 proxy' },
  { hour: 130, server: 'EX02', fault: { kind: 'fetch-failing', code: null } },
  { hour: 200, server: 'EX03', fault: { kind: 'service-stopped' }, expect: 'service-stopped EX03 -' },
  { hour: 230, server: 'EX03', fault: { kind: 'service-started' } },
  { hour: 300, server: 'EX01', fault: { kind: 'service-crash', restart: true }, expect: 'service-crashed EX01 crash' },
  { hour: 400, server: null, fault: { kind: 'org-mitigations-enabled', enabled: false, by: 'contoso.com/Users/Mallory' }, expect: 'org-mitigations-disabled - -' },
  { hour: 420, server: null, fault: { kind: 'org-mitigations-enabled', enabled: true } },
  { hour: 500, server: 'EX01', fault: { kind: 'unreachable', on: true }, expect: 'server-unreachable EX01 -' },
  { hour: 510, server: 'EX01', fault: { kind: 'unreachable', on: false } },
  { hour: 600, server: 'EX02', fault: { kind: 'server-mitigations-enabled', enabled: false, by: 'contoso.com/Users/Mallory' }, expect: 'server-mitigations-disabled EX02 -' },
  // A second stop of EX03 after the first cleared: a new episode, a new alert.
  { hour: 650, server: 'EX03', fault: { kind: 'service-stopped' }, expect: 'service-stopped EX03 -' },
  // A hung service: it reports Running, but no hourly check happens. Only the heartbeat can tell.
  { hour: 660, server: 'EX01', fault: { kind: 'service-silent', on: true }, expect: 'heartbeat-missed EX01 -' },
  { hour: 690, server: 'EX01', fault: { kind: 'service-silent', on: false } },
];

test('a simulated month: every scripted fault gives exactly its alerts, none twice, none lost across a restart', { timeout: 120_000 }, () =>
  withLab(async (dir, host) => {
    const dataDir = join(dir, 'data');
    const notifier = recordingNotifier();
    let engine = makeEngine(host, dataDir, notifier);
    const heartbeatOpen: number[] = [];
    for (let hour = 0; hour < 720; hour += 1) {
      for (const step of SCRIPT.filter((s) => s.hour === hour)) await host.setFault(step.server, step.fault);
      if (hour === 360) {
        await engine.stop();
        engine = makeEngine(host, dataDir, notifier); // a restart: a new engine over the same data folder
      }
      await host.advance(1);
      await engine.pollOnce();
      if (engine.snapshot().openAlerts.some((a) => a.kind === 'heartbeat-missed')) heartbeatOpen.push(hour);
    }
    const alerts = (await engine.journal.read({ types: ['alert'] })).flatMap((r) => (r.type === 'alert' ? [r.alert] : []));
    const got = alerts.map((a) => `${a.kind} ${a.server ?? '-'} ${a.diagnosis?.code ?? '-'}`).sort();
    const expected = SCRIPT.flatMap((s) => (s.expect ? [s.expect] : [])).sort();
    assert.deepEqual(got, expected);
    assert.equal(new Set(alerts.map((a) => a.id)).size, alerts.length, 'no alert id twice');

    // Each alert reached the notifier exactly once (the restart re-notified nothing).
    const notified = notifier.shown.flatMap((n) => n.alertIds).sort();
    assert.deepEqual(notified, alerts.map((a) => a.id).sort());
    // The hung service: Running all along, silent from hour 660. The last check ran during hour 659,
    // so the 120-minute grace ends during hour 661; the first cycle after the hang ends clears it.
    const silentAt = Date.parse('2026-06-15T08:00:00Z') + 660 * 3_600_000;
    const heartbeat = alerts.find((a) => a.kind === 'heartbeat-missed')!;
    const lastCheck = Date.parse(heartbeat.id.split(':-:')[1]!);
    assert.ok(lastCheck < silentAt && lastCheck >= silentAt - 3_600_000, 'the last check named is the one of hour 659');
    assert.ok(Date.parse(heartbeat.time) - lastCheck > 120 * 60_000, `raised ${heartbeat.time}: only after the 120-minute grace`);
    assert.ok(Date.parse(heartbeat.time) - silentAt <= 3 * 3_600_000, `raised ${heartbeat.time}: at the first poll past the grace`);
    assert.match(heartbeat.body, /reports Running/);
    assert.equal(heartbeatOpen[0], 661, 'open from the first poll past the grace');
    assert.equal(heartbeatOpen.at(-1), 689, 'closed by the first cycle after the hang ended');
    assert.equal(heartbeatOpen.length, 29, 'open while the silence lasts, without a gap');
    const drift = alerts.find((a) => a.kind === 'server-mitigations-disabled')!;
    assert.match(drift.body, /Mallory/, 'the drift alert names who made the change');

    // The fetch errors were raised after the second failed cycle, not the first.
    const signing = alerts.find((a) => a.diagnosis?.code === 'signing-cert')!;
    const raisedAt = Date.parse(signing.time);
    const faultAt = Date.parse('2026-06-15T08:00:00Z') + 24 * 3_600_000;
    assert.ok(raisedAt - faultAt >= 2 * 3_600_000 - 60_000 && raisedAt - faultAt <= 3 * 3_600_000, `raised ${signing.time}`);

    // The snapshot carries a month of heartbeat, the last fetch error and its diagnosis.
    const snap = engine.snapshot();
    const ex02 = snap.servers.find((s) => s.name === 'EX02')!;
    assert.equal(ex02.lastFetchError?.diagnosis.code, 'proxy');
    assert.equal(ex02.fetchFailures, 0);
    assert.equal(ex02.heartbeat.length, 31);
    assert.ok(ex02.heartbeat.slice(1, -1).every((d) => d.cycles === 24 && d.missingHours.length === 0), 'a full day holds 24 cycles');
    const ex03 = snap.servers.find((s) => s.name === 'EX03')!;
    assert.ok(ex03.heartbeat.some((d) => d.missingHours.length > 0), 'the stopped service shows missing hours');
    assert.deepEqual(snap.openAlerts.map((a) => a.kind).sort(), ['server-mitigations-disabled', 'service-stopped']);
    assert.equal(snap.status, 'critical');
    await engine.stop();
  }));

test('a crash between journal and notification re-notifies once on start, and never again', { timeout: 60_000 }, () =>
  withLab(async (dir, host) => {
    const dataDir = join(dir, 'data');
    let calledBack!: () => void;
    const called = new Promise<void>((resolve) => (calledBack = resolve));
    const hanging: NotifierPort = { notify: () => (calledBack(), new Promise<void>(() => undefined)) };
    await host.setFault('EX02', { kind: 'service-stopped' });
    await host.advance(1);
    const first = makeEngine(host, dataDir, hanging);
    void first.pollOnce(); // the process "dies" inside the notification: no 'notified' record
    await called;
    const journaled = await first.journal.read({ types: ['alert'] });
    assert.equal(journaled.length, 1, 'the alert was in the journal before the notification went out');

    const second = recordingNotifier();
    const restarted = makeEngine(host, dataDir, second);
    await restarted.ready();
    assert.deepEqual(second.shown.map((n) => n.title), ['Mitigation service is not running on EX02']);
    await host.advance(1);
    await restarted.pollOnce();
    await restarted.stop();

    const third = recordingNotifier();
    const again = makeEngine(host, dataDir, third);
    await again.ready();
    await again.pollOnce();
    await again.stop();
    assert.deepEqual(third.shown, [], 'notified once after the crash, not on every start');
    assert.equal((await again.journal.read({ types: ['alert'] })).length, 1);
  }));

test('a log folder that cannot be read: the snapshot says so once, with the next step; no heartbeat alert is made up', { timeout: 60_000 }, () =>
  withLab(async (dir, host) => {
    const settings = defaultSettings();
    const missing = join(dir, 'no-such-share', 'MitigationService');
    settings.servers = [{ name: 'EX02', logFolder: missing, enabled: true }];
    const engine = makeEngine(host, join(dir, 'data'), null, settings);
    await host.setFault('EX02', { kind: 'service-silent', on: true }); // even a hung service cannot be told from an unread log
    for (let hour = 0; hour < 6; hour += 1) {
      await host.advance(1);
      await engine.pollOnce();
    }
    const ex02 = engine.snapshot().servers.find((s) => s.name === 'EX02')!;
    assert.equal(ex02.logNotes.length, 1, `one note, not one per poll: ${JSON.stringify(ex02.logNotes)}`);
    assert.ok(ex02.logNotes[0]!.includes(`${missing} cannot be read`));
    assert.match(ex02.logNotes[0]!, /heartbeat check .* off/);
    assert.equal(ex02.lastCycleAt, null);
    assert.deepEqual(engine.snapshot().openAlerts, []);
    const ex01 = engine.snapshot().servers.find((s) => s.name === 'EX01')!;
    assert.deepEqual(ex01.logNotes, []);
    assert.ok(ex01.lastCycleAt !== null, 'the other servers are read from the lab as before');
    await mkdir(missing, { recursive: true }); // the share is fixed
    await host.advance(1);
    await engine.pollOnce();
    assert.deepEqual(engine.snapshot().servers.find((s) => s.name === 'EX02')!.logNotes, [], 'the note goes once the folder reads');
    await engine.stop();
  }));
