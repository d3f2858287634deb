/**
 * The rules read from new records of one server (Application events and Mitigation Service log
 * lines, merged by time): fetch cycles and their failures, crashes (4999 Watson reports), failed
 * applies, applies and removals (1005/1006), and the service's own start and stop (1001/1002 and
 * the log's Started/Stopped lines: CONFIRMED ids, eems-domain.md K3).
 */
import type { Alert, Diagnosis, EemsEvent, LogEntry } from '../model.js';
import { findMitigation } from '../mitigations/knowledge-base.js';
import { diagnose, diagnoseLogEntries } from '../diagnosis/diagnosis.js';
import { isFetchCycleStart } from '../parsers/mitigation-log.js';
import { endEpisode, noteCycleStart, noteFailure } from './alert-fetch.js';
import { type RuleContext, type ServerMemory, clearCondition, cond, conditionAlert, makeAlert, raiseCondition, raiseRecordAlert, refreshAlert, serverMemory, wasRead } from './alert-memory.js';
import { restartedDiagnosis, wording } from './alert-wording.js';

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

/** The service's own start and stop lines ("Started MSExchangeMitigation", eems-domain.md section 2). */
const STARTED = /^Started MSExchangeMitigation\b/i;
const STOPPED = /^Stopped MSExchangeMitigation\b/i;
const MITIGATION_ID = /\b(M\d+(?:\.\d+){0,3}|PING\d+)\b/;
const APPLY_FAILURE = /\b(apply|applying|rollback|roll back)\b.*\b(fail|failed|failure|exception|error)\b|\b(fail|failed|failure|could not|unable to)\b.*\b(apply|applying)\b/i;
const EVENT_ACTION = /\bmitigation\s+(M\d+(?:\.\d+){0,3}|PING\d+)\s+(?:was\s+|has been\s+)?(applied|removed|rolled back)/i;
/** 1001 started, 1002 stopped, source MSExchange Mitigation Service [CONFIRMED: BLOG-2021-10, K3]. */
const EVENT_STARTED = 1001;
const EVENT_STOPPED = 1002;

/** Is this log line a failure of the hourly fetch (Error, or a FetchMitigation Warning)? */
function isFetchFailureLine(entry: LogEntry): boolean {
  if (entry.level === 'Error') return true;
  return entry.level === 'Warning' && (entry.operation ?? '').toLowerCase() === 'fetchmitigation';
}

/** The service started at `time`: the heartbeat counts from here, and a crash alert says so. */
function noteStarted(ctx: RuleContext, server: string, time: string): void {
  const sm = serverMemory(ctx.memory, server);
  if (!(sm.serviceStartedAt && sm.serviceStartedAt >= time)) sm.serviceStartedAt = time;
  const crash = sm.crash;
  if (!crash || time < crash.at) return;
  sm.crash = null;
  const restarted = (alert: Alert): Pick<Alert, 'body' | 'diagnosis'> => ({
    body: wording.serviceCrashed(server, alert.diagnosis, time).body,
    diagnosis: alert.diagnosis ? restartedDiagnosis(alert.diagnosis, time) : null,
  });
  const open = ctx.memory.open[crash.alertId];
  if (open) return refreshAlert(ctx, crash.alertId, restarted(open.alert));
  // A crash older than a day, read with its restart (a first read): the history says it too.
  const item = ctx.history.find((h) => h.alert.id === crash.alertId);
  if (item) item.alert = { ...item.alert, ...restarted(item.alert) };
}

function noteStopped(ctx: RuleContext, server: string, time: string): void {
  const sm = serverMemory(ctx.memory, server);
  if (!(sm.serviceStoppedAt && sm.serviceStoppedAt >= time)) sm.serviceStoppedAt = time;
}

/**
 * A failure record: a failed apply alerts on its own; anything else is a failed fetch, counted per
 * cycle. `diagnosis` is the one read with the rest of its cycle (a log line), else the text's own.
 */
function noteProblem(ctx: RuleContext, server: string, time: string, text: string, recordKey: string, diagnosis?: Diagnosis): void {
  const sm = serverMemory(ctx.memory, server);
  if (APPLY_FAILURE.test(text) && !/fetching mitigations/i.test(text)) {
    const id = MITIGATION_ID.exec(text)?.[1] ?? null;
    raiseRecordAlert(ctx, makeAlert('mitigation-failed', server, id, recordKey, wording.failed(server, id, text), ctx.now, null, time), time);
    return;
  }
  noteFailure(sm.fetch, time, text, diagnosis ?? diagnose(text));
}

