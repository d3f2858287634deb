/**
 * One server's page (getServer): its overview row, the EEMS panel, build currency, who changed
 * its Mitigations* settings, the recent raw log lines and events, and the one-click plans this
 * version of the API offers for it. A pure function of what the service hands in.
 */
import { buildCurrency } from '../core/lifecycle/build-currency.js';
import { defaultLifecycle, type LifecycleData } from '../core/lifecycle/product-lifecycle.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { AdminAuditEntry } from '../core/model.js';
import type { EngineSnapshot, ServerSnapshot } from '../engine/engine-types.js';
import type { ServerHistory } from '../engine/server-history.js';
import type { AlertList, EndpointCheckView, MitigationsChange, PlanOffer, ServerDetail, ServerView } from './eems-api.js';
import { buildPanel } from './eems-panel.js';
import { apiHasMethod, type Mutes } from './server-issues.js';
import { buildServerView } from './views.js';

export interface ServerDetailInput {
  snap: EngineSnapshot;
  server: ServerSnapshot;
  knowledge: KnowledgeBase;
  mutes: Mutes;
  now: Date;
  history: ServerHistory;
  timeline: AlertList;
  /** The last testEndpoint answer for this server, where the API keeps one. */
  endpoint?: EndpointCheckView | null;
  lifecycle?: LifecycleData;
}

const MITIGATION_PARAMETER = /^Mitigations(Applied|Blocked|Enabled)$/i;

/** Search-AdminAuditLog entries about this server's Mitigations* parameters, one per parameter, newest first. */
export function mitigationsHistory(entries: readonly AdminAuditEntry[], server: ServerSnapshot): MitigationsChange[] {
  const names = [server.name, server.state?.Fqdn ?? ''].filter(Boolean).map((n) => n.toLowerCase());
  // ObjectModified is a DN or a name; an entry of this server's own state belongs to it anyway.
  const mine = (e: AdminAuditEntry) => names.some((n) => e.ObjectModified.toLowerCase() === n || e.ObjectModified.toLowerCase().includes(`cn=${n},`) || e.ObjectModified.toLowerCase().endsWith(`/${n}`));
  const own = new Set(server.state?.AuditEntries ?? []);
  const out: MitigationsChange[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if ((!own.has(e) && !mine(e)) || /^Set-OrganizationConfig$/i.test(e.CmdletName)) continue;
    for (const [parameter, value] of Object.entries(e.Parameters ?? {})) {
      if (!MITIGATION_PARAMETER.test(parameter)) continue;
      const key = JSON.stringify([e.RunDate, e.Caller, parameter, value]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ time: e.RunDate, caller: e.Caller, cmdlet: e.CmdletName, object: e.ObjectModified, parameter, value: String(value) });
    }
  }
  return out.sort((a, b) => b.time.localeCompare(a.time));
}

/** The plans the page offers, from the issues and verdicts; only methods this API has. */
function planOffers(view: ServerView, org: boolean | null): PlanOffer[] {
  const offers: PlanOffer[] = [];
  const add = (method: string, label: string, input: Record<string, string>, why: string) => {
    if (apiHasMethod(method) && !offers.some((o) => o.method === method && JSON.stringify(o.input) === JSON.stringify(input))) offers.push({ method, label, input, why });
  };
  for (const m of view.mitigations) {
    if (m.removable) add('planRemoval', `Remove ${m.id}…`, { server: view.name, mitigation: m.id }, m.reason);
    if (m.verdict === 'blocked') add('planUnblock', `Unblock ${m.id}…`, { server: view.name, mitigation: m.id }, `${m.id} is in MitigationsBlocked: EEMS does not apply it here.`);
  }
  if (view.service && view.service.Status !== 'Running') add('planStartService', 'Start MSExchangeMitigation…', { server: view.name }, `The service is ${view.service.Status}: EEMS checks nothing on this server.`);
  if (view.mitigationsEnabled === false) add('planServerReenable', 'Re-enable EEMS on this server…', { server: view.name }, 'MitigationsEnabled is False on this server.');
  if (org === false) add('planOrgReenable', 'Re-enable for the organization…', {}, 'Organization MitigationsEnabled is False: EEMS applies nothing on any server.');
  return offers;
}

/** The per-server page. */
export function buildServerDetail(input: ServerDetailInput): ServerDetail {
  const { snap, server, knowledge, now } = input;
  const view = buildServerView(snap, server, knowledge, input.mutes, now);
  const org = snap.state?.organization.MitigationsEnabled ?? null;
  const endpoint = input.endpoint ?? view.endpoint ?? null;
  const canTest = apiHasMethod('testEndpoint');
  const state = server.state ?? { Name: server.name, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null };
  const currency = buildCurrency(state, knowledge, input.lifecycle ?? defaultLifecycle(), now);
  const audit = [...(snap.state?.organization.AuditEntries ?? []), ...(snap.state?.servers ?? []).flatMap((s) => s.AuditEntries ?? [])];
  return {
    generatedAt: now.toISOString(),
    server: { ...view, endpoint },
    panel: buildPanel({ view, snapshot: server, org, history: input.history, currency, endpoint, canTest }),
    currency,
    mitigationsHistory: mitigationsHistory(audit, server),
    history: input.history,
    logNotes: server.logNotes,
    polling: { failures: server.backoff.failures, retryAt: server.backoff.retryAt, error: server.pollError },
    plans: planOffers(view, org),
    timeline: input.timeline,
    endpoint: { canTest, last: endpoint },
  };
}
