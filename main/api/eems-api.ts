/**
 * EemsApi: the one contract between the UI and the engine. Both transports serve exactly this:
 * the headless HTTP server (main/headless: JSON methods + server-sent events) and the Electron
 * preload (main/app: contextBridge over ipcRenderer.invoke). Inputs are validated at the main side
 * with these schemas, whichever transport carried them. Results cross as values, never as throws.
 *
 * The renderer imports this file with `import type` only.
 */
import { z } from 'zod';
import type { FeedServerComparison } from '../core/feed/compare-feed.js';
import type { Alert, Diagnosis, MitigationVerdict, OverallStatus, AdminAuditEntry, EemsEvent, LogEntry, Severity, Verdict } from '../core/model.js';
import type { ActionStepKind, EndpointCheck } from '../core/ports.js';
import type { BuildCurrency } from '../core/lifecycle/build-currency.js';
import type { Settings } from '../engine/settings/settings-schema.js';
import type { PlanEvidence } from '../core/mitigations/removal-plan.js';

export type { Settings };

const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a server name: letters, digits, ".", "_" and "-"');
const mitigationId = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}(\.[0-9]{1,4}){0,3}$/, 'a mitigation id such as M2 or M2.1.0');
const isoTime = z.string().datetime({ offset: true });

/** Input schemas of every method, by name. A method with no input takes `{}`. */
export const API_METHODS = {
  getOverview: z.object({}).strict(),
  listAlerts: z
    .object({
      server: serverName.optional(),
      kind: z.string().max(64).optional(),
      severity: z.enum(['info', 'warning', 'critical']).optional(),
      limit: z.number().int().min(1).max(5000).optional(),
    })
    .strict(),
  ackAlert: z.object({ id: z.string().min(1).max(200) }).strict(),
  snoozeAlert: z.object({ id: z.string().min(1).max(200), until: isoTime }).strict(),
  /** Added 2026-12 (issue 13, point 2): take an acknowledgement or a snooze back. */
  unackAlert: z.object({ id: z.string().min(1).max(200) }).strict(),
  unsnoozeAlert: z.object({ id: z.string().min(1).max(200) }).strict(),
  pollNow: z.object({ server: serverName.optional() }).strict(),
  planRemoval: z.object({ server: serverName, mitigation: mitigationId }).strict(),
  planOrgReenable: z.object({}).strict(),
  runPlan: z.object({ planId: z.string().min(1).max(200), confirm: z.literal(true) }).strict(),
  /** Without a server: every server. */
  getHeartbeat: z.object({ server: serverName.optional(), days: z.number().int().min(1).max(31).optional() }).strict(),
  getDiagnostics: z.object({ server: serverName.optional() }).strict(),
  verifyFeed: z.object({ xml: z.string().min(1).max(5 * 1024 * 1024), at: isoTime.optional() }).strict(),
  getSettings: z.object({}).strict(),
  updateSettings: z.object({ settings: z.record(z.string(), z.unknown()) }).strict(),
  exportData: z.object({ what: z.enum(['servers', 'alerts']), format: z.enum(['csv', 'json']) }).strict(),
  getKnowledge: z.object({}).strict(),
  planStartService: z.object({ server: serverName }).strict(),
  planUnblock: z.object({ server: serverName, ids: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.\d+)*$/, 'a mitigation ID such as "M2" or "M2.1.0"')).min(1).max(20) }).strict(),
  planServerReenable: z.object({ server: serverName }).strict(),
  /** Added 2026-12 (issue 13, points 5-6): one server's page (EEMS panel, timeline, raw records). */
  getServer: z.object({ server: serverName }).strict(),
  /**
   * Added 2026-12 (issue 13, point 6): ask the server itself whether it reaches the mitigation
   * endpoint through its own proxy settings (test-endpoint.ps1). Reads only; changes nothing.
   */
  testEndpoint: z.object({ server: serverName }).strict(),
} as const;

