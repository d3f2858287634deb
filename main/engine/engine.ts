/**
 * The engine: poll every server (poller), turn what changed into alerts (core evaluate), journal
 * them (fsync'd), save bookmarks + rule memory + last state in one atomic document, then notify.
 * In that order, so a crash anywhere loses nothing and notifies nothing twice:
 *  - before the journal write: the same records are read again (bookmarks did not move);
 *  - between journal and state write: replay gives the same alert ids, which the journal refuses;
 *  - between journal and notification: on start, alerts without a "notified" record are notified
 *    once (a notification may so show twice, never zero times).
 */
import { emptyRuleMemory, evaluate, openAlerts } from '../core/alerts/alert-rules.js';
import { coalesceAlerts } from '../core/alerts/alert-coalesce.js';
import { overallStatus } from '../core/alerts/overall-status.js';
import { judgeServer } from '../core/mitigations/staleness.js';
import type { Alert, EemsEvent, LogEntry, MitigationVerdict, ServerState, StateDocument } from '../core/model.js';
import { type EngineStateDocument, emptyEngineState, engineStatePath, loadEngineState, saveEngineState } from './bookmarks.js';
import { collectForwardedEvents } from './collectors/event-collector.js';
import { type LogReadResult, UNREADABLE_NOTE_START } from './collectors/log-collector.js';
import type { Engine, EngineDeps, EngineEvent, EngineSnapshot, PollResult, ServerSnapshot } from './engine-types.js';
import { heartbeatDays, updateHeartbeat } from './heartbeat-days.js';
import { evaluationRecords } from './evaluation-records.js';
import { type Journal, type JournalRecord, createJournal } from './journal.js';
import { type PollOutcome, createPoller } from './poller.js';
import { realScheduler } from './scheduler.js';
import { createServerHistory } from './server-history.js';
import { type ServerFetch, fetchFailed, fetchServer } from './server-fetch.js';

export type * from './engine-types.js';

function unreadServer(name: string, error: string): ServerState {
  return { Name: name, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: error };
}

