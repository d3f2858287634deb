/**
 * The one ApiService over the engine: every EemsApi method, whichever transport carries it.
 * Inputs arrive already checked by parseApiCall (the transports call it); this object checks
 * them again anyway, so a transport that forgets cannot skip validation. Results, never throws.
 */
import { planOrgReenable, planRemoval, type ActionPlan } from '../core/mitigations/removal-plan.js';
import type { Clock, HostPort } from '../core/ports.js';
import { compareFeedWithState } from '../core/feed/compare-feed.js';
import { createFeedVerifier, type FeedVerifier } from '../engine/feed-verifier.js';
import type { Engine } from '../engine/engine-types.js';
import type { JournalRecord } from '../engine/journal.js';
import type { Settings } from '../engine/settings/settings-schema.js';
import { parseApiCall, type ActionView, type ApiError, type ApiEvent, type ApiInput, type ApiMethod, type ApiOutputs, type ApiResult, type ApiService, type EndpointCheckView, type SettingsUpdate } from './eems-api.js';
import { exportServers, exportTimeline } from './export-data.js';
import { createPlanRunner } from './plan-runner.js';
import { recheckPlan } from './plan-recheck.js';
import { planServerReenable, planStartService, planUnblock } from '../core/mitigations/server-plans.js';
import type { ServerState } from '../core/model.js';
import { knowledgeView } from './knowledge-view.js';
import type { KnowledgeInfo } from '../engine/knowledge-source.js';
import { buildDiagnostics, buildHeartbeat, buildOverview } from './views.js';
import { alertSummaries, sortAlertViews, toApiAlertView } from './alert-views.js';
import { buildServerDetail } from './server-detail.js';
import { diagnoseEndpointCheck } from '../core/diagnosis/endpoint-diagnosis.js';

/** Where settings are kept (conf in headless mode, electron-store in the app, a config file). */
export interface SettingsPort {
  get(): Settings;
  update(next: unknown): { ok: true; value: Settings } | { ok: false; error: string };
}

export interface ApiServiceDeps {
  engine: Engine;
  host: HostPort;
  clock: Clock;
  settings: SettingsPort;
  /** Extra PEM roots for verifyFeed (a private lab's test PKI). */
  trustedRoots?: string[];
  /**
   * Where the knowledge in force (engine.knowledge()) came from (knowledge-source.ts), read at each
   * call since a changed update is read again; the built-in knowledge when absent.
   */
  knowledgeInfo?: () => KnowledgeInfo;
  /** Verifies definitions files off the main thread (default: one created here, feed-verifier.ts). */
  feedVerifier?: FeedVerifier;
}

type Handler<M extends ApiMethod> = (input: ApiInput<M>) => Promise<ApiResult<ApiOutputs[M]>>;

const fail = (code: ApiError['code'], message: string): { ok: false; error: ApiError } => ({ ok: false, error: { code, message } });
const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

/**
 * Settings the running engine cannot take, so a change to them waits for a restart: the host is
 * opened with the connection (mode, lab folder, remoting URI, authentication, PowerShell path, and
 * the PowerShell host's own call time-out), and which knowledge update is read is fixed at start
 * (its file is read again when it changes: knowledge-source.ts).
 * (start-at-login is applied by the app on the settings-changed event.)
 */
