/**
 * The alert rules: a pure function from (previous state, current state, new records, memory, now)
 * to new alerts and the next memory. Every alert kind of contracts.md comes from here.
 *
 * Ids are deterministic: kind, server, mitigation and a key of the fact (a RecordId, the episode
 * start, the previous collection time). Replaying the same input with the same memory gives the
 * same ids, so the journal can refuse a second copy. The memory is plain JSON (the engine
 * persists it beside the bookmarks) and bounded: it holds open alerts and per-server facts only.
 *
 * Severity (our choice, documented for monitoring users): critical when EEMS cannot protect a
 * server at all (fetch-error, service-stopped, service-crashed, heartbeat-missed, organisation
 * disabled, server-unreachable); warning when something needs an admin's decision but protection
 * still works elsewhere (stale-mitigation, server-mitigations-disabled, mitigation-failed); info
 * for what EEMS did as designed (applied, removed, blocked).
 */
import type { AdminAuditEntry, Alert, AlertKind, Diagnosis, EemsEvent, LogEntry, ServerState, Severity, StateDocument, Verdict } from '../model.js';
import type { KnowledgeBase } from '../mitigations/knowledge-base.js';
import { findMitigation } from '../mitigations/knowledge-base.js';
import { diagnose, diagnoseLogEntries } from '../diagnosis/diagnosis.js';
import { judgeServer } from '../mitigations/staleness.js';
import { isFetchCycleStart } from '../parsers/mitigation-log.js';
import { type FetchMemory, emptyFetchMemory, endEpisode, noteCycleStart, noteFailure } from './alert-fetch.js';
import { wording } from './alert-wording.js';

export type { FetchMemory } from './alert-fetch.js';

/** Severity of each kind (see the module comment for why). */
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
};

/** Alerts about one record (crash, failed apply, applied) stay open this long unless acknowledged. */
export const EVENT_ALERT_HOURS = 24;

