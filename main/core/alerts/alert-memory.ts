/**
 * What the alert rules remember between evaluations, and the small verbs every rule uses on it:
 * raise a condition, keep it current, clear it, raise a record alert (or file it as history).
 *
 * The memory is plain JSON (the engine persists it beside the bookmarks) and bounded: it holds
 * open alerts and per-server facts only. Whatever leaves `open` during an evaluation is reported
 * as resolved, with why, so the journal keeps each alert's whole life (raised, updated, resolved).
 */
import type { Alert, AlertKind, EemsEvent, LogEntry, Severity, StateDocument, Verdict } from '../model.js';
import type { KnowledgeBase } from '../mitigations/knowledge-base.js';
import { type FetchMemory, emptyFetchMemory } from './alert-fetch.js';

/** Severity of each kind (see alert-rules.ts for why). */
export const ALERT_SEVERITY: Record<AlertKind, Severity> = {
  'mitigation-applied': 'info',
  'mitigation-removed': 'info',
  'mitigation-blocked': 'info',
  'mitigation-failed': 'warning',
  'fetch-error': 'critical',
  'org-mitigations-disabled': 'critical',
  'server-mitigations-disabled': 'warning',
  'service-stopped': 'critical',
  'service-crashed': 'critical',
  'heartbeat-missed': 'critical',
  'stale-mitigation': 'warning',
  'server-unreachable': 'critical',
  'build-too-old': 'warning',
};

/** Alerts about one record (crash, failed apply, applied) stay open this long. */
export const EVENT_ALERT_HOURS = 24;

/** An alert that still counts for the status. `until` null: open while its condition holds. */
export interface OpenAlert {
  alert: Alert;
  until: string | null;
  /** The last evaluation that saw the condition still true (a standing alert stays current). */
  lastSeenAt?: string;
}

/** What the rules remember about one server. */
export interface ServerMemory {
  /** MitigationsApplied / MitigationsBlocked as last announced (seeded silently from the first look). */
  applied: string[];
  blocked: string[];
  seeded: boolean;
  /** Mitigation id -> verdict currently alerted as stale or orphaned. */
  stale: Record<string, Verdict>;
  /** Time of the latest "Fetching mitigations" line seen. */
  lastCycleAt: string | null;
  /**
   * When the service was last seen (re)starting: a "Started MSExchangeMitigation" log line, a 1001
   * event, or a state that shows it Running after one that did not. Its first check runs about 10
   * minutes later (LEARN-EM), so the heartbeat's silence counts from here.
   */
  serviceStartedAt?: string | null;
  /** When the service was last seen stopping (Stopped line, 1002, a 4999 crash), for `since`. */
  serviceStoppedAt?: string | null;
  /** The service Status last seen (to see it come back). */
  serviceStatus?: string | null;
  /** The open crash alert that waits for the service to start again (to say that it did). */
  crash?: { alertId: string; at: string } | null;
  fetch: FetchMemory;
}

/** The rules' memory: plain JSON, persisted by the engine. */
export interface RuleMemory {
  version: 1;
  servers: Record<string, ServerMemory>;
  /** Condition key ("service-stopped|EX01|") -> id of the open alert for it. */
  conditions: Record<string, string>;
  open: Record<string, OpenAlert>;
}

/** Why an alert left the open list. */
export type ResolveReason = 'cleared' | 'expired' | 'replaced';

/** An alert that left the open list during an evaluation. */
export interface ResolvedAlert {
  alertId: string;
  /** ISO time it resolved: now for a cleared condition, the end of its 24 hours for a record alert. */
  at: string;
  reason: ResolveReason;
  lastSeenAt: string | null;
}

/** A record alert older than a day, read for the first time: history, never news. */
export interface HistoryAlert {
  alert: Alert;
  resolvedAt: string;
}

/** An empty memory (first start). */
export function emptyRuleMemory(): RuleMemory {
  return { version: 1, servers: {}, conditions: {}, open: {} };
}

/** Input of evaluate. */
export interface EvaluateInput {
  previous: StateDocument | null;
  current: StateDocument;
  /**
   * New records per server. A server that has a key here (even with an empty list) had its events
   * or its log READ this cycle; a server without one was not read (unreachable, log unreadable), so
   * its silence says nothing: no fetch episode ends and no heartbeat is judged on it.
   */
  events: Record<string, EemsEvent[]>;
  logEntries: Record<string, LogEntry[]>;
  knowledge: KnowledgeBase;
  now: Date;
  memory: RuleMemory;
  options: { heartbeatGraceMinutes: number; fetchErrorThreshold: number };
}

/** What one evaluation collects while the rules run. */
export interface RuleContext {
  input: EvaluateInput;
  /** Key for facts seen by comparing two collections: the previous collection's time. */
  stateKey: string;
  memory: RuleMemory;
  /** Now, ISO. */
  now: string;
  nowMs: number;
  alerts: Alert[];
  /** Open alerts whose words changed (a standing alert that counts on). */
  updated: Map<string, Alert>;
  resolved: ResolvedAlert[];
  history: HistoryAlert[];
}

/** A fresh context over a copy of the input's memory (the input is never mutated). */
export function createContext(input: EvaluateInput): RuleContext {
  const memory = structuredClone(input.memory?.version === 1 ? input.memory : emptyRuleMemory());
  const stateKey = input.previous?.collectedAt ?? 'first';
  return { input, stateKey, memory, now: input.now.toISOString(), nowMs: input.now.getTime(), alerts: [], updated: new Map(), resolved: [], history: [] };
}