const RESTART_ONLY = ['connection', 'knowledgeOverrideFile'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Dotted paths of the leaves that differ between two settings documents (an array is one leaf). */
function changedPaths(before: unknown, after: unknown, path = ''): string[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => changedPaths(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}

/** The changed fields that only apply when EEMS Watch restarts. */
export function restartRequiredFields(before: Settings, after: Settings): string[] {
  return changedPaths(before, after).filter((p) => RESTART_ONLY.some((r) => p === r || p.startsWith(`${r}.`)));
}

/** Action records as the timeline shows them: a 'started' record only when its run never ended. */
function toActionViews(records: JournalRecord[]): ActionView[] {
  const actions = records.filter((r): r is Extract<JournalRecord, { type: 'action' }> => r.type === 'action');
  const ended = new Set(actions.filter((r) => r.action.status !== 'started').map((r) => String(r.action.runId ?? '')));
  return actions
    .filter((r) => r.action.status !== 'started' || !ended.has(String(r.action.runId ?? '')))
    .map((r) => {
      const a = r.action;
      const steps = Array.isArray(a.steps) ? (a.steps as ActionView['steps']) : [];
      return {
        id: `${a.planId ?? 'action'}:${String(a.runId ?? r.at)}:${a.status}`,
        time: r.at,
        planId: a.planId ?? '',
        title: a.title,
        server: a.server,
        mitigation: a.mitigation,
        ok: a.status === 'done',
        message: a.status === 'started' ? `Started and never finished (EEMS Watch stopped during the run). ${a.message}` : a.message,
        steps,
      };
    })
    .reverse();
}

/** Create the service. */
export function createApiService(deps: ApiServiceDeps): ApiService {
  const { engine, clock } = deps;
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent): void => {
    for (const listener of listeners) listener(event);
  };
  engine.on((event) => emit(event));

  const plans = createPlanRunner({
    host: deps.host,
    journal: engine.journal,
    clock,
    knowledge: () => engine.knowledge(),
    emit,
    recollect: async (server) => {
      await engine.pollNow(server ?? undefined);
      return engine.snapshot().state;
    },
    precheck: (plan) => recheckRemoval(plan),
  });

  /**
   * Read the server again right before a removal runs and judge it now (plan-recheck.ts): the plan
   * runs only while the mitigation it was made for is still there with the same verdict and still
   * removable; anything else refuses (fails closed).
   */
  async function recheckRemoval(plan: ActionPlan): Promise<string | null> {
    if (!plan.server || !plan.mitigation) return null;
    await engine.pollNow(plan.server);
    const snap = findServer(plan.server);
    return recheckPlan(plan, snap?.state ?? null, snap ? (snap.pollError ?? (snap.state ? null : 'no state')) : null, engine.knowledge());
  }

  /** A server plan from the server's last read state, kept for runPlan. */
  const serverPlan = async (server: string, make: (state: ServerState) => { ok: true; plan: ActionPlan } | { ok: false; error: string }) => {
    const snap = findServer(server);
    if (!snap) return fail('not-found', `${server} is not among the watched servers.`);
    if (!snap.state) return fail('conflict', `${server} has not been read yet: poll it first.`);
    const planned = make(snap.state);
    return planned.ok ? ok(plans.store(planned.plan)) : fail('conflict', planned.error);
  };

  const findServer = (name: string) => engine.snapshot().servers.find((s) => s.name.toLowerCase() === name.toLowerCase()) ?? null;
  const overview = async () => {
    const snap = engine.snapshot();
    const built = buildOverview(snap, engine.knowledge(), await engine.journal.mutes(), clock.now());
    const summaries = alertSummaries(snap, await engine.journal.alerts());
    return { ...built, servers: built.servers.map((s) => ({ ...s, alerts: summaries.get(s.name.toLowerCase()) ?? [] })) };
  };
  const listAlerts = async (input: ApiInput<'listAlerts'>) => {
    const filter = { server: input.server, kind: input.kind, severity: input.severity, limit: input.limit ?? 1000 };
    const snap = engine.snapshot();
    const alerts = sortAlertViews((await engine.journal.alerts(filter)).map((a) => toApiAlertView(a, snap)));
    const actions = input.kind || input.severity ? [] : toActionViews(await engine.journal.read({ types: ['action'], server: input.server, limit: filter.limit * 2 }));
    return { alerts, actions, total: alerts.length + actions.length };
  };
  const findAlert = async (id: string) => {
    const found = (await engine.journal.alerts()).find((a) => a.id === id);
    return found ? toApiAlertView(found, engine.snapshot()) : null;
  };

  // The last "Test from the server" answer per server (lower-case name), and the questions in flight.
  const endpointAnswers = new Map<string, EndpointCheckView>();
  const endpointAsks = new Map<string, Promise<ApiResult<EndpointCheckView>>>();

  const handlers: { [M in ApiMethod]: Handler<M> } = {
    getOverview: async () => ok(await overview()),
    listAlerts: async (input) => ok(await listAlerts(input)),
    async ackAlert({ id }) {
      if (!(await engine.journal.hasAlert(id))) return fail('not-found', `There is no alert ${id} in the journal.`);
      await engine.journal.ack(id);
      return ok((await findAlert(id))!);
    },
    async snoozeAlert({ id, until }) {
      if (!(await engine.journal.hasAlert(id))) return fail('not-found', `There is no alert ${id} in the journal.`);
      if (Date.parse(until) <= clock.now().getTime()) return fail('bad-request', 'The snooze must end in the future: pick a later time.');
      await engine.journal.snooze(id, until);
      return ok((await findAlert(id))!);
    },
    async unackAlert({ id }) {
      if (!(await engine.journal.hasAlert(id))) return fail('not-found', `There is no alert ${id} in the journal.`);
      await engine.journal.unack(id);
      return ok((await findAlert(id))!);
    },
    async unsnoozeAlert({ id }) {
      if (!(await engine.journal.hasAlert(id))) return fail('not-found', `There is no alert ${id} in the journal.`);
      await engine.journal.unsnooze(id);
      return ok((await findAlert(id))!);
    },
    async pollNow({ server }) {
      if (server && !findServer(server)) return fail('not-found', `${server} is not among the watched servers. Add it under Settings.`);
      await engine.pollNow(server);
      const snap = engine.snapshot();
      return ok({ polledAt: snap.lastPollAt ?? clock.now().toISOString(), status: snap.status });
    },
    async planRemoval({ server, mitigation }) {
      const snap = findServer(server);
      if (!snap) return fail('not-found', `${server} is not among the watched servers.`);
      if (!snap.state) return fail('conflict', `${server} has not been read yet: poll it first.`);
      const wanted = mitigation.toLowerCase();
      const verdict = snap.verdicts.find((v) => v.id.toLowerCase() === wanted) ?? snap.verdicts.find((v) => v.family.toLowerCase() === wanted);
      if (!verdict) return fail('not-found', `${mitigation} is not on ${server} any more: poll again to refresh the view.`);
      const planned = planRemoval(snap.state, verdict, engine.knowledge());
      if (!planned.ok) return fail('conflict', planned.error);
      return ok(plans.store(planned.plan));
    },
    planOrgReenable: async () => ok(plans.store(planOrgReenable())),
    planStartService: async ({ server }) => serverPlan(server, (state) => planStartService(state)),
    planUnblock: async ({ server, ids }) => serverPlan(server, (state) => planUnblock(state, ids)),
    planServerReenable: async ({ server }) => serverPlan(server, (state) => planServerReenable(state)),
    async runPlan({ planId }) {
      const result = await plans.run(planId);
      return result.ok ? ok(result.value) : fail(result.code, result.message);
    },
    async getHeartbeat({ server, days }) {
      const snap = engine.snapshot();
      const servers = server ? snap.servers.filter((s) => s.name.toLowerCase() === server.toLowerCase()) : snap.servers;
      if (server && servers.length === 0) return fail('not-found', `${server} is not among the watched servers.`);
      const now = clock.now();
      return ok({ generatedAt: now.toISOString(), servers: servers.map((s) => buildHeartbeat(s, now, days ?? 7)) });
    },
    getDiagnostics: async ({ server }) => ok(buildDiagnostics(engine.snapshot(), server)),
    async verifyFeed({ xml, at }) {
      // In a worker with a time limit: a large file must not keep the other requests waiting (14.6).
      deps.feedVerifier ??= createFeedVerifier();
      const result = await deps.feedVerifier.verify(xml, { at: at ? new Date(at) : clock.now(), extraTrustedRoots: deps.trustedRoots, trust: engine.knowledge().feedTrust });
      // Only signed, trusted definitions are compared with the servers (configs is empty otherwise).
      const state = engine.snapshot().state;
      const servers = state && result.configs.length > 0 ? compareFeedWithState(result.configs, state, engine.knowledge()).servers : [];
      return ok({ verdict: result.verdict, reasons: result.reasons, signatureValid: result.signatureValid, chain: result.chain, checkedAt: result.checkedAt, configs: result.configs, servers });
    },
    getSettings: async () => ok(deps.settings.get()),
    async updateSettings({ settings }) {
      const before = deps.settings.get();
      const result = deps.settings.update(settings);
      if (!result.ok) return fail('bad-request', `The settings were not saved: ${result.error}.`);
      // Saved first, then applied: a crash in between still starts with the new settings.
      engine.applySettings(result.value);
      emit({ type: 'settings-changed' });
      const update: SettingsUpdate = { settings: result.value, restartRequired: restartRequiredFields(before, result.value) };
      return ok(update);
    },
    getKnowledge: async () => ok(knowledgeView(engine.knowledge(), deps.knowledgeInfo?.() ?? null, engine.snapshot().state?.servers ?? [], clock.now())),
    async getServer({ server }) {
      const snap = engine.snapshot();
      const found = snap.servers.find((s) => s.name.toLowerCase() === server.toLowerCase());
      if (!found) return fail('not-found', `${server} is not among the watched servers. Pick one in the Servers view, or add it under Settings.`);
      const timeline = await listAlerts({ server: found.name, limit: 200 });
      const endpoint = endpointAnswers.get(found.name.toLowerCase()) ?? null;
      return ok(buildServerDetail({ snap, server: found, knowledge: engine.knowledge(), mutes: await engine.journal.mutes(), now: clock.now(), history: engine.history(found.name), timeline, endpoint }));
    },
    async testEndpoint({ server }) {
      const found = engine.snapshot().servers.find((s) => s.name.toLowerCase() === server.toLowerCase());
      if (!found) return fail('not-found', `${server} is not among the watched servers. Pick one in the Servers view, or add it under Settings.`);
      const key = found.name.toLowerCase();
      // One question per server at a time: a second click waits for the same answer.
      let asking = endpointAsks.get(key);
      if (!asking) {
        asking = (async (): Promise<ApiResult<EndpointCheckView>> => {
          try {
            const check = await deps.host.testEndpoint(found.name);
            const context = found.state ? { server: found.state, knowledge: engine.knowledge() } : undefined;
            const view: EndpointCheckView = { ...check, diagnosis: diagnoseEndpointCheck(check, context) };
            endpointAnswers.set(key, view);
            return ok(view);
          } catch (error) {
            return fail('failed', `${found.name} could not be asked to test the endpoint: ${(error as Error).message}`);
          }
        })().finally(() => endpointAsks.delete(key));
        endpointAsks.set(key, asking);
      }
      return asking;
    },
    async exportData({ what, format }) {
      if (what === 'servers') return ok(exportServers(await overview(), format));
      return ok(exportTimeline(await listAlerts({ limit: 5000 }), clock.now().toISOString(), format));
    },
  };

  return {
    async call(method, input) {
      const parsed = parseApiCall(method, input);
      if (!parsed.ok) return parsed;
      try {
        return await (handlers[parsed.method] as Handler<ApiMethod>)(parsed.input as ApiInput<ApiMethod>);
      } catch (error) {
        return fail('failed', `${parsed.method} failed: ${(error as Error).message}`);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