/** An alert that still counts for the status. `until` null: open while its condition holds. */
export interface OpenAlert {
  alert: Alert;
  until: string | null;
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
   * When the service was last seen (re)starting: a "Started MSExchangeMitigation" log line, or a
   * state that shows it Running after one that did not. Its first check runs about 10 minutes
   * later (LEARN-EM), so the heartbeat's silence counts from here, not from the last cycle before
   * the stop. Optional: memories saved before this field existed lack it.
   */
  serviceStartedAt?: string | null;
  /** The service Status last seen (to see it come back). */
  serviceStatus?: string | null;
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

/** An empty memory (first start). */
export function emptyRuleMemory(): RuleMemory {
  return { version: 1, servers: {}, conditions: {}, open: {} };
}

/** Input of evaluate (helper G's API). */
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

interface Ctx {
  input: EvaluateInput;
  memory: RuleMemory;
  alerts: Alert[];
  now: string;
  /** Key for facts seen by comparing two collections: the previous collection's time. */
  stateKey: string;
}

/** Build an alert with its deterministic id. */
export function makeAlert(kind: AlertKind, server: string | null, mitigation: string | null, key: string, words: { title: string; body: string }, time: string, diagnosis: Alert['diagnosis'] = null): Alert {
  const id = `${kind}:${server ?? '-'}:${mitigation ?? '-'}:${key}`;
  return { id, kind, severity: ALERT_SEVERITY[kind], server, mitigation, title: words.title, body: words.body, diagnosis, time };
}

function raiseCondition(ctx: Ctx, condition: string, build: () => Alert): void {
  if (ctx.memory.conditions[condition]) return;
  const alert = build();
  ctx.memory.conditions[condition] = alert.id;
  ctx.memory.open[alert.id] = { alert, until: null };
  ctx.alerts.push(alert);
}

function clearCondition(ctx: Ctx, condition: string): void {
  const id = ctx.memory.conditions[condition];
  if (id === undefined) return;
  delete ctx.memory.open[id];
  delete ctx.memory.conditions[condition];
}

function raiseRecordAlert(ctx: Ctx, alert: Alert, recordTime: string): void {
  const untilMs = Date.parse(recordTime) + EVENT_ALERT_HOURS * 3_600_000;
  if (!(untilMs > ctx.input.now.getTime())) return; // history, not news (e.g. a first read of a month of log)
  if (ctx.memory.open[alert.id]) return;
  ctx.memory.open[alert.id] = { alert, until: new Date(untilMs).toISOString() };
  ctx.alerts.push(alert);
}

const cond = (kind: AlertKind, server: string | null, mitigation: string | null = null): string => `${kind}|${server ?? ''}|${mitigation ?? ''}`;

function serverMemory(memory: RuleMemory, name: string): ServerMemory {
  let sm = memory.servers[name];
  if (!sm) {
    sm = { applied: [], blocked: [], seeded: false, stale: {}, lastCycleAt: null, fetch: emptyFetchMemory() };
    memory.servers[name] = sm;
  }
  return sm;
}

/** The latest audit entry of this cmdlet about MitigationsEnabled for this object (null: none). */
function findAudit(doc: StateDocument, cmdlet: string, object: string | null): AdminAuditEntry | null {
  const org = doc.organization.AuditEntries ?? [];
  const all = [...org, ...doc.servers.flatMap((s) => s.AuditEntries ?? [])];
  const matching = all.filter(
    (e) =>
      e.CmdletName.toLowerCase() === cmdlet.toLowerCase() &&
      Object.keys(e.Parameters ?? {}).some((p) => p.toLowerCase() === 'mitigationsenabled') &&
      (object === null || e.ObjectModified.toLowerCase().split(/[\\/.]/).includes(object.toLowerCase()) || e.ObjectModified.toLowerCase() === object.toLowerCase()),
  );
  matching.sort((a, b) => a.RunDate.localeCompare(b.RunDate));
  return matching.at(-1) ?? null;
}

function evaluateOrganization(ctx: Ctx): void {
  const { current } = ctx.input;
  const key = cond('org-mitigations-disabled', null);
  if (current.organization.MitigationsEnabled === false) {
    raiseCondition(ctx, key, () => {
      const audit = findAudit(current, 'Set-OrganizationConfig', null);
      return makeAlert('org-mitigations-disabled', null, null, audit?.RunDate ?? ctx.stateKey, wording.orgDisabled(audit), ctx.now);
    });
  } else if (current.organization.MitigationsEnabled === true) {
    clearCondition(ctx, key);
  }
}

/** Diffs and conditions read from one server's state. */
function evaluateServerState(ctx: Ctx, server: ServerState): void {
  const name = server.Name;
  const sm = serverMemory(ctx.memory, name);
  const { knowledge } = ctx.input;
  if (!sm.seeded) {
    sm.applied = [...server.MitigationsApplied];
    sm.blocked = [...server.MitigationsBlocked];
    sm.seeded = true;
  } else {
    for (const id of server.MitigationsApplied.filter((m) => !sm.applied.includes(m))) {
      const entry = findMitigation(knowledge, id);
      raiseRecordAlert(ctx, makeAlert('mitigation-applied', name, id, ctx.stateKey, wording.applied(name, id, entry ? entry.title : null), ctx.now), ctx.now);
    }
    for (const id of sm.applied.filter((m) => !server.MitigationsApplied.includes(m))) {
      raiseRecordAlert(ctx, makeAlert('mitigation-removed', name, id, ctx.stateKey, wording.removed(name, id), ctx.now), ctx.now);
    }
    for (const id of server.MitigationsBlocked.filter((m) => !sm.blocked.includes(m))) {
      raiseRecordAlert(ctx, makeAlert('mitigation-blocked', name, id, ctx.stateKey, wording.blocked(name, id), ctx.now), ctx.now);
    }
    sm.applied = [...server.MitigationsApplied];
    sm.blocked = [...server.MitigationsBlocked];
  }

  const disabledKey = cond('server-mitigations-disabled', name);
  if (server.MitigationsEnabled === false) {
    raiseCondition(ctx, disabledKey, () => {
      const audit = findAudit(ctx.input.current, 'Set-ExchangeServer', name);
      return makeAlert('server-mitigations-disabled', name, null, audit?.RunDate ?? ctx.stateKey, wording.serverDisabled(name, audit), ctx.now);
    });
  } else if (server.MitigationsEnabled === true) {
    clearCondition(ctx, disabledKey);
  }

  const stoppedKey = cond('service-stopped', name);
  const service = server.Service;
  if (service) {
    const wasRunning = sm.serviceStatus === undefined || sm.serviceStatus === null || /^running$/i.test(sm.serviceStatus);
    if (!wasRunning && /^running$/i.test(service.Status)) sm.serviceStartedAt = ctx.now;
    sm.serviceStatus = service.Status;
  }
  if (service && !/^running$/i.test(service.Status)) {
    raiseCondition(ctx, stoppedKey, () => makeAlert('service-stopped', name, null, ctx.stateKey, wording.serviceStopped(name, service), ctx.now));
  } else if (service) {
    clearCondition(ctx, stoppedKey);
  }

  const verdicts = judgeServer(server, knowledge).filter((v) => v.verdict === 'stale-applied' || v.verdict === 'orphan-artefact');
  for (const v of verdicts) {
    const key = cond('stale-mitigation', name, v.id);
    if (sm.stale[v.id] !== undefined && sm.stale[v.id] !== v.verdict) clearCondition(ctx, key);
    sm.stale[v.id] = v.verdict;
    raiseCondition(ctx, key, () => makeAlert('stale-mitigation', name, v.id, `${v.verdict}@${ctx.stateKey}`, wording.stale(name, v), ctx.now));
  }
  for (const id of Object.keys(sm.stale)) {
    if (verdicts.some((v) => v.id === id)) continue;
    clearCondition(ctx, cond('stale-mitigation', name, id));
    delete sm.stale[id];
  }
}

interface TimedRecord {
  time: string;
  event?: EemsEvent;
  entry?: LogEntry;
}

/** Merge log entries and events by time; a log line without a time takes its predecessor's. */
function mergeRecords(events: EemsEvent[], entries: LogEntry[], fallback: string): TimedRecord[] {
  const out: TimedRecord[] = [];
  let last = fallback;
  for (const entry of entries) {
    if (entry.time) last = entry.time;
    out.push({ time: last, entry });
  }
  for (const event of events) out.push({ time: event.time, event });
  return out.map((r, i) => ({ r, i })).sort((a, b) => Date.parse(a.r.time) - Date.parse(b.r.time) || a.i - b.i).map((x) => x.r);
}

/** The service's own start line ("Started MSExchangeMitigation", eems-domain.md section 2). */
const STARTED = /^Started MSExchangeMitigation\b/i;
const MITIGATION_ID = /\b(M\d+(?:\.\d+){0,3}|PING\d+)\b/;
const APPLY_FAILURE = /\b(apply|applying|rollback|roll back)\b.*\b(fail|failed|failure|exception|error)\b|\b(fail|failed|failure|could not|unable to)\b.*\b(apply|applying)\b/i;
const EVENT_ACTION = /\bmitigation\s+(M\d+(?:\.\d+){0,3}|PING\d+)\s+(?:was\s+|has been\s+)?(applied|removed|rolled back)/i;

/** Is this log line a failure of the hourly fetch (Error, or a FetchMitigation Warning)? */
function isFetchFailureLine(entry: LogEntry): boolean {
  if (entry.level === 'Error') return true;
  return entry.level === 'Warning' && (entry.operation ?? '').toLowerCase() === 'fetchmitigation';
}

/**
 * A failure record: a failed apply alerts on its own; anything else is a failed fetch, counted per
 * cycle. `diagnosis` is the one read with the rest of its cycle (a log line), else the text's own.
 */
function noteProblem(ctx: Ctx, server: string, time: string, text: string, recordKey: string, diagnosis?: Diagnosis): void {
  const sm = serverMemory(ctx.memory, server);
  if (APPLY_FAILURE.test(text) && !/fetching mitigations/i.test(text)) {
    const id = MITIGATION_ID.exec(text)?.[1] ?? null;
    raiseRecordAlert(ctx, makeAlert('mitigation-failed', server, id, recordKey, wording.failed(server, id, text), ctx.now), time);
    return;
  }
  noteFailure(sm.fetch, time, text, diagnosis ?? diagnose(text));
}

function noteEvent(ctx: Ctx, server: string, event: EemsEvent): void {
  const sm = serverMemory(ctx.memory, server);
  const key = `r${event.recordId}`;
  if (event.eventId === 4999) {
    const diagnosis = diagnose(event.message);
    if (diagnosis.code === 'crash') raiseRecordAlert(ctx, makeAlert('service-crashed', server, null, key, wording.serviceCrashed(server, diagnosis), ctx.now, diagnosis), event.time);
    return;
  }
  if (event.eventId === 1005 || event.eventId === 1006) {
    const match = EVENT_ACTION.exec(event.message);
    if (!match || !sm.seeded) return;
    const id = match[1]!;
    const removed = !/applied/i.test(match[2]!);
    if (!removed && !sm.applied.includes(id)) {
      sm.applied.push(id);
      const entry = findMitigation(ctx.input.knowledge, id);
      raiseRecordAlert(ctx, makeAlert('mitigation-applied', server, id, key, wording.applied(server, id, entry ? entry.title : null), ctx.now), event.time);
    } else if (removed && sm.applied.includes(id)) {
      sm.applied = sm.applied.filter((m) => m !== id);
      raiseRecordAlert(ctx, makeAlert('mitigation-removed', server, id, key, wording.removed(server, id), ctx.now), event.time);
    }
    return;
  }
  if (event.eventId === 1008 || event.level === 'Error' || event.level === 'Critical') noteProblem(ctx, server, event.time, event.message, key);
}

/** New records of one server: fetch cycles, failures, crashes, applies. */
function evaluateRecords(ctx: Ctx, server: string): void {
  const sm = serverMemory(ctx.memory, server);
  const entries = ctx.input.logEntries[server] ?? [];
  // A generic Error line ("One or more errors occurred.") is diagnosed with the earlier lines of its
  // cycle (the TLS Warning, the "Using Proxy" line), not on its own.
  const inCycle = new Map(diagnoseLogEntries(entries).map((d) => [d.entry, d.diagnosis]));
  const records = mergeRecords(ctx.input.events[server] ?? [], entries, ctx.now);
  for (const record of records) {
    if (record.event) {
      noteEvent(ctx, server, record.event);
      continue;
    }
    const entry = record.entry!;
    if (STARTED.test(entry.message) && entry.time && !(sm.serviceStartedAt && sm.serviceStartedAt >= entry.time)) {
      sm.serviceStartedAt = entry.time;
    } else if (isFetchCycleStart(entry)) {
      if (entry.time && (sm.lastCycleAt === null || entry.time > sm.lastCycleAt)) sm.lastCycleAt = entry.time;
      if (entry.time && noteCycleStart(sm.fetch, entry.time)) clearCondition(ctx, cond('fetch-error', server));
    } else if (isFetchFailureLine(entry)) {
      noteProblem(ctx, server, record.time, entry.message, `${record.time}#${entry.line ?? 0}`, inCycle.get(entry));
    }
  }
  decideFetchAlert(ctx, server, sm);
}

/** Were this server's events or log read in this evaluation (see EvaluateInput.events)? */
function wasRead(ctx: Ctx, server: string): boolean {
  return ctx.input.events[server] !== undefined || ctx.input.logEntries[server] !== undefined;
}

function decideFetchAlert(ctx: Ctx, server: string, sm: ServerMemory): void {
  const f = sm.fetch;
  const key = cond('fetch-error', server);
  const graceMs = ctx.input.options.heartbeatGraceMinutes * 60_000;
  // Without a log, success is silence: 1008 comes every hour while a fault lasts (eems-domain.md §1).
  // Only silence we actually listened to: an unread server's fault may well go on.
  if (wasRead(ctx, server) && f.lastFailureAt && f.failures > 0 && ctx.input.now.getTime() - Date.parse(f.lastFailureAt) > graceMs) {
    endEpisode(f);
    clearCondition(ctx, key);
    return;
  }
  if (f.failures < ctx.input.options.fetchErrorThreshold || !f.lastError || !f.episodeStart) return;
  const diagnosis = f.lastError.diagnosis;
  if (f.alertedCode === diagnosis.code) return;
  clearCondition(ctx, key);
  f.alertedCode = diagnosis.code;
  const episode = f.episodeStart;
  raiseCondition(ctx, key, () => makeAlert('fetch-error', server, null, `${diagnosis.code}@${episode}`, wording.fetchError(server, diagnosis, f.failures, episode), ctx.now, diagnosis));
}

function evaluateHeartbeat(ctx: Ctx, server: ServerState): void {
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
  const silentMs = ctx.input.now.getTime() - Date.parse(since);
  if (silentMs > ctx.input.options.heartbeatGraceMinutes * 60_000) {
    const last = sm.lastCycleAt;
    raiseCondition(ctx, key, () => makeAlert('heartbeat-missed', server.Name, null, since, wording.heartbeatMissed(server.Name, last, Math.floor(silentMs / 3_600_000), since === last ? null : since), ctx.now));
  } else {
    clearCondition(ctx, key);
  }
}

/**
 * Evaluate every rule over what changed. Only servers in `current.servers` (and servers with new
 * records) are touched, so the engine may pass one server's slice at a time. Never mutates its
 * input memory.
 */
export function evaluate(input: EvaluateInput): { alerts: Alert[]; memory: RuleMemory } {
  const memory = structuredClone(input.memory?.version === 1 ? input.memory : emptyRuleMemory());
  const ctx: Ctx = { input, memory, alerts: [], now: input.now.toISOString(), stateKey: input.previous?.collectedAt ?? 'first' };
  evaluateOrganization(ctx);
  for (const server of input.current.servers) {
    const unreachable = cond('server-unreachable', server.Name);
    if (server.Error) {
      const error = server.Error;
      raiseCondition(ctx, unreachable, () => makeAlert('server-unreachable', server.Name, null, ctx.stateKey, wording.unreachable(server.Name, error), ctx.now));
    } else {
      clearCondition(ctx, unreachable);
      evaluateServerState(ctx, server);
    }
  }
  const withRecords = new Set([...Object.keys(input.events), ...Object.keys(input.logEntries), ...input.current.servers.map((s) => s.Name)]);
  for (const name of withRecords) evaluateRecords(ctx, name);
  for (const server of input.current.servers) if (!server.Error) evaluateHeartbeat(ctx, server);
  for (const [id, open] of Object.entries(memory.open)) {
    if (open.until !== null && Date.parse(open.until) <= input.now.getTime()) delete memory.open[id];
  }
  return { alerts: ctx.alerts, memory };
}

/** The alerts that still count: conditions that hold and recent record alerts. */
export function openAlerts(memory: RuleMemory): Alert[] {
  return Object.values(memory.open).map((o) => o.alert);
}