export type ApiMethod = keyof typeof API_METHODS;
export type ApiInput<M extends ApiMethod> = z.infer<(typeof API_METHODS)[M]>;

/** An error that crosses a transport: a code for programs, a sentence for the admin. */
export interface ApiError {
  code: 'bad-request' | 'not-found' | 'conflict' | 'failed' | 'forbidden';
  message: string;
}

/** Every call resolves to a result, never a throw (Electron only passes error.message across IPC). */
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Events pushed to the UI. */
export type ApiEvent =
  | { type: 'state-changed' }
  | { type: 'alerts-changed' }
  | { type: 'poll-progress'; polling: boolean; server?: string }
  | { type: 'plan-progress'; planId: string; step: number; status: 'running' | 'done' | 'failed'; message: string }
  | { type: 'open-alert'; alertId: string }
  | { type: 'settings-changed' };

/** What serves the API: one object over the engine, used by both transports. */
export interface ApiService {
  call(method: ApiMethod, input: unknown): Promise<ApiResult>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

/** Validate a method name and its input; the transports call this before the service. */
export function parseApiCall(method: unknown, input: unknown): { ok: true; method: ApiMethod; input: unknown } | { ok: false; error: ApiError } {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(API_METHODS, method)) {
    return { ok: false, error: { code: 'bad-request', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.` } };
  }
  const schema = API_METHODS[method as ApiMethod];
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'input';
    return { ok: false, error: { code: 'bad-request', message: `Invalid ${method} request: ${where}: ${issue?.message ?? 'invalid'}.` } };
  }
  return { ok: true, method: method as ApiMethod, input: parsed.data };
}

// ---------------------------------------------------------------------------------------------
// Outputs: what each method resolves to (the `value` of an ok result). Times are ISO 8601 UTC;
// the UI shows their age against `generatedAt`, so every figure says how old it is.

/** A mitigation on a server: the verdict plus what it is for, in words from the knowledge base. */
export interface MitigationView extends MitigationVerdict {
  title: string | null;
  cve: string | null;
  protectsAgainst: string | null;
  userImpact: string | null;
}

/** The build of a server, named ("2019 CU15 Jun26SU") with where the number came from. */
export interface BuildView {
  short: string;
  label: string;
  version: string | null;
  source: 'ExSetup' | 'AdminDisplayVersion' | 'none';
  note: string | null;
  exact: boolean;
}

/** The last failed fetch of the mitigation service on a server, explained. */
export interface FetchErrorView {
  message: string;
  at: string | null;
  diagnosis: Diagnosis | null;
  /** True while fetches still fail; false when it cleared (kept for the diagnostics page). */
  ongoing: boolean;
}

/** One row of the Servers view. */
export interface ServerView {
  name: string;
  fqdn: string | null;
  build: BuildView;
  /** The server's own MitigationsEnabled. */
  mitigationsEnabled: boolean | null;
  /** The org and server settings combined, as HealthChecker words it. */
  effective: 'enabled' | 'disabled-org' | 'disabled-server' | 'disabled' | 'unknown';
  service: { Status: string; StartType: string } | null;
  lastCycleAt: string | null;
  collectedAt: string | null;
  status: OverallStatus;
  statusText: string;
  /** Why the server could not be read, when it could not. */
  error: string | null;
  lastFetchError: FetchErrorView | null;
  applied: string[];
  blocked: string[];
  mitigations: MitigationView[];
  /**
   * Added 2026-12 (issue 13, point 2): this server's open alerts with what the admin did about
   * them, so a row keeps its real verdict and says "acknowledged by you at ..." beside it.
   */
  alerts?: AlertSummary[];
  /**
   * Added 2026-12 (issue 13, point 5): what is wrong or worth knowing on this server, each with its
   * next step; `attention` sums them up ('action': something to do). Problems sort first by these.
   */
  issues?: ServerIssue[];
  attention?: 'action' | 'watch' | 'fine';
  /** Added 2026-12 (issue 13, point 6): the last "endpoint reachable?" answer of the server itself, or null. */
  endpoint?: EndpointCheckView | null;
}

/** The next step the UI offers for an issue: a one-click plan (an API plan method) or a link. */
export interface IssueAction {
  kind: 'plan' | 'link';
  label: string;
  /** For 'plan': the API method that makes the plan (planRemoval, planStartService, ...). */
  method?: string;
  input?: Record<string, string>;
  /** For 'link': a hash of this UI (#server=EX01, #diagnostics=organization). */
  href?: string;
}

/** One problem on a server; `key` is the same for the same problem on other servers (grouping). */
export interface ServerIssue {
  key: string;
  level: 'action' | 'watch';
  severity: Severity;
  /** Words that read the same for every server in a group ("M2 can be removed"). */
  title: string;
  /** This server's particulars ("fix installed: 15.2.1748.48 ≥ 15.2.1748.48"), or null. */
  detail: string | null;
  action: IssueAction | null;
  /** The alert behind it was acknowledged or snoozed: notifications are silenced, the problem stays. */
  muted?: 'acknowledged' | 'snoozed' | null;
}

/** The same problem on several servers, for the overview's "needs attention" list. */
export interface IssueGroup {
  key: string;
  level: 'action' | 'watch';
  severity: Severity;
  title: string;
  servers: string[];
}

/** Counts for the top of the overview ("3 of 500 need action"). */
export interface OverviewCounts {
  servers: number;
  needAction: number;
  watch: number;
  fine: number;
  /** Mitigations per verdict over every server. */
  verdicts: Partial<Record<Verdict, number>>;
  /** Removable mitigations (stale-applied and orphan-artefact). */
  removable: number;
  /** Problems grouped across servers, worst first. */
  groups: IssueGroup[];
}

/** An endpoint check as the UI shows it: the server's answer and its diagnosis (same codes as a 1008). */
export interface EndpointCheckView extends EndpointCheck {
  diagnosis?: Diagnosis | null;
}

/** One row of the per-server EEMS panel (HealthChecker's rows and wording where it has them). */
export interface PanelRow {
  key: string;
  name: string;
  value: string;
  tone: 'good' | 'info' | 'warn' | 'bad' | 'unknown';
  /** When the value is a time (ISO): the UI shows its age beside the value. */
  time?: string | null;
  detail: string | null;
  /** An https link with more information, or null. */
  link: string | null;
}

/** A one-click plan the server page offers (only methods the API has). */
export interface PlanOffer {
  method: string;
  label: string;
  input: Record<string, string>;
  why: string;
}

/** A Search-AdminAuditLog entry about one Mitigations* parameter of this server. */
export interface MitigationsChange {
  time: string;
  caller: string;
  cmdlet: string;
  object: string;
  /** MitigationsApplied, MitigationsBlocked, MitigationsEnabled. */
  parameter: string;
  value: string;
}

/** What getServer resolves to: everything the per-server page shows. */
export interface ServerDetail {
  generatedAt: string;
  server: ServerView;
  panel: PanelRow[];
  currency: BuildCurrency;
  /** Newest first. */
  mitigationsHistory: MitigationsChange[];
  /** The recent records the engine read (in memory since EEMS Watch started, bounded). */
  history: { since: string | null; logLines: LogEntry[]; events: EemsEvent[]; droppedLines: number; droppedEvents: number; lastCleanFetchAt: string | null };
  /** Sentences of the log collector (rotation, truncation, unreadable folder). */
  logNotes: string[];
  /** Our own polling of the server: failures in a row and the next try. */
  polling: { failures: number; retryAt: string | null; error: string | null };
  plans: PlanOffer[];
  /** This server's alerts and actions from the journal. */
  timeline: AlertList;
  /** Whether the API can ask the server itself (testEndpoint), and its last answer. */
  endpoint: { canTest: boolean; last: EndpointCheckView | null };
}

/** An open alert as a server row shows it. */
export interface AlertSummary {
  id: string;
  kind: Alert['kind'];
  severity: Alert['severity'];
  title: string;
  since: string | null;
  acked: boolean;
  ackedAt: string | null;
  ackedBy: string | null;
  snoozedUntil: string | null;
}

export interface Overview {
  generatedAt: string;
  collectedAt: string | null;
  lastPollAt: string | null;
  polling: boolean;
  status: OverallStatus;
  organization: { MitigationsEnabled: boolean | null };
  servers: ServerView[];
  openAlerts: number;
  /** Added 2026-12 (issue 13, point 5): counts per attention and verdict, problems grouped. */
  counts?: OverviewCounts;
  /** Added 2026-12: the last audited change of the organisation's MitigationsEnabled, or null. */
  orgLastChange?: AdminAuditEntry | null;
  /** Added 2026-12 (issue 14, point 7): how many notes on damaged data files Diagnostics lists. */
  dataNotes?: number;
}

/** An alert from the journal with what the admin did about it. */
export interface AlertView extends Alert {
  acked: boolean;
  ackedAt: string | null;
  snoozedUntil: string | null;
  /**
   * Added 2026-12 (issue 13, points 1-3): open while its condition holds, resolved once it cleared
   * (kept in the history). Optional until every producer sets them.
   */
  state?: 'open' | 'resolved';
  /** When the problem began (audit entry, first failed cycle), not when the alert was raised. */
  since?: string | null;
  /** When the condition was seen cleared, or null while open. */
  resolvedAt?: string | null;
  /** Who acknowledged it ("you" in the UI for the local admin), or null. */
  ackedBy?: string | null;
  /** The last time the rule saw the condition still true (a standing alert stays current). */
  lastSeenAt?: string | null;
}

/** The outcome of one plan step. */
export interface StepView {
  index: number;
  kind: ActionStepKind;
  server: string | null;
  description: string;
  /** The exact PowerShell the step runs (shown, never executed as text). */
  powershell: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  changed: boolean | null;
  message: string | null;
  /** Where the step runs: 'exchange' (Exchange's remote PowerShell) or 'server' (the server itself, over WinRM). */
  channel?: 'exchange' | 'server';
}

/** How a plan run ended. */
export interface PlanResultView {
  ok: boolean;
  /** True when the state read after the run confirms the change (verifyRemoval). */
  verified: boolean;
  message: string;
  /** 0-based index of the step that failed, or null. */
  failedStep: number | null;
  /** In words: what the server looks like after a failure (what was done, what was not). */
  serverLeft: string | null;
  finishedAt: string;
}

export interface PlanView {
  id: string;
  server: string | null;
  mitigation: string | null;
  title: string;
  warnings: string[];
  steps: StepView[];
  createdAt: string;
  state: 'ready' | 'running' | 'succeeded' | 'failed';
  /** How many times it was run (a failed run can be resumed). */
  runs: number;
  result: PlanResultView | null;
  /** "Copy as .ps1": the complete script of the same steps, for admins who run it themselves. */
  script?: string;
  /** The evidence behind a removal (builds, sources with links, disagreement, EOMT's own rollback). */
  evidence?: PlanEvidence | null;
}

export type { PlanEvidence };

/** An action in the audit journal: who ran which plan, and how it ended. */
export interface ActionView {
  id: string;
  time: string;
  planId: string;
  title: string;
  server: string | null;
  mitigation: string | null;
  ok: boolean;
  message: string;
  steps: { index: number; kind: string; ok: boolean; changed: boolean; message: string }[];
}

export interface AlertList {
  alerts: AlertView[];
  actions: ActionView[];
  total: number;
}

export type HeartbeatCellState =
  | 'ok'
  | 'missed'
  | 'future'
  | 'no-data'
  // Added 2026-12 (issue 13, point 7): what an hour was. 'failed' held a fetch that failed,
  // 'crashed' a crash of the service, 'stopped' no fetch as the service was down, 'silent' no
  // fetch while it ran. 'missed' is no longer produced (kept for old clients).
  | 'failed'
  | 'crashed'
  | 'stopped'
  | 'silent';

export interface HeartbeatView {
  server: string;
  lastCycleAt: string | null;
  missed: number;
  /**
   * Oldest first; each day has 24 UTC hours. `cycles` is 1 when the hour held at least one fetch
   * cycle, else 0: the engine keeps which hours held a cycle, not how many each held.
   */
  days: { date: string; hours: { hour: number; cycles: number; state: HeartbeatCellState }[] }[];
}

export interface DiagnosticsView {
  servers: { name: string; error: string | null; lastFetchError: FetchErrorView | null }[];
  /**
   * Added 2026-12 (issue 14, point 7): damaged data files found and set aside (settings moved
   * aside, engine state reset, journal lines skipped), each a sentence naming the file and what
   * was done. Empty when every file was sound.
   */
  dataNotes?: string[];
  organization: {
    MitigationsEnabled: boolean | null;
    /** Who changed the Mitigations* settings, and when (Search-AdminAuditLog entries). */
    drift: AdminAuditEntry[];
  };
}

/** The verify-feed document (contracts.md, eems-watch verify-feed). */
export interface FeedVerificationView {
  verdict: 'valid' | 'invalid';
  reasons: { code: string; message: string }[];
  signatureValid: boolean;
  chain: { subject: string; issuer: string; notBefore: string; notAfter: string; sha256: string }[];
  checkedAt: string;
  configs: { id: string; desc: string; actions: { type: string; scope: string; desc: string; value: string }[] }[];
  /** The signed definitions against every watched server: what it lacks, what is no longer published. */
  servers: FeedServerComparison[];
}

/**
 * What updateSettings resolves to: the saved settings, and which of the changed fields take effect
 * only when EEMS Watch restarts (dotted paths such as "connection.mode"). Every other change
 * (servers, polling, alert rules, notifications) was applied to the running engine at once.
 */
export interface SettingsUpdate {
  settings: Settings;
  restartRequired: string[];
}

export interface ExportFile {
  filename: string;
  mime: string;
  content: string;
}

/** The value each method resolves to. */
export interface ApiOutputs {
  getOverview: Overview;
  listAlerts: AlertList;
  ackAlert: AlertView;
  snoozeAlert: AlertView;
  unackAlert: AlertView;
  unsnoozeAlert: AlertView;
  pollNow: { polledAt: string; status: OverallStatus };
  planRemoval: PlanView;
  planOrgReenable: PlanView;
  runPlan: PlanView;
  getHeartbeat: { generatedAt: string; servers: HeartbeatView[] };
  getDiagnostics: DiagnosticsView;
  verifyFeed: FeedVerificationView;
  getSettings: Settings;
  updateSettings: SettingsUpdate;
  exportData: ExportFile;
  getServer: ServerDetail;
  testEndpoint: EndpointCheckView;
  getKnowledge: KnowledgeView;
  planStartService: PlanView;
  planUnblock: PlanView;
  planServerReenable: PlanView;
}

/** The knowledge in force (Diagnostics): its version and date, where it came from, and whether it is behind. */
export interface KnowledgeView {
  version: string;
  date: string;
  source: 'built-in' | 'file' | 'url';
  location: string | null;
  loadedAt: string;
  /** Set when a watched server runs a build the table does not know yet (the knowledge is behind). */
  warning: string | null;
  /** Why the last knowledge update was refused; the previous knowledge stayed in force. */
  lastError: string | null;
}

export type ApiOutput<M extends ApiMethod> = ApiOutputs[M];

/**
 * The bridge the renderer talks to: the HTTP client, or an adapter over the Electron preload's
 * window.eemsApi (one function per method plus subscribe: see PreloadApi).
 */
export interface EemsApiBridge {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResult<ApiOutput<M>>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

/** What the Electron preload exposes as window.eemsApi (main/app/preload.cts). */
export type PreloadApi = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiResult<ApiOutput<M>>> } & {
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** Forward a renderer log line to the app's log (main checks the sender and the level). */
  log(level: 'error' | 'warn' | 'info', message: string): void;
};
