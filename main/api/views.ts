/**
 * The read-only views of the API built from an engine snapshot: the Servers overview, the
 * heartbeat grids and the diagnostics page. Pure functions of (snapshot, knowledge, mutes, now).
 */
import { formatBuild, nameBuild, serverBuild } from '../core/mitigations/builds.js';
import { findMitigation, type KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { AdminAuditEntry, Alert, OverallStatus, ServerState } from '../core/model.js';
import type { EngineSnapshot, ServerSnapshot } from '../engine/engine-types.js';
import type { BuildView, DiagnosticsView, FetchErrorView, MitigationView, Overview, ServerView } from './eems-api.js';
import { attentionOf, overviewCounts, serverIssues, type Mutes } from './server-issues.js';

export type { Mutes };

const RANK: Record<OverallStatus, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

function buildView(state: ServerState | null, kb: KnowledgeBase): BuildView {
  if (!state) return { short: 'not read yet', label: 'not read yet', version: null, source: 'none', note: null, exact: false };
  const sb = serverBuild(state);
  if (!sb.build) return { short: 'unknown', label: 'unknown build', version: null, source: sb.source, note: sb.note, exact: false };
  const name = nameBuild(sb.build, kb);
  const nearest = name.exact ? null : `Not in the build table: named after the nearest known build below it.`;
  return { short: name.short, label: name.label, version: formatBuild(sb.build), source: sb.source, note: [sb.note, nearest].filter(Boolean).join(' ') || null, exact: name.exact };
}

export function fetchErrorView(s: ServerSnapshot): FetchErrorView | null {
  const e = s.lastFetchError;
  return e ? { message: e.text, at: e.time, diagnosis: e.diagnosis, ongoing: s.fetchFailures > 0 } : null;
}

function effective(org: boolean | null | undefined, server: boolean | null | undefined): ServerView['effective'] {
  if (org === null || org === undefined || server === null || server === undefined) return 'unknown';
  if (org && server) return 'enabled';
  if (!org && !server) return 'disabled';
  return org ? 'disabled-server' : 'disabled-org';
}

function mitigationViews(s: ServerSnapshot, kb: KnowledgeBase): MitigationView[] {
  return s.verdicts.map((v) => {
    const entry = findMitigation(kb, v.family) ?? findMitigation(kb, v.id);
    return { ...v, title: entry?.title ?? null, cve: entry?.cve ?? null, protectsAgainst: entry?.protectsAgainst ?? null, userImpact: entry?.userImpact ?? null };
  });
}

/**
 * Acknowledging or snoozing an alert silences its notifications, never the truth (issue 13,
 * point 2): a row keeps its real status and the header counts every open alert, as the tray and
 * `poll --once` do. The row says "acknowledged" beside it (ServerView.alerts).
 */
function serverStatus(s: ServerSnapshot, alerts: Alert[]): { status: OverallStatus; text: string } {
  const error = s.pollError ?? s.state?.Error ?? null;
  if (!s.state && !error) return { status: 'unknown', text: 'not read yet' };
  const open = alerts.filter((a) => a.server !== null && a.server.toLowerCase() === s.name.toLowerCase()); // acked or not: see the note above
  let worst: OverallStatus = error ? 'critical' : 'ok';
  for (const a of open) if (a.severity !== 'info' && RANK[a.severity] > RANK[worst]) worst = a.severity;
  const texts = open.filter((a) => a.severity !== 'info').map((a) => a.title);
  if (error) texts.unshift('cannot be read');
  return { status: worst, text: texts.length > 0 ? texts.slice(0, 2).join('; ') + (texts.length > 2 ? ` (+${texts.length - 2})` : '') : 'fine' };
}

/** One server's row of the overview (also the head of its page). */
export function buildServerView(snap: EngineSnapshot, s: ServerSnapshot, kb: KnowledgeBase, mutes: Mutes, now: Date): ServerView {
  const org = snap.state?.organization.MitigationsEnabled ?? null;
  const status = serverStatus(s, snap.openAlerts);
  const fetchError = fetchErrorView(s);
  const view: ServerView = {
    name: s.name,
    fqdn: s.state?.Fqdn ?? null,
    build: buildView(s.state, kb),
    mitigationsEnabled: s.state?.MitigationsEnabled ?? null,
    effective: effective(org, s.state?.MitigationsEnabled),
    service: s.state?.Service ?? null,
    lastCycleAt: s.lastCycleAt,
    collectedAt: s.collectedAt,
    status: status.status,
    statusText: status.text,
    error: s.pollError ?? s.state?.Error ?? null,
    lastFetchError: fetchError?.ongoing ? fetchError : null,
    applied: s.state?.MitigationsApplied ?? [],
    blocked: s.state?.MitigationsBlocked ?? [],
    mitigations: mitigationViews(s, kb),
  };
  view.issues = serverIssues(view, s, snap.openAlerts, mutes, kb, now);
  view.attention = attentionOf(view.issues);
  return view;
}

/** The newest audited change of the organisation's MitigationsEnabled (who turned it off, and when). */
function orgLastChange(snap: EngineSnapshot): AdminAuditEntry | null {
  const entries = (snap.state?.organization.AuditEntries ?? []).filter((e) => Object.keys(e.Parameters ?? {}).some((k) => /^MitigationsEnabled$/i.test(k)));
  return entries.sort((a, b) => b.RunDate.localeCompare(a.RunDate))[0] ?? null;
}

/** The Servers view of a snapshot. */
export function buildOverview(snap: EngineSnapshot, kb: KnowledgeBase, mutes: Mutes, now: Date): Overview {
  const org = snap.state?.organization.MitigationsEnabled ?? null;
  const servers = snap.servers.map((s) => buildServerView(snap, s, kb, mutes, now));
  const openAlerts = snap.openAlerts.length;
  return {
    generatedAt: now.toISOString(),
    collectedAt: snap.state?.collectedAt ?? null,
    lastPollAt: snap.lastPollAt,
    polling: snap.polling,
    status: snap.status,
    organization: { MitigationsEnabled: org },
    servers,
    openAlerts,
    counts: overviewCounts(servers),
    orgLastChange: orgLastChange(snap),
    dataNotes: snap.dataNotes.length,
  };
}

/** The heartbeat picture now lives in heartbeat-view.ts (the alerts area); re-exported for callers. */
export { buildHeartbeat } from './heartbeat-view.js';

function isMitigationAudit(e: AdminAuditEntry): boolean {
  return Object.keys(e.Parameters ?? {}).some((k) => /^Mitigations/i.test(k));
}

/** The Diagnostics view of a snapshot. */
export function buildDiagnostics(snap: EngineSnapshot, server?: string): DiagnosticsView {
  const wanted = snap.servers.filter((s) => !server || s.name.toLowerCase() === server.toLowerCase());
  const org = snap.state?.organization;
  const entries = [...(org?.AuditEntries ?? []), ...(snap.state?.servers ?? []).flatMap((s) => s.AuditEntries ?? [])].filter(isMitigationAudit);
  const seen = new Set<string>();
  const drift = entries
    .filter((e) => {
      const key = JSON.stringify([e.Caller, e.CmdletName, e.ObjectModified, e.RunDate, e.Parameters]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => b.RunDate.localeCompare(a.RunDate));
  return {
    servers: wanted.map((s) => ({ name: s.name, error: s.pollError ?? s.state?.Error ?? null, lastFetchError: fetchErrorView(s) })),
    organization: { MitigationsEnabled: snap.state?.organization.MitigationsEnabled ?? null, drift },
    dataNotes: [...snap.dataNotes],
  };
}
