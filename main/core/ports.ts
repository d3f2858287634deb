/**
 * The ports between the pure core and the outside world. The engine depends on these interfaces
 * only; the PowerShell host (main/engine) and the simulated lab (main/lab) implement HostPort,
 * node-notifier (headless) and Electron's Notification (main/app) implement NotifierPort.
 */
import type { EemsEvent, StateDocument, Alert } from './model.js';

/** What to collect: the servers by name (validated: letters, digits, '-', '.', '_' only). */
export interface CollectRequest {
  servers: string[];
}

/** The kinds of step a removal or re-enable plan is made of. */
export type ActionStepKind =
  | 'backup-config'
  | 'block-mitigation'
  | 'unblock-mitigation'
  | 'remove-rewrite-rule'
  | 'start-app-pool'
  | 'start-service'
  | 'set-org-mitigations-enabled'
  | 'set-server-mitigations-enabled'
  | 'verify';

/**
 * Where a step runs (issue 13, point 10): through Exchange's remote PowerShell endpoint
 * (Set-ExchangeServer, Set-OrganizationConfig; also for the local server, eems-domain.md K8), or
 * on the Exchange server itself over WinRM (WebAdministration, services, files).
 */
export type StepChannel = 'exchange' | 'server';

/**
 * One step of a plan, as data. `powershell` is what the admin is shown (the exact command the
 * bundled script runs for these arguments); the host never executes that text: it passes `kind`
 * and `args` as JSON to a fixed script.
 */
export interface ActionStep {
  kind: ActionStepKind;
  server: string | null;
  args: Record<string, string | boolean | string[]>;
  description: string;
  powershell: string;
  /** Where it runs; the plan shows it. Absent only in plans made before 2026-12. */
  channel?: StepChannel;
}

/** The outcome of one step on a host. `changed` is false when the step found nothing to do. */
export interface StepResult {
  ok: boolean;
  changed: boolean;
  message: string;
  /** For backup-config: where the copy went. */
  backupPath?: string;
}

/** Where a server's Mitigation Service log folder can be read from (local path or UNC share). */
export interface LogLocation {
  server: string;
  folder: string;
}

/**
 * The answer of a server to "can you reach the mitigation endpoint?" (what Microsoft's
 * Test-MitigationServiceConnectivity.ps1 checks), asked of the server itself through its own
 * InternetWebProxy / WinHTTP proxy, never of the workstation.
 */
export interface EndpointCheck {
  server: string;
  /** ISO 8601 UTC. */
  checkedAt: string;
  reachable: boolean;
  /** The HTTP status the endpoint answered with, or null when no answer came. */
  statusCode: number | null;
  /** The endpoint URL asked. */
  url: string;
  /** The proxy the request went through, or null when it went direct. */
  proxy: string | null;
  /** The error text (exception chain) when not reachable: diagnosed like a 1008 body. */
  error: string | null;
  /**
   * Added 2026-12: the server's two proxy settings as the check read them, null when unset (absent:
   * not read). InternetWebProxy (Get-ExchangeServer) is what the service fetches through; EEMS
   * also needs the WinHTTP proxy (netsh winhttp) set to the same proxy (LEARN-EM).
   */
  internetWebProxy?: string | null;
  winHttpProxy?: string | null;
}

/** Per-call options: `signal` abandons a call (engine stop, time-out); the host ends what it started. */
export interface HostCallOptions {
  signal?: AbortSignal;
}

/** The port the engine talks to Exchange through. */
export interface HostPort {
  /** Collect the state document for these servers. Never throws for one bad server: its Error is set. */
  collect(request: CollectRequest, options?: HostCallOptions): Promise<StateDocument>;
  /** Mitigation-service events (and 4999 reports) with RecordId greater than sinceRecordId, oldest first. */
  events(server: string, sinceRecordId: number, options?: HostCallOptions): Promise<EemsEvent[]>;
  /** Run one plan step. */
  run(step: ActionStep, options?: HostCallOptions): Promise<StepResult>;
  /** Where to read the server's Mitigation Service log files, or null when unknown. */
  logLocation(server: string): LogLocation | null;
  /**
   * Ask the server to fetch the mitigation endpoint through its own proxy settings. An endpoint it
   * cannot reach is an answer (reachable false, error set); throws only when the server itself
   * could not be asked.
   */
  testEndpoint(server: string, options?: HostCallOptions): Promise<EndpointCheck>;
}

/** Time as an input, so rules and soaks can run on a fake clock. */
export interface Clock {
  now(): Date;
}

/** A notification for the desktop, already coalesced and worded. */
export interface DesktopNotification {
  title: string;
  body: string;
  /** The alerts it stands for (a click opens the first). */
  alertIds: string[];
  severity: Alert['severity'];
}

/** Desktop notifications: node-notifier in headless and CLI mode, Electron's Notification in the app. */
export interface NotifierPort {
  notify(notification: DesktopNotification): Promise<void>;
}
