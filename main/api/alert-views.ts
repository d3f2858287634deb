/**
 * The alerts as the API shows them: each journal alert with whether it is open (the rules'
 * memory decides, through the engine snapshot: the same list the tray, the header and
 * `poll --once` count), when its problem began, when it resolved, who acknowledged it and when
 * its condition was last seen; and, per server, the open alerts a row shows beside its verdict.
 */
import type { EngineSnapshot } from '../engine/engine-types.js';
import type { AlertView as JournalAlertView } from '../engine/journal.js';
import type { AlertSummary, AlertView } from './eems-api.js';

/** One journal alert for the API. Open is what the snapshot's open list says, nothing else. */
export function toApiAlertView(a: JournalAlertView, snap: EngineSnapshot): AlertView {
  const open = snap.openAlerts.some((o) => o.id === a.id);
  return {
    id: a.id,
    kind: a.kind,
    severity: a.severity,
    server: a.server,
    mitigation: a.mitigation,
    title: a.title,
    body: a.body,
    diagnosis: a.diagnosis,
    time: a.time,
    acked: a.acked,
    ackedAt: a.ackedAt,
    snoozedUntil: a.snoozedUntil,
    state: open ? 'open' : 'resolved',
    since: a.since ?? null,
    // An alert the memory no longer holds but the journal has no resolution for (a state reset): resolved, time unknown.
    resolvedAt: open ? null : (a.resolvedAt ?? null),
    ackedBy: a.ackedBy,
    lastSeenAt: open ? (snap.alertLastSeen[a.id] ?? null) : (a.resolvedLastSeenAt ?? null),
  };
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Open alerts first, critical first, then the newest problem first. */
export function sortAlertViews(views: AlertView[]): AlertView[] {
  return [...views].sort(
    (a, b) =>
      Number(a.state !== 'open') - Number(b.state !== 'open') ||
      (a.state === 'open' ? RANK[a.severity] - RANK[b.severity] : 0) ||
      (b.since ?? b.time).localeCompare(a.since ?? a.time),
  );
}

/** Per server (lower-case name), its open alerts with what the admin did about them, critical first. */
export function alertSummaries(snap: EngineSnapshot, journal: JournalAlertView[]): Map<string, AlertSummary[]> {
  const byId = new Map(journal.map((a) => [a.id, a]));
  const out = new Map<string, AlertSummary[]>();
  for (const alert of snap.openAlerts) {
    if (alert.server === null) continue;
    const j = byId.get(alert.id);
    const key = alert.server.toLowerCase();
    const list = out.get(key) ?? [];
    list.push({
      id: alert.id,
      kind: alert.kind,
      severity: alert.severity,
      title: alert.title,
      since: alert.since ?? null,
      acked: j?.acked ?? false,
      ackedAt: j?.ackedAt ?? null,
      ackedBy: j?.ackedBy ?? null,
      snoozedUntil: j?.snoozedUntil ?? null,
    });
    out.set(key, list);
  }
  for (const list of out.values()) list.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  return out;
}
