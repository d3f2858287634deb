/**
 * The alert rules: a pure function from (previous state, current state, new records, memory, now)
 * to what changed in the alerts: new ones, open ones whose words changed (a standing alert counts
 * on), resolved ones (their condition cleared, or a record alert's day is over), and record
 * alerts older than a day read for the first time (history). Every alert kind of contracts.md
 * comes from here; the rules themselves live in alert-server-state.ts and alert-records.ts.
 *
 * "Open" has one meaning everywhere: in the memory's open list (openAlerts). The tray, the header
 * counts, `poll --once` and the Alerts view all read it from there. Acknowledging or snoozing an
 * alert silences its notifications, never this: the condition decides.
 *
 * Ids are deterministic: kind, server, mitigation and a key of the fact (a RecordId, the episode
 * start, the previous collection time). Replaying the same input with the same memory gives the
 * same ids, so the journal can refuse a second copy.
 *
 * Severity (our choice, documented for monitoring users): critical when EEMS cannot protect a
 * server at all (fetch-error, service-stopped, service-crashed, heartbeat-missed, organisation
 * disabled, server-unreachable); warning when something needs an admin's decision but protection
 * still works elsewhere (stale-mitigation, server-mitigations-disabled, mitigation-failed,
 * build-too-old: what is applied keeps working); info for what EEMS did as designed (applied,
 * removed, blocked).
 */
import type { Alert, ServerState } from '../model.js';
import {
  type EvaluateInput,
  type HistoryAlert,
  type ResolvedAlert,
  type RuleContext,
  type RuleMemory,
  clearCondition,
  cond,
  createContext,
  expireRecordAlerts,
  makeAlert,
  raiseCondition,
  refreshAlert,
  serverMemory,
} from './alert-memory.js';
import { evaluateRecords } from './alert-records.js';
import { evaluateOrganization, evaluateServerState, refreshServiceStopped } from './alert-server-state.js';
import { wording } from './alert-wording.js';

export type { FetchMemory } from './alert-fetch.js';
export { ALERT_SEVERITY, EVENT_ALERT_HOURS, emptyRuleMemory, makeAlert } from './alert-memory.js';
export type { EvaluateInput, HistoryAlert, OpenAlert, ResolveReason, ResolvedAlert, RuleMemory, ServerMemory } from './alert-memory.js';

/** What one evaluation changed. */
export interface Evaluation {
  /** Alerts raised for the first time. */
  alerts: Alert[];
  /** Open alerts whose words (count, hours, restart) changed: their newest version. */
  updated: Alert[];
  /** Alerts that left the open list, with when and why. */
  resolved: ResolvedAlert[];
  /** Record alerts older than a day, seen for the first time: for the timeline, never notified. */
  history: HistoryAlert[];
  memory: RuleMemory;
}

function evaluateHeartbeat(ctx: RuleContext, server: ServerState): void {
  const sm = serverMemory(ctx.memory, server.Name);
  const key = cond('heartbeat-missed', server.Name);
  const running = server.Service ? /^running$/i.test(server.Service.Status) : false;
  if (!sm.lastCycleAt || !running) {
    clearCondition(ctx, key);
    return;
  }
  if (!(ctx.input.logEntries[server.Name] !== undefined)) return; // log not read this time: no judgement either way
  // Silence counts from the last cycle, or from a (re)start after it: the first check after a start
  // comes ~10 minutes later, so a service just started is not "silent" since before its stop.
  const since = sm.serviceStartedAt && sm.serviceStartedAt > sm.lastCycleAt ? sm.serviceStartedAt : sm.lastCycleAt;
  const silentMs = ctx.nowMs - Date.parse(since);
  if (silentMs <= ctx.input.options.heartbeatGraceMinutes * 60_000) {
    clearCondition(ctx, key);
    return;
  }
  const last = sm.lastCycleAt;
  const words = () => wording.heartbeatMissed(server.Name, last, Math.floor(silentMs / 3_600_000), since === last ? null : since);
  const alert = raiseCondition(ctx, key, () => makeAlert('heartbeat-missed', server.Name, null, since, words(), ctx.now, null, since));
  refreshAlert(ctx, alert.id, words()); // the hours count on while the silence lasts
}

/**
 * Evaluate every rule over what changed. Only servers in `current.servers` (and servers with new
 * records) are touched, so the engine may pass one server's slice at a time. Never mutates its
 * input memory.
 */
export function evaluate(input: EvaluateInput): Evaluation {
  const ctx = createContext(input);
  evaluateOrganization(ctx);
  for (const server of input.current.servers) {
    const unreachable = cond('server-unreachable', server.Name);
    if (server.Error) {
      const error = server.Error;
      raiseCondition(ctx, unreachable, () => makeAlert('server-unreachable', server.Name, null, ctx.stateKey, wording.unreachable(server.Name, error), ctx.now, null, ctx.now));
    } else {
      clearCondition(ctx, unreachable);
      evaluateServerState(ctx, server);
    }
  }
  const withRecords = new Set([...Object.keys(input.events), ...Object.keys(input.logEntries), ...input.current.servers.map((s) => s.Name)]);
  for (const name of withRecords) evaluateRecords(ctx, name);
  for (const server of input.current.servers) {
    if (server.Error) continue;
    refreshServiceStopped(ctx, server);
    evaluateHeartbeat(ctx, server);
  }
  expireRecordAlerts(ctx);
  return { alerts: ctx.alerts, updated: [...ctx.updated.values()], resolved: ctx.resolved, history: ctx.history, memory: ctx.memory };
}

/** The alerts that are open: conditions that hold and record alerts of the last 24 hours. */
export function openAlerts(memory: RuleMemory): Alert[] {
  return Object.values(memory.open).map((o) => o.alert);
}

/** Is this alert open? The one answer every face (tray, header, poll, Alerts view) uses. */
export function isOpenAlert(memory: RuleMemory | null, alertId: string): boolean {
  return memory !== null && Object.prototype.hasOwnProperty.call(memory.open, alertId);
}

/** When the rules last saw an open alert's condition still true, or null. */
export function lastSeenAt(memory: RuleMemory | null, alertId: string): string | null {
  return memory?.open[alertId]?.lastSeenAt ?? null;
}