/** Were this server's events or log read in this evaluation (see EvaluateInput.events)? */
export function wasRead(ctx: RuleContext, server: string): boolean {
  return ctx.input.events[server] !== undefined || ctx.input.logEntries[server] !== undefined;
}

/** The key of a condition: kind, server and mitigation. */
export const cond = (kind: AlertKind, server: string | null, mitigation: string | null = null): string => `${kind}|${server ?? ''}|${mitigation ?? ''}`;

/** Build an alert with its deterministic id. `since`: when the problem began (null: unknown). */
export function makeAlert(
  kind: AlertKind,
  server: string | null,
  mitigation: string | null,
  key: string,
  words: { title: string; body: string },
  time: string,
  diagnosis: Alert['diagnosis'] = null,
  since: string | null = null,
): Alert {
  const id = `${kind}:${server ?? '-'}:${mitigation ?? '-'}:${key}`;
  return { id, kind, severity: ALERT_SEVERITY[kind], server, mitigation, title: words.title, body: words.body, diagnosis, time, since };
}

/** Raise the alert of a condition once; while it holds, each call marks it seen again. */
export function raiseCondition(ctx: RuleContext, condition: string, build: () => Alert): Alert {
  const existing = ctx.memory.conditions[condition];
  const open = existing === undefined ? undefined : ctx.memory.open[existing];
  if (open) {
    open.lastSeenAt = ctx.now;
    return open.alert;
  }
  const alert = build();
  ctx.memory.conditions[condition] = alert.id;
  ctx.memory.open[alert.id] = { alert, until: null, lastSeenAt: ctx.now };
  ctx.alerts.push(alert);
  return alert;
}

/** The open alert of a condition, or null. */
export function conditionAlert(ctx: RuleContext, condition: string): OpenAlert | null {
  const id = ctx.memory.conditions[condition];
  return id === undefined ? null : (ctx.memory.open[id] ?? null);
}

/**
 * Keep an open alert current: new words (and diagnosis, since) replace the old ones. Reported as
 * updated only when something an admin reads changed, so a standing alert adds one journal line
 * per change (a failed cycle), not one per poll.
 */
export function refreshAlert(ctx: RuleContext, alertId: string, change: Partial<Pick<Alert, 'title' | 'body' | 'diagnosis' | 'since'>>): void {
  const open = ctx.memory.open[alertId];
  if (!open) return;
  const next = { ...open.alert, ...change };
  open.lastSeenAt = ctx.now;
  if (JSON.stringify(next) === JSON.stringify(open.alert)) return;
  open.alert = next;
  // A raise and a change in the same evaluation is one new alert with the newest words.
  const fresh = ctx.alerts.findIndex((a) => a.id === alertId);
  if (fresh >= 0) ctx.alerts[fresh] = next;
  else ctx.updated.set(alertId, next);
}

/** The condition no longer holds (or another alert replaces it): its alert resolves. */
export function clearCondition(ctx: RuleContext, condition: string, reason: ResolveReason = 'cleared'): void {
  const id = ctx.memory.conditions[condition];
  if (id === undefined) return;
  const open = ctx.memory.open[id];
  if (open) ctx.resolved.push({ alertId: id, at: ctx.now, reason, lastSeenAt: open.lastSeenAt ?? null });
  delete ctx.memory.open[id];
  delete ctx.memory.conditions[condition];
  ctx.updated.delete(id);
}

/**
 * An alert about one record: open for a day from the record's time. A record older than that (a
 * first read of a month of log, a restart after days) is history: kept for the timeline, resolved
 * at the end of its day, never notified.
 */
export function raiseRecordAlert(ctx: RuleContext, alert: Alert, recordTime: string): void {
  const untilMs = Date.parse(recordTime) + EVENT_ALERT_HOURS * 3_600_000;
  if (ctx.memory.open[alert.id] || ctx.alerts.some((a) => a.id === alert.id)) return;
  if (!(untilMs > ctx.nowMs)) {
    if (Number.isFinite(untilMs) && !ctx.history.some((h) => h.alert.id === alert.id)) ctx.history.push({ alert, resolvedAt: new Date(untilMs).toISOString() });
    return;
  }
  ctx.memory.open[alert.id] = { alert, until: new Date(untilMs).toISOString(), lastSeenAt: ctx.now };
  ctx.alerts.push(alert);
}

/** Record alerts whose day is over leave the open list (resolved at the end of their day). */
export function expireRecordAlerts(ctx: RuleContext): void {
  for (const [id, open] of Object.entries(ctx.memory.open)) {
    if (open.until === null || Date.parse(open.until) > ctx.nowMs) continue;
    ctx.resolved.push({ alertId: id, at: open.until, reason: 'expired', lastSeenAt: open.lastSeenAt ?? null });
    delete ctx.memory.open[id];
    ctx.updated.delete(id);
  }
}

/** The memory of one server (created on first use). */
export function serverMemory(memory: RuleMemory, name: string): ServerMemory {
  let sm = memory.servers[name];
  if (!sm) {
    sm = { applied: [], blocked: [], seeded: false, stale: {}, lastCycleAt: null, fetch: emptyFetchMemory() };
    memory.servers[name] = sm;
  }
  return sm;
}
