/**
 * The per-server EEMS panel: HealthChecker's EEMS rows with HealthChecker's words where it has
 * them (CSS-Exchange Diagnostics/HealthChecker/Analyzer/Security/Invoke-AnalyzerSecurityMitigationService.ps1
 * and docs/Diagnostics/HealthChecker/EEMSCheck.md [CONFIRMED]), plus what EEMS Watch knows beyond
 * them: the last fetch without an error, both proxies side by side, build currency and support.
 */
import type { BuildCurrency } from '../core/lifecycle/build-currency.js';
import type { ServerState } from '../core/model.js';
import type { ServerSnapshot } from '../engine/engine-types.js';
import type { ServerHistory } from '../engine/server-history.js';
import type { EndpointCheckView, PanelRow, ServerView } from './eems-api.js';

/** HealthChecker's "More Information" links [CONFIRMED: eems-domain.md section 6]. */
const HC_EEMS_LINK = 'https://aka.ms/HC-EEMS';
const HC_CONNECTIVITY_LINK = 'https://aka.ms/HelpConnectivityEEMS';
const LEARN_EM = 'https://learn.microsoft.com/exchange/exchange-emergency-mitigation-service';

export interface PanelInput {
  view: ServerView;
  snapshot: ServerSnapshot;
  org: boolean | null;
  history: ServerHistory;
  currency: BuildCurrency;
  endpoint: EndpointCheckView | null;
  canTest: boolean;
}

const row = (key: string, name: string, value: string, tone: PanelRow['tone'], detail: string | null = null, link: string | null = null): PanelRow => ({ key, name, value, tone, detail, link });
const timed = (time: string | null, r: PanelRow): PanelRow => ({ ...r, time });
const yesNo = (v: boolean | null | undefined): string => (v === true ? 'True' : v === false ? 'False' : 'not read');

function eemsRow(view: ServerView, org: boolean | null): PanelRow {
  const words = `Organization MitigationsEnabled: ${yesNo(org)}; server MitigationsEnabled: ${yesNo(view.mitigationsEnabled)}.`;
  switch (view.effective) {
    case 'enabled':
      return row('eems', 'Exchange Emergency Mitigation Service', 'Enabled', 'good', words);
    case 'disabled-org':
      return row('eems', 'Exchange Emergency Mitigation Service', 'Disabled on org level', 'warn', `${words} EEMS applies nothing on any server.`, HC_EEMS_LINK);
    case 'disabled-server':
      return row('eems', 'Exchange Emergency Mitigation Service', 'Disabled on server level', 'warn', words, HC_EEMS_LINK);
    case 'disabled':
      return row('eems', 'Exchange Emergency Mitigation Service', 'Disabled', 'warn', words, HC_EEMS_LINK);
    default:
      // HealthChecker says "Failed to query config" when the organisation setting cannot be read.
      return row('eems', 'Exchange Emergency Mitigation Service', view.collectedAt ? 'Failed to query config' : 'not read yet', view.collectedAt ? 'bad' : 'unknown', words);
  }
}

function serviceRow(view: ServerView): PanelRow {
  const svc = view.service;
  if (!svc) return row('service', 'Windows service (MSExchangeMitigation)', 'Unknown', 'unknown', 'The service was not read (an older collection script, or the server could not be read).');
  const ok = svc.Status === 'Running' && svc.StartType === 'Automatic';
  const detail = `Status ${svc.Status}, start type ${svc.StartType}.${ok ? '' : ' Expected: Running and Automatic (HealthChecker shows "Investigate" for anything else).'}`;
  return row('service', 'Windows service (MSExchangeMitigation)', ok ? 'Running' : `Investigate: ${svc.Status} (${svc.StartType})`, ok ? 'good' : svc.Status === 'Running' ? 'warn' : 'bad', detail);
}

function endpointRow(endpoint: EndpointCheckView | null, canTest: boolean): PanelRow {
  const name = 'Pattern service (endpoint reachable from the server)';
  if (!endpoint) {
    const how = canTest ? 'Use "Test from the server" to ask the server itself.' : 'This version of EEMS Watch cannot ask the server yet; HealthChecker checks it from the server (Invoke-WebRequest to the endpoint).';
    return row('endpoint', name, 'not checked yet', 'unknown', how);
  }
  const via = endpoint.proxy ? ` through the proxy ${endpoint.proxy}` : ' directly (no proxy)';
  if (endpoint.reachable && endpoint.statusCode === 200) return timed(endpoint.checkedAt, row('endpoint', name, '200 - Reachable', 'good', `The server fetched ${endpoint.url}${via}.`));
  const d = endpoint.diagnosis;
  const why = d ? `${d.title}. First step: ${d.fix[0] ?? 'see More information.'}` : (endpoint.error ?? (endpoint.statusCode !== null ? `HTTP ${endpoint.statusCode}` : 'no answer'));
  const status = endpoint.statusCode !== null ? `Unreachable (HTTP ${endpoint.statusCode})` : 'Unreachable';
  return timed(endpoint.checkedAt, row('endpoint', name, status, 'bad', `The server could not fetch ${endpoint.url}${via}: ${why}`, HC_CONNECTIVITY_LINK));
}