/** Create the engine (not started: call start() for the schedule, or pollOnce() for one cycle). */
export function createEngine(deps: EngineDeps): Engine {
  const { host, clock } = deps;
  // Read at each use (rules, notifications, server list), so applySettings takes effect at once.
  let settings = deps.settings;
  // The knowledge in force: applyKnowledge replaces it when a knowledge update is read again.
  let knowledge = deps.knowledge;
  const logger = deps.logger;
  const baseJournal = createJournal({
    dir: deps.dataDir,
    maxBytes: deps.journal?.maxBytes,
    keepFiles: deps.journal?.keepFiles,
    now: () => clock.now(),
    onSkip: (file, line, reason) => logger?.warn(`Journal ${file} line ${line} was skipped: ${reason}. The rest of the journal is used; move the file aside if many lines are skipped.`),
  });
  const listeners = new Set<(e: EngineEvent) => void>();
  const verdicts = new Map<string, MitigationVerdict[]>();
  const pollErrors = new Map<string, string | null>();
  const logNotes = new Map<string, string[]>();
  const serverHistory = createServerHistory();
  let doc: EngineStateDocument = emptyEngineState();
  let mutes = { acked: new Set<string>(), snoozedUntil: new Map<string, string>() };
  let polling = false;
  let stopped = false;
  let lastRaised: Alert[] = [];
  const dataNotes: string[] = [...(deps.notes ?? [])];

  const emit = (event: EngineEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger?.warn(`An engine listener failed: ${(error as Error).message}`);
      }
    }
  };
  const serverNames = (): string[] => deps.servers ?? settings.servers.filter((s) => s.enabled).map((s) => s.name);
  const entryOf = (name: string) => settings.servers.find((s) => s.name.toLowerCase() === name.toLowerCase());

  async function notifyAlerts(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const { notifications, held } = coalesceAlerts(alerts, { policy: settings.notifications, now: clock.now(), acked: mutes.acked, snoozedUntil: mutes.snoozedUntil });
    for (const n of notifications) {
      const record: JournalRecord = { type: 'notified', at: clock.now().toISOString(), alertIds: n.alertIds, title: n.title };
      if (!deps.notifier) record.held = 'no-notifier';
      else {
        try {
          await deps.notifier.notify(n);
        } catch (error) {
          record.error = (error as Error).message;
          logger?.warn(`The desktop notification "${n.title}" failed: ${record.error}`);
        }
      }
      // One record per notification, right after it: a crash mid-list re-notifies only the rest.
      await baseJournal.append(record);
    }
    const byReason = new Map<string, string[]>();
    for (const h of held) byReason.set(h.reason, [...(byReason.get(h.reason) ?? []), h.alertId]);
    await baseJournal.appendMany([...byReason].map(([reason, ids]) => ({ type: 'notified', at: clock.now().toISOString(), alertIds: ids, held: reason })));
  }

  const ready = (async () => {
    const loaded = await loadEngineState(deps.dataDir, clock.now());
    doc = loaded.doc;
    if (loaded.recovered) {
      const { movedTo, reason } = loaded.recovered;
      const message = `The engine state ${engineStatePath(deps.dataDir)} could not be used (${reason}). It was moved to ${movedTo} and the engine started afresh: bookmarks were reset, so events are read again from the start; alerts already in the journal are not repeated, conditions that still hold are announced again once. Send the moved file to support if this happens again.`;
      logger?.error(message);
      dataNotes.push(message);
      await baseJournal.append({ type: 'action', at: clock.now().toISOString(), action: { server: null, mitigation: null, title: 'Engine state reset after a damaged file', status: 'done', message } });
    }
    for (const server of doc.state?.servers ?? []) verdicts.set(server.Name, judgeServer(server, knowledge));
    mutes = await baseJournal.mutes();
    await notifyAlerts(await baseJournal.unnotified());
  })();
  ready.catch((error: unknown) => logger?.error(`The engine could not load its data from ${deps.dataDir}: ${(error as Error).message}`));

  async function forwardedEvents(outcomes: PollOutcome<ServerFetch>[]): Promise<{ byServer: Record<string, EemsEvent[]>; bookmark: number | undefined; read: boolean }> {
    const collector = settings.events.collector;
    if (settings.events.source !== 'forwarded' || !collector || !outcomes.some((o) => o.work.events)) return { byServer: {}, bookmark: doc.bookmarks.forwarded, read: false };
    try {
      const watched = serverNames().map((name) => ({ name, fqdn: entryOf(name)?.fqdn ?? doc.state?.servers.find((s) => s.Name === name)?.Fqdn ?? null }));
      return { ...(await collectForwardedEvents(host, collector, doc.bookmarks.forwarded ?? 0, watched)), read: true };
    } catch (error) {
      logger?.warn(`Cannot read forwarded events from ${collector}: ${(error as Error).message}`);
      return { byServer: {}, bookmark: doc.bookmarks.forwarded, read: false };
    }
  }

  /**
   * Keep a server's log notes for the snapshot: each sentence once (an unreadable folder says the
   * same every minute), logged when new; the unreadable note goes once the folder reads again.
   * No heartbeat alert is raised for an unreadable folder: silence there says nothing about the
   * service, and a blocked share on every server must not turn into a critical per server.
   */
  function noteLog(name: string, log: LogReadResult): void {
    const before = logNotes.get(name) ?? [];
    const kept = log.unreadable ? before : before.filter((n) => !n.startsWith(UNREADABLE_NOTE_START));
    const fresh = log.notes.filter((n) => !kept.includes(n));
    for (const note of fresh) logger?.info(`${name}: ${note}`);
    if (fresh.length > 0 || kept.length !== before.length) logNotes.set(name, [...kept, ...fresh].slice(-10));
  }

  async function commit(outcomes: PollOutcome<ServerFetch>[]): Promise<void> {
    await ready;
    const now = clock.now();
    const prev = doc.state;
    const forwarded = await forwardedEvents(outcomes);
    const next: EngineStateDocument = structuredClone({ ...doc, memory: null });
    const previousServers: ServerState[] = [];
    const currentServers: ServerState[] = [];
    const events: Record<string, EemsEvent[]> = {};
    const logEntries: Record<string, LogEntry[]> = {};
    let organization = prev?.organization ?? { MitigationsEnabled: null };
    let collectedAt = prev?.collectedAt ?? now.toISOString();
    for (const o of outcomes) {
      const name = o.server;
      const before = prev?.servers.find((s) => s.Name === name) ?? null;
      if (before) previousServers.push(before);
      if (!o.ok) {
        const error = `${name} did not answer: ${o.error.message}`;
        currentServers.push(unreadServer(name, error));
        pollErrors.set(name, error);
        continue;
      }
      const v = o.value;
      const current = v.collected?.server ?? before;
      if (v.collected) {
        organization = v.collected.organization;
        collectedAt = v.collected.collectedAt;
        next.collectedAt[name] = v.collected.collectedAt;
      }
      if (current) currentServers.push(current);
      // A key only for what was read: the rules take an unread server's silence for no news.
      if (v.events || forwarded.byServer[name] || (settings.events.source === 'forwarded' && forwarded.read)) events[name] = [...(v.events?.events ?? []), ...(forwarded.byServer[name] ?? [])];
      if (v.log && !v.log.unreadable) logEntries[name] = v.log.entries;
      if (v.events) next.bookmarks.events[name] = v.events.bookmark;
      if (v.log?.bookmark) next.bookmarks.logs[name] = v.log.bookmark;
      if (v.log) noteLog(name, v.log);
      serverHistory.add(name, logEntries[name] ?? [], events[name] ?? [], now);
      pollErrors.set(name, current?.Error ?? v.eventsError);
      next.heartbeat[name] = updateHeartbeat(next.heartbeat[name], {
        entries: logEntries[name] ?? [],
        events: events[name] ?? [],
        serviceStatus: v.collected && current && !current.Error ? (current.Service?.Status ?? null) : null,
        logRead: logEntries[name] !== undefined,
        now,
      });
    }
    if (forwarded.bookmark !== undefined) next.bookmarks.forwarded = forwarded.bookmark;
    const previous: StateDocument | null = prev ? { collectedAt: prev.collectedAt, organization: prev.organization, servers: previousServers } : null;
    const current: StateDocument = { collectedAt, organization, servers: currentServers };
    const result = evaluate({ previous, current, events, logEntries, knowledge, now, memory: doc.memory ?? emptyRuleMemory(), options: settings.alerts });

    const fresh: Alert[] = [];
    for (const alert of result.alerts) {
      if (fresh.some((a) => a.id === alert.id) || (await baseJournal.hasAlert(alert.id))) continue;
      fresh.push(alert);
    }
    const history = [];
    for (const h of result.history) if (!(await baseJournal.hasAlert(h.alert.id))) history.push(h);
    await baseJournal.appendMany(evaluationRecords(now, fresh, { ...result, history }));

    const merged = new Map((prev?.servers ?? []).map((s) => [s.Name, s]));
    for (const s of currentServers) merged.set(s.Name, s);
    const order = serverNames();
    next.state = { collectedAt, organization, servers: [...merged.values()].sort((a, b) => order.indexOf(a.Name) - order.indexOf(b.Name)) };
    next.memory = result.memory;
    next.lastPollAt = now.toISOString();
    await saveEngineState(deps.dataDir, next);
    doc = next;
    for (const s of currentServers) verdicts.set(s.Name, judgeServer(s, knowledge));
    lastRaised = fresh;
    for (const alert of fresh) logger?.info(`Alert ${alert.severity}: ${alert.title}`);
    await notifyAlerts(fresh);
    emit({ type: 'state-changed' });
    emit({ type: 'alerts-changed' });
  }

  // Behind the host's own time-out (the PowerShell host kills at callTimeoutSeconds), so that one speaks first.
  const pollTimeoutMs = (s: typeof settings) => s.connection.callTimeoutSeconds * 1000 + 5000;
  const poller = createPoller<ServerFetch>({
    clock,
    scheduler: deps.scheduler ?? realScheduler,
    servers: serverNames,
    stateMs: settings.poll.stateMinutes * 60_000,
    eventsMs: settings.poll.eventsMinutes * 60_000,
    concurrency: settings.poll.concurrency,
    timeoutMs: pollTimeoutMs(settings),
    random: deps.random,
    fetch: (server, work, signal) =>
      fetchServer(server, work, {
        signal,
        host,
        bookmarks: doc.bookmarks,
        perServerEvents: settings.events.source !== 'forwarded',
        logFolder: entryOf(server)?.logFolder ?? null,
      }),
    failed: fetchFailed,
    commit,
    onProgress: (isPolling, server) => {
      polling = isPolling;
      emit({ type: 'poll-progress', polling: isPolling, ...(server ? { server } : {}) });
    },
    onError: (error) => logger?.error(`A poll cycle failed: ${error.message}`),
  });

  function snapshot(): EngineSnapshot {
    const now = clock.now();
    const memory = doc.memory ?? emptyRuleMemory();
    const open = openAlerts(memory);
    const servers = serverNames().map((name): ServerSnapshot => {
      const sm = memory.servers[name];
      const backoff = poller.schedule(name);
      return {
        name,
        state: doc.state?.servers.find((s) => s.Name === name) ?? null,
        collectedAt: doc.collectedAt[name] ?? null,
        verdicts: verdicts.get(name) ?? [],
        lastCycleAt: sm?.lastCycleAt ?? null,
        heartbeat: heartbeatDays(doc.heartbeat[name], now),
        fetchFailures: sm?.fetch.failures ?? 0,
        lastFetchError: sm?.fetch.lastError ?? null,
        pollError: pollErrors.get(name) ?? null,
        backoff: { failures: backoff?.failures ?? 0, retryAt: backoff?.retryAt ?? null },
        logNotes: logNotes.get(name) ?? [],
      };
    });
    const status = overallStatus({ state: doc.state, open, acked: mutes.acked, snoozedUntil: mutes.snoozedUntil, now });
    const alertLastSeen = Object.fromEntries(Object.entries(memory.open).map(([id, o]) => [id, o.lastSeenAt ?? null]));
    const notes = [...dataNotes, ...baseJournal.skipped.map((l) => `Journal ${l.file} line ${l.line} was skipped: ${l.reason}.`)];
    return { state: doc.state, servers, openAlerts: open, alertLastSeen, dataNotes: notes, status, polling, lastPollAt: doc.lastPollAt };
  }

  const refreshMutes = async () => {
    mutes = await baseJournal.mutes();
    emit({ type: 'alerts-changed' });
  };
  const journal: Journal = {
    get skippedLines() {
      return baseJournal.skippedLines;
    },
    append: (r) => baseJournal.append(r),
    appendMany: (r) => baseJournal.appendMany(r),
    read: (f) => baseJournal.read(f),
    alerts: (f) => baseJournal.alerts(f),
    hasAlert: (id) => baseJournal.hasAlert(id),
    unnotified: () => baseJournal.unnotified(),
    mutes: () => baseJournal.mutes(),
    get skipped() {
      return baseJournal.skipped;
    },
    ack: async (id, by) => (await baseJournal.ack(id, by), refreshMutes()),
    unack: async (id, by) => (await baseJournal.unack(id, by), refreshMutes()),
    snooze: async (id, until) => (await baseJournal.snooze(id, until), refreshMutes()),
    unsnooze: async (id) => (await baseJournal.unsnooze(id), refreshMutes()),
  };

  return {
    journal,
    ready: () => ready,
    start() {
      void ready.then(() => {
        if (!stopped) poller.start();
      });
    },
    async stop() {
      stopped = true;
      await ready.catch(() => undefined);
      await poller.stop();
    },
    async pollOnce(): Promise<PollResult> {
      await ready;
      await poller.pollNow();
      const snap = snapshot();
      return { state: snap.state ?? { collectedAt: clock.now().toISOString(), organization: { MitigationsEnabled: null }, servers: [] }, alerts: snap.openAlerts, status: snap.status, raised: lastRaised };
    },
    async pollNow(server) {
      await ready;
      await poller.pollNow(server);
    },
    snapshot,
    history: (server) => serverHistory.get(server),
    applySettings(next) {
      settings = next;
      poller.reconfigure({ stateMs: next.poll.stateMinutes * 60_000, eventsMs: next.poll.eventsMinutes * 60_000, concurrency: next.poll.concurrency, timeoutMs: pollTimeoutMs(next) });
      logger?.info('Settings applied: poll intervals, concurrency, alert rules and notifications now use the new values.');
      emit({ type: 'state-changed' });
    },
    knowledge: () => knowledge,
    applyKnowledge(next) {
      knowledge = next;
      // Verdicts follow at once, from the state already collected; the next cycle's alerts use it too.
      for (const server of doc.state?.servers ?? []) verdicts.set(server.Name, judgeServer(server, knowledge));
      logger?.info(`Knowledge in force: ${next.versions.mitigations}${next.versions.override ? ` + ${next.versions.override}` : ''}; verdicts were judged again.`);
      emit({ type: 'state-changed' });
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
