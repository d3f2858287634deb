/**
 * What is wrong, or worth knowing, on each server, in words that read the same on every server
 * (so 50 servers with the same problem make one line of the overview), each with its next step:
 * a one-click plan when the API offers one, else a link to where the fix is explained.
 */
import { compareBuilds, nameBuild, parseBuild, serverBuild } from '../core/mitigations/builds.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { Alert, MitigationVerdict, Severity, Verdict } from '../core/model.js';
import type { ServerSnapshot } from '../engine/engine-types.js';
import { API_METHODS, type IssueAction, type IssueGroup, type OverviewCounts, type ServerIssue, type ServerView } from './eems-api.js';

/** Acknowledged alert ids and snooze ends (journal.mutes()). */
export interface Mutes {
  acked: ReadonlySet<string>;
  snoozedUntil: ReadonlyMap<string, string>;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** True when this version of the API has the method (plans other engineers add appear by themselves). */
export function apiHasMethod(method: string): boolean {
  return Object.prototype.hasOwnProperty.call(API_METHODS, method);
}

function plan(label: string, method: string, input: Record<string, string>): IssueAction | null {
  return apiHasMethod(method) ? { kind: 'plan', label, method, input } : null;
}

const page = (server: string, label = 'Open the server page'): IssueAction => ({ kind: 'link', label, href: `#server=${server}` });

/** Words for open alerts that the state checks below do not already cover. */
const ALERT_WORDS: Partial<Record<Alert['kind'], string>> = {
  'heartbeat-missed': 'hourly EEMS cycles missed',
  'service-crashed': 'the mitigation service crashed',
  'mitigation-failed': 'a mitigation failed to apply',
  'mitigation-applied': 'EEMS applied a mitigation',
  'mitigation-removed': 'EEMS removed a mitigation',
  'mitigation-blocked': 'a mitigation was blocked',
};
/** Kinds whose condition the state checks report themselves (one line per problem, not two). */
const COVERED = new Set<string>(['fetch-error', 'service-stopped', 'server-mitigations-disabled', 'stale-mitigation', 'server-unreachable', 'org-mitigations-disabled']);

function muteOf(alert: Alert, mutes: Mutes, now: Date): ServerIssue['muted'] {
  if (mutes.acked.has(alert.id)) return 'acknowledged';
  const until = mutes.snoozedUntil.get(alert.id);
  return until !== undefined && Date.parse(until) > now.getTime() ? 'snoozed' : null;
}

/** Between the CVE's fixed build and Microsoft's removal guidance: fixed, but keep it (K1). */
function keptUntil(s: ServerSnapshot, v: MitigationVerdict, kb: KnowledgeBase): string | null {
  if (v.verdict !== 'active' || !v.fixedIn || !v.removableFrom || !s.state) return null;
  const build = serverBuild(s.state).build;
  const fixed = parseBuild(v.fixedIn);
  const removable = parseBuild(v.removableFrom);
  if (!build || !fixed || !removable || compareBuilds(build, fixed) < 0 || compareBuilds(build, removable) >= 0) return null;
  const name = nameBuild(removable, kb);
  // Only a row of the build table names it; between rows the nearest name would be wrong.
  return name.exact ? (name.update ?? name.short) : v.removableFrom;
}

const REMOVABLE_WORDS: Partial<Record<Verdict, string>> = {
  'stale-applied': 'still applied although the fix is installed',
  'orphan-artefact': 'left an orphaned rule, the fix is installed',
};

function verdictIssues(server: string, s: ServerSnapshot, kb: KnowledgeBase): ServerIssue[] {
  const out: ServerIssue[] = [];
  for (const v of s.verdicts) {
    if (v.removable) {
      out.push({ key: `removable:${v.family}`, level: 'action', severity: 'warning', title: `${v.family} can be removed: ${REMOVABLE_WORDS[v.verdict] ?? v.verdict}`, detail: v.reason, action: plan(`Remove ${v.id}…`, 'planRemoval', { server, mitigation: v.id }) ?? page(server) });
    } else if (v.verdict === 'orphan-unfixed') {
      out.push({ key: `exposed:${v.family}`, level: 'action', severity: 'critical', title: `${v.family} rule left behind, fix NOT installed: keep it, install the update`, detail: v.reason, action: page(server) });
    } else if (v.verdict === 'blocked') {
      out.push({ key: `blocked:${v.family}`, level: 'watch', severity: 'info', title: `${v.family} is blocked (MitigationsBlocked)`, detail: v.reason, action: plan(`Unblock ${v.id}…`, 'planUnblock', { server, mitigation: v.id }) });
    } else {
      const until = keptUntil(s, v, kb);
      if (until) out.push({ key: `kept:${v.family}`, level: 'watch', severity: 'info', title: `${v.family}: fix installed, Microsoft advises keeping it until ${until}`, detail: v.reason, action: null });
    }
  }
  return out;
}

function stateIssues(view: ServerView, s: ServerSnapshot): ServerIssue[] {
  const server = view.name;
  const out: ServerIssue[] = [];
  if (view.error) out.push({ key: 'unreadable', level: 'action', severity: 'critical', title: 'cannot be read', detail: view.error, action: page(server) });
  else if (!s.state) out.push({ key: 'not-read', level: 'watch', severity: 'info', title: 'not read yet', detail: null, action: null });
  if (view.lastFetchError) {
    const d = view.lastFetchError.diagnosis;
    out.push({ key: `fetch:${d?.code ?? 'unknown'}`, level: 'action', severity: 'critical', title: `fetches fail: ${d?.title ?? 'an error the diagnosis does not know'}`, detail: view.lastFetchError.message, action: page(server, 'Diagnosis and fix') });
  }
  const svc = view.service;
  if (svc && (svc.Status !== 'Running' || svc.StartType !== 'Automatic')) {
    const running = svc.Status === 'Running';
    out.push({
      key: running ? 'service-start-type' : 'service',
      level: 'action',
      severity: running ? 'warning' : 'critical',
      title: running ? `MSExchangeMitigation start type is ${svc.StartType}, not Automatic` : `MSExchangeMitigation is ${svc.Status}: no hourly checks`,
      detail: `Status ${svc.Status}, start type ${svc.StartType}. HealthChecker expects Running and Automatic.`,
      action: running ? page(server) : (plan('Start the service…', 'planStartService', { server }) ?? page(server)),
    });
  }
  if (view.mitigationsEnabled === false) {
    out.push({ key: 'server-disabled', level: 'action', severity: 'warning', title: 'MitigationsEnabled is False on this server', detail: 'EEMS applies nothing on this server until it is True again.', action: plan('Re-enable on this server…', 'planServerReenable', { server }) ?? page(server) });
  }
  return out;
}

function alertIssues(server: string, alerts: Alert[], mutes: Mutes, now: Date, have: ServerIssue[]): ServerIssue[] {
  const out: ServerIssue[] = [];
  const mine = alerts.filter((a) => a.server !== null && a.server.toLowerCase() === server.toLowerCase());
  for (const a of mine) {
    const muted = muteOf(a, mutes, now);
    // A covered kind only lends its mute to the state issue it stands for.
    if (COVERED.has(a.kind)) {
      const twin = have.find((i) => (a.kind === 'stale-mitigation' && i.key.startsWith('removable:')) || (a.kind === 'fetch-error' && i.key.startsWith('fetch:')) || (a.kind === 'service-stopped' && i.key === 'service'));
      if (twin && muted) twin.muted = muted;
      continue;
    }
    const key = `alert:${a.kind}`;
    if (out.some((i) => i.key === key) || a.severity === 'info') continue;
    out.push({ key, level: 'action', severity: a.severity, title: ALERT_WORDS[a.kind] ?? a.kind.replaceAll('-', ' '), detail: a.title, action: page(server), muted });
  }
  return out;
}

/** Every issue of one server, worst first. */
export function serverIssues(view: ServerView, s: ServerSnapshot, alerts: Alert[], mutes: Mutes, kb: KnowledgeBase, now: Date): ServerIssue[] {
  const have = [...stateIssues(view, s), ...verdictIssues(view.name, s, kb)];
  const all = [...have, ...alertIssues(view.name, alerts, mutes, now, have)];
  return all.sort((a, b) => (a.level === b.level ? 0 : a.level === 'action' ? -1 : 1) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/** 'action' when something is to be done, 'watch' when only worth knowing, else 'fine'. */
export function attentionOf(issues: readonly ServerIssue[]): 'action' | 'watch' | 'fine' {
  if (issues.some((i) => i.level === 'action')) return 'action';
  return issues.length > 0 ? 'watch' : 'fine';
}

/** The same problem across servers, worst and most common first. */
export function groupIssues(servers: readonly ServerView[]): IssueGroup[] {
  const groups = new Map<string, IssueGroup>();
  for (const s of servers) {
    for (const i of s.issues ?? []) {
      const g = groups.get(i.key) ?? { key: i.key, level: i.level, severity: i.severity, title: i.title, servers: [] };
      if (SEVERITY_RANK[i.severity] > SEVERITY_RANK[g.severity]) g.severity = i.severity;
      if (!g.servers.includes(s.name)) g.servers.push(s.name);
      groups.set(i.key, g);
    }
  }
  return [...groups.values()].sort(
    (a, b) => (a.level === b.level ? 0 : a.level === 'action' ? -1 : 1) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.servers.length - a.servers.length || a.key.localeCompare(b.key),
  );
}

/** The counts at the top of the overview. */
export function overviewCounts(servers: readonly ServerView[]): OverviewCounts {
  const verdicts: Partial<Record<Verdict, number>> = {};
  let removable = 0;
  for (const s of servers) {
    for (const m of s.mitigations) {
      verdicts[m.verdict] = (verdicts[m.verdict] ?? 0) + 1;
      if (m.removable) removable += 1;
    }
  }
  const count = (a: string) => servers.filter((s) => s.attention === a).length;
  return { servers: servers.length, needAction: count('action'), watch: count('watch'), fine: count('fine'), verdicts, removable, groups: groupIssues(servers) };
}