function fetchRow(s: ServerSnapshot, history: ServerHistory): PanelRow {
  const name = 'Last fetch without an error';
  const clean = history.lastCleanFetchAt ?? (s.fetchFailures === 0 ? s.lastCycleAt : null);
  if (s.fetchFailures > 0) {
    const since = clean ? `The last fetch without an error started at ${clean}.` : 'No fetch without an error was seen since EEMS Watch started reading this server.';
    return timed(clean, row('fetch', name, clean ? '' : 'none seen', 'bad', `${s.fetchFailures} hourly fetch${s.fetchFailures === 1 ? '' : 'es'} in a row failed: ${s.lastFetchError?.diagnosis.title ?? s.lastFetchError?.text ?? 'see the log lines below'}. ${since}`));
  }
  if (!clean) return row('fetch', name, 'none seen yet', 'unknown', 'No fetch cycle was read from the Mitigation Service log yet.');
  return timed(clean, row('fetch', name, '', 'good', 'The cycle logged no error or warning (the log says what was fetched).'));
}

/** "http://10.0.0.10:8080/" and "10.0.0.10:8080" name the same proxy. */
function proxyKey(p: string | null | undefined): string {
  if (!p) return '';
  return p.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
}

function proxyRows(state: ServerState | null, endpoint: EndpointCheckView | null, canTest: boolean): PanelRow[] {
  const web = state?.InternetWebProxy ?? null;
  // The hourly collection does not read the WinHTTP proxy; the endpoint test reads it on the server.
  const win = state?.WinHttpProxy !== undefined ? state.WinHttpProxy : endpoint && endpoint.winHttpProxy !== undefined ? endpoint.winHttpProxy : undefined;
  const webRow = row('InternetWebProxy', 'InternetWebProxy (Set-ExchangeServer)', web ?? 'none (direct)', 'info');
  if (win === undefined) {
    const how = canTest ? '"Test from the server" (Pattern service row) reads it on the server.' : 'Read it on the server with netsh winhttp show proxy.';
    return [webRow, row('WinHttpProxy', 'WinHTTP proxy (netsh winhttp)', 'not read yet', 'unknown', how)];
  }
  const differ = proxyKey(web) !== proxyKey(win);
  const detail = differ ? 'They differ: behind a proxy EEMS needs both InternetWebProxy and the WinHTTP proxy set (Learn, EM service), or fetches and certificate checks fail.' : null;
  return [webRow, row('WinHttpProxy', 'WinHTTP proxy (netsh winhttp)', win ?? 'none (direct)', differ ? 'warn' : 'info', detail, differ ? LEARN_EM : null)];
}

function mitigationRows(state: ServerState | null): PanelRow[] {
  const applied = state?.MitigationsApplied ?? [];
  const blocked = state?.MitigationsBlocked ?? [];
  const time = state?.MitigationsAppliedTime ? `MitigationsAppliedTime: ${state.MitigationsAppliedTime}.` : null;
  return [
    row('applied', 'Mitigations applied', applied.length ? applied.join(', ') : 'none', 'info', time),
    row('blocked', 'Mitigations blocked', blocked.length ? blocked.join(', ') : 'none', blocked.length ? 'warn' : 'info', blocked.length ? 'EEMS does not apply a blocked mitigation on this server.' : null),
    row('telemetry', 'Telemetry enabled (DataCollectionEnabled)', yesNo(state?.DataCollectionEnabled), 'info'),
  ];
}

function buildRows(view: ServerView, c: BuildCurrency, state: ServerState | null): PanelRow[] {
  const tone: PanelRow['tone'] = c.behind === null ? 'unknown' : c.behind > 0 ? 'warn' : 'good';
  const support = c.support;
  const supportTone: PanelRow['tone'] = support.state === 'supported' ? 'good' : support.state === 'unknown' ? 'unknown' : support.state === 'ended' ? 'warn' : 'bad';
  const supportValue = { supported: 'supported', ended: support.esu ? 'past end of support (ESU build)' : 'past end of support', 'cu-unsupported': 'CU not supported', unknown: 'unknown' }[support.state];
  const behind = c.behind === null ? 'unknown' : c.behind === 0 ? 'up to date' : `${c.behind} update${c.behind === 1 ? '' : 's'} behind`;
  const rows = [
    row('build', 'Build', `${view.build.label}${view.build.version ? ` (${view.build.version})` : ''}`, view.build.source === 'ExSetup' ? 'info' : 'unknown', view.build.note),
    row('currency', 'Build currency', behind, tone, c.summary),
    row('support', 'Support', supportValue, supportTone, [support.text, ...support.sources.map((s) => `Source: ${s.title} [${s.confidence}]${s.date ? `, ${s.date}` : ''}.`)].join(' ') || null, support.sources.find((s) => s.url)?.url ?? null),
  ];
  if (state?.ExchangeInstallPath) rows.push(row('install-path', 'ExchangeInstallPath', state.ExchangeInstallPath, 'info', 'The Mitigation Service log is read from its Logging\\MitigationService folder.'));
  return rows;
}

/** The panel's rows, in HealthChecker's order, then EEMS Watch's own. */
export function buildPanel(input: PanelInput): PanelRow[] {
  const { view, snapshot, history } = input;
  const state = snapshot.state;
  const rows: PanelRow[] = [];
  if (view.error) rows.push(row('read', 'Read by EEMS Watch', 'could not be read', 'bad', view.error));
  rows.push(eemsRow(view, input.org), serviceRow(view), endpointRow(input.endpoint, input.canTest), fetchRow(snapshot, history));
  rows.push(timed(view.lastCycleAt, row('cycle', 'Last hourly cycle', view.lastCycleAt ? '' : 'none seen', view.lastCycleAt ? 'info' : 'unknown', 'The latest "Fetching mitigations" line of the Mitigation Service log.')));
  rows.push(...proxyRows(state, input.endpoint, input.canTest), ...mitigationRows(state), ...buildRows(view, input.currency, state));
  return rows;
}
