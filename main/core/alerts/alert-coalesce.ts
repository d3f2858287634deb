/**
 * Turns new alerts into desktop notifications: the same alert on many servers becomes one
 * notification that names them ("Fetch error on 12 servers"), and the admin's choices hold
 * (notifications off, minimum severity, quiet hours, acknowledged and snoozed alerts). Pure: the
 * settings and the time come in.
 *
 * Quiet hours (design decision): they hold info and warning notifications, never critical ones. A
 * critical alert means EEMS cannot protect a server (fetch failing, service down or crashed, no
 * hourly check, mitigations turned off for the organisation, a server we cannot read), which an
 * admin on call must hear about at night. Held alerts are not replayed when quiet hours end: they
 * are in the timeline (journal, marked held: quiet-hours) and colour the status as usual.
 */
import type { Alert, AlertKind, Severity } from '../model.js';
import type { DesktopNotification } from '../ports.js';

/** settings.notifications of the settings schema. Quiet hours never hold a critical alert. */
export interface NotificationPolicy {
  enabled: boolean;
  minSeverity: Severity;
  quietHours: { enabled: boolean; start: string; end: string };
}

export type HoldReason = 'disabled' | 'below-min-severity' | 'quiet-hours' | 'acknowledged' | 'snoozed';

/** Options of coalesceAlerts. */
export interface CoalesceOptions {
  policy: NotificationPolicy;
  now: Date;
  acked?: ReadonlySet<string>;
  snoozedUntil?: ReadonlyMap<string, string>;
  /** Minutes east of UTC of the admin's clock (quiet hours are local); default: this process's zone. */
  utcOffsetMinutes?: number;
  /** How many server names a notification spells out before "and N more". */
  maxNamed?: number;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** What a group of the same alert on several servers is called. */
const GROUP_TITLE: Record<AlertKind, (n: number, mitigation: string | null) => string> = {
  'mitigation-applied': (n, m) => `EEMS applied ${m ?? 'a mitigation'} on ${n} servers`,
  'mitigation-removed': (n, m) => `${m ?? 'A mitigation'} is no longer applied on ${n} servers`,
  'mitigation-blocked': (n, m) => `${m ?? 'A mitigation'} blocked on ${n} servers`,
  'mitigation-failed': (n, m) => `EEMS could not apply ${m ?? 'a mitigation'} on ${n} servers`,
  'fetch-error': (n) => `Fetch error on ${n} servers`,
  'org-mitigations-disabled': () => 'Emergency mitigations are turned off for the organisation',
  'server-mitigations-disabled': (n) => `Emergency mitigations are turned off on ${n} servers`,
  'service-stopped': (n) => `Mitigation service is not running on ${n} servers`,
  'service-crashed': (n) => `Mitigation service crashed on ${n} servers`,
  'heartbeat-missed': (n) => `No EEMS check on ${n} servers`,
  'stale-mitigation': (n, m) => `${m ?? 'A mitigation'} is stale or orphaned on ${n} servers`,
  'server-unreachable': (n) => `Cannot read ${n} servers`,
  'build-too-old': (n) => `${n} servers can no longer receive new mitigations (build too old)`,
};

/** The next step of a group when its diagnosis gives none. */
const GROUP_NEXT: Record<AlertKind, string> = {
  'mitigation-applied': 'Check that OWA and the other protocols still work as users expect.',
  'mitigation-removed': "Run 'eems-watch stale' to see whether its artefacts are safe to remove.",
  'mitigation-blocked': 'Blocking does not remove a mitigation already applied.',
  'mitigation-failed': 'Read the Mitigation Service log of each server and run Get-Mitigations.ps1.',
  'fetch-error': 'Open one of the servers for the diagnosis and its fix.',
  'org-mitigations-disabled': 'To turn it back on: Set-OrganizationConfig -MitigationsEnabled $true.',
  'server-mitigations-disabled': 'To turn it back on: Set-ExchangeServer -Identity <server> -MitigationsEnabled $true.',
  'service-stopped': 'Start it with Start-Service MSExchangeMitigation and set its start type to Automatic.',
  'service-crashed': 'Open one of the servers for the exception and the next step.',
  'heartbeat-missed': 'Restart the service (Restart-Service MSExchangeMitigation) and read its log.',
  'stale-mitigation': 'Open a server to review a removal plan.',
  'server-unreachable': 'Check that the servers are up and that remote PowerShell works; EEMS Watch keeps trying.',
  'build-too-old': 'Install the June 2026 update (Jun26SU) or a later one on each of them.',
};

function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Is `now` inside the quiet hours (which may span midnight, 22:00-07:00)? */
export function inQuietHours(policy: NotificationPolicy, now: Date, utcOffsetMinutes = -now.getTimezoneOffset()): boolean {
  if (!policy.quietHours.enabled) return false;
  const local = (((now.getUTCHours() * 60 + now.getUTCMinutes() + utcOffsetMinutes) % 1440) + 1440) % 1440;
  const start = minutesOfDay(policy.quietHours.start);
  const end = minutesOfDay(policy.quietHours.end);
  if (start === end) return false;
  return start < end ? local >= start && local < end : local >= start || local < end;
}

function holdReason(alert: Alert, options: CoalesceOptions, quiet: boolean): HoldReason | null {
  if (!options.policy.enabled) return 'disabled';
  if (options.acked?.has(alert.id)) return 'acknowledged';
  const snooze = options.snoozedUntil?.get(alert.id);
  if (snooze !== undefined && Date.parse(snooze) > options.now.getTime()) return 'snoozed';
  if (RANK[alert.severity] < RANK[options.policy.minSeverity]) return 'below-min-severity';
  // Quiet hours hold everything but critical alerts: an organisation left unprotected still wakes.
  if (quiet && alert.severity !== 'critical') return 'quiet-hours';
  return null;
}

function groupKey(alert: Alert): string {
  return [alert.kind, alert.mitigation ?? '', alert.diagnosis?.code ?? '', alert.severity].join('|');
}

function worded(group: Alert[], maxNamed: number): DesktopNotification {
  const first = group[0]!;
  const ids = group.map((a) => a.id);
  if (group.length === 1) return { title: first.title, body: first.body, alertIds: ids, severity: first.severity };
  const names = [...new Set(group.map((a) => a.server ?? 'organisation'))];
  const shown = names.slice(0, maxNamed).join(', ');
  const more = names.length > maxNamed ? `, ... (${names.length - maxNamed} more)` : '';
  const about = first.diagnosis ? ` — ${first.diagnosis.title}` : '';
  const next = first.diagnosis?.fix[0] ? `Next step: ${first.diagnosis.fix[0]}` : GROUP_NEXT[first.kind];
  return { title: GROUP_TITLE[first.kind](names.length, first.mitigation), body: `${shown}${more}${about}. ${next}`, alertIds: ids, severity: first.severity };
}

/**
 * Coalesce new alerts into notifications, most severe first. Alerts that are held (and why) come
 * back too, so the caller can record that they were decided on.
 */
export function coalesceAlerts(alerts: readonly Alert[], options: CoalesceOptions): { notifications: DesktopNotification[]; held: { alertId: string; reason: HoldReason }[] } {
  const quiet = inQuietHours(options.policy, options.now, options.utcOffsetMinutes);
  const held: { alertId: string; reason: HoldReason }[] = [];
  const groups = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const reason = holdReason(alert, options, quiet);
    if (reason) {
      held.push({ alertId: alert.id, reason });
      continue;
    }
    const key = groupKey(alert);
    const group = groups.get(key) ?? [];
    if (!group.some((a) => a.id === alert.id)) group.push(alert);
    groups.set(key, group);
  }
  const notifications = [...groups.values()].map((g) => worded(g, options.maxNamed ?? 5));
  notifications.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  return { notifications, held };
}
