import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type NotificationPolicy, coalesceAlerts, inQuietHours } from '../../../main/core/alerts/alert-coalesce.js';
import { makeAlert } from '../../../main/core/alerts/alert-rules.js';
import { diagnosisFor } from '../../../main/core/diagnosis/diagnosis.js';
import { overallStatus } from '../../../main/core/alerts/overall-status.js';

const policy: NotificationPolicy = { enabled: true, minSeverity: 'warning', quietHours: { enabled: false, start: '22:00', end: '07:00' } };
const now = new Date('2026-06-15T12:00:00Z');
const fetchError = (server: string) => makeAlert('fetch-error', server, null, 'signing-cert@x', { title: `Fetch error on ${server}`, body: 'b' }, now.toISOString(), diagnosisFor('signing-cert'));

test('the same alert on many servers becomes one notification that names them and the cause', () => {
  const alerts = Array.from({ length: 12 }, (_, i) => fetchError(`EX${String(i + 1).padStart(2, '0')}`));
  const { notifications } = coalesceAlerts(alerts, { policy, now, utcOffsetMinutes: 0 });
  assert.equal(notifications.length, 1);
  const n = notifications[0]!;
  assert.equal(n.title, 'Fetch error on 12 servers');
  assert.match(n.body, /^EX01, EX02, EX03, EX04, EX05, \.\.\. \(7 more\) — /);
  assert.ok(n.body.includes(`— ${diagnosisFor('signing-cert').title}. Next step: ${diagnosisFor('signing-cert').fix[0]}`), n.body);
  // Without a diagnosis, the group still says what to do.
  const stopped = ['EX01', 'EX02'].map((s) => makeAlert('service-stopped', s, null, 'k', { title: 't', body: 'b' }, now.toISOString()));
  assert.match(coalesceAlerts(stopped, { policy, now }).notifications[0]!.body, /^EX01, EX02\. Start it with Start-Service MSExchangeMitigation/);
  assert.equal(n.alertIds.length, 12);
  // A different cause is a different notification; a single alert keeps its own words.
  const other = makeAlert('fetch-error', 'EX99', null, 'k', { title: 'Fetch error on EX99: proxy', body: 'proxy body' }, now.toISOString(), diagnosisFor('proxy'));
  const two = coalesceAlerts([...alerts, other], { policy, now, utcOffsetMinutes: 0 }).notifications;
  assert.equal(two.length, 2);
  assert.deepEqual(two.find((x) => x.alertIds[0] === other.id), { title: other.title, body: other.body, alertIds: [other.id], severity: 'critical' });
});

test('acknowledged, snoozed, below-minimum and quiet-hours alerts are held, with the reason', () => {
  const crit = fetchError('EX01');
  const warn = makeAlert('stale-mitigation', 'EX02', 'M2.1.0', 'k', { title: 't', body: 'b' }, now.toISOString());
  const info = makeAlert('mitigation-applied', 'EX03', 'M2.1.0', 'k', { title: 't', body: 'b' }, now.toISOString());
  const held = (opts: Parameters<typeof coalesceAlerts>[1]) => coalesceAlerts([crit, warn, info], opts).held.map((h) => `${h.alertId.split(':')[0]}=${h.reason}`).sort();
  assert.deepEqual(held({ policy, now }), ['mitigation-applied=below-min-severity']);
  assert.deepEqual(held({ policy, now, acked: new Set([crit.id]) }).includes('fetch-error=acknowledged'), true);
  assert.deepEqual(held({ policy, now, snoozedUntil: new Map([[warn.id, '2026-06-15T13:00:00Z']]) }).includes('stale-mitigation=snoozed'), true);
  assert.deepEqual(held({ policy, now, snoozedUntil: new Map([[warn.id, '2026-06-15T11:00:00Z']]) }), ['mitigation-applied=below-min-severity'], 'an expired snooze no longer holds');
  const quiet = { ...policy, quietHours: { enabled: true, start: '22:00', end: '07:00' } };
  const night = new Date('2026-06-15T23:30:00Z');
  const r = coalesceAlerts([crit, warn], { policy: quiet, now: night, utcOffsetMinutes: 0 });
  assert.deepEqual(r.notifications.map((n) => n.severity), ['critical'], 'critical alerts still wake the admin');
  assert.deepEqual(r.held.map((h) => h.reason), ['quiet-hours']);
  assert.equal(inQuietHours(quiet, new Date('2026-06-15T06:59:00Z'), 0), true);
  assert.equal(inQuietHours(quiet, new Date('2026-06-15T07:00:00Z'), 0), false);
  assert.equal(inQuietHours(quiet, new Date('2026-06-15T21:30:00Z'), 60), true, 'quiet hours are in the admin\'s own time zone');
  assert.deepEqual(coalesceAlerts([crit], { policy: { ...policy, enabled: false }, now }).held.map((h) => h.reason), ['disabled']);
});

test('overall status: worst open severity, acknowledged or snoozed alike; unknown when nothing could be read', () => {
  const state = { collectedAt: now.toISOString(), organization: { MitigationsEnabled: true }, servers: [{ Name: 'EX01', MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null }] };
  const warn = makeAlert('stale-mitigation', 'EX01', 'M2', 'k', { title: 't', body: 'b' }, now.toISOString());
  const crit = fetchError('EX01');
  assert.equal(overallStatus({ state, open: [], now }), 'ok');
  assert.equal(overallStatus({ state, open: [warn], now }), 'warning');
  assert.equal(overallStatus({ state, open: [warn, crit], now }), 'critical');
  // Acknowledging silences notifications, never the truth: the tray stays red.
  assert.equal(overallStatus({ state, open: [warn, crit], acked: new Set([crit.id]), now }), 'critical');
  assert.equal(overallStatus({ state, open: [warn, crit], snoozedUntil: new Map([[crit.id, '2099-01-01T00:00:00Z']]), now }), 'critical');
  assert.equal(overallStatus({ state: null, open: [], now }), 'unknown');
  assert.equal(overallStatus({ state: { ...state, servers: [{ ...state.servers[0]!, Error: 'down' }] }, open: [crit], now }), 'unknown');
});