function noteCrash(ctx: RuleContext, server: string, event: EemsEvent): void {
  const diagnosis = diagnose(event.message);
  if (diagnosis.code !== 'crash') return;
  const sm = serverMemory(ctx.memory, server);
  noteStopped(ctx, server, event.time);
  const alert = makeAlert('service-crashed', server, null, `r${event.recordId}`, wording.serviceCrashed(server, diagnosis, null), ctx.now, diagnosis, event.time);
  raiseRecordAlert(ctx, alert, event.time);
  if (ctx.memory.open[alert.id] || ctx.history.some((h) => h.alert.id === alert.id)) sm.crash = { alertId: alert.id, at: event.time };
}

function noteEvent(ctx: RuleContext, server: string, event: EemsEvent): void {
  const sm = serverMemory(ctx.memory, server);
  const key = `r${event.recordId}`;
  if (event.eventId === 4999) return noteCrash(ctx, server, event);
  if (event.eventId === EVENT_STARTED) return noteStarted(ctx, server, event.time);
  if (event.eventId === EVENT_STOPPED) return noteStopped(ctx, server, event.time);
  if (event.eventId === 1005 || event.eventId === 1006) {
    const match = EVENT_ACTION.exec(event.message);
    if (!match || !sm.seeded) return;
    const id = match[1]!;
    const removed = !/applied/i.test(match[2]!);
    if (!removed && !sm.applied.includes(id)) {
      sm.applied.push(id);
      const entry = findMitigation(ctx.input.knowledge, id);
      raiseRecordAlert(ctx, makeAlert('mitigation-applied', server, id, key, wording.applied(server, id, entry ? entry.title : null), ctx.now, null, event.time), event.time);
    } else if (removed && sm.applied.includes(id)) {
      sm.applied = sm.applied.filter((m) => m !== id);
      raiseRecordAlert(ctx, makeAlert('mitigation-removed', server, id, key, wording.removed(server, id), ctx.now, null, event.time), event.time);
    }
    return;
  }
  if (event.eventId === 1008 || event.level === 'Error' || event.level === 'Critical') noteProblem(ctx, server, event.time, event.message, key);
}

/** New records of one server: fetch cycles, failures, crashes, applies, starts and stops. */
export function evaluateRecords(ctx: RuleContext, server: string): void {
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
    if (STARTED.test(entry.message) && entry.time) noteStarted(ctx, server, entry.time);
    else if (STOPPED.test(entry.message) && entry.time) noteStopped(ctx, server, entry.time);
    else if (isFetchCycleStart(entry)) {
      if (entry.time && (sm.lastCycleAt === null || entry.time > sm.lastCycleAt)) sm.lastCycleAt = entry.time;
      if (entry.time && noteCycleStart(sm.fetch, entry.time)) clearCondition(ctx, cond('fetch-error', server));
    } else if (isFetchFailureLine(entry)) {
      noteProblem(ctx, server, record.time, entry.message, `${record.time}#${entry.line ?? 0}`, inCycle.get(entry));
    }
  }
  decideFetchAlert(ctx, server, sm);
}

/**
 * The fetch-error alert: raised after `fetchErrorThreshold` failed cycles, kept current as the
 * count goes on ("24 hourly fetches in a row failed"), ended by a clean cycle or by an hour of
 * silence we listened to (1008 comes every hour while a fault lasts, eems-domain.md section 1).
 */
function decideFetchAlert(ctx: RuleContext, server: string, sm: ServerMemory): void {
  const f = sm.fetch;
  const key = cond('fetch-error', server);
  const graceMs = ctx.input.options.heartbeatGraceMinutes * 60_000;
  // Only silence we actually listened to: an unread server's fault may well go on.
  if (wasRead(ctx, server) && f.lastFailureAt && f.failures > 0 && ctx.nowMs - Date.parse(f.lastFailureAt) > graceMs) {
    endEpisode(f);
    clearCondition(ctx, key);
    return;
  }
  if (f.failures < ctx.input.options.fetchErrorThreshold || !f.lastError || !f.episodeStart) return;
  const diagnosis = f.lastError.diagnosis;
  const episode = f.episodeStart;
  const open = conditionAlert(ctx, key);
  if (f.alertedCode === diagnosis.code && open) {
    refreshAlert(ctx, open.alert.id, { body: wording.fetchError(server, open.alert.diagnosis ?? diagnosis, f.failures, episode).body });
    return;
  }
  clearCondition(ctx, key, 'replaced');
  f.alertedCode = diagnosis.code;
  raiseCondition(ctx, key, () => makeAlert('fetch-error', server, null, `${diagnosis.code}@${episode}`, wording.fetchError(server, diagnosis, f.failures, episode), ctx.now, diagnosis, episode));
}
