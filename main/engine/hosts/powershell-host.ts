/**
 * The real host: talks to Exchange through Windows PowerShell and the three bundled scripts
 * (collect-state.ps1, read-events.ps1, run-step.ps1). The executable is a setting
 * (connection.powershellPath), so the tests run this very code against a stand-in program.
 *
 * Safety: only `-NoProfile -NonInteractive -ExecutionPolicy Bypass -File <bundled script>` is ever
 * on the command line; the request goes as JSON on stdin; names and IDs are checked before anything
 * starts; every call has a time-out (the whole process tree is ended) and an output cap; what comes
 * back is validated before anyone trusts it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EemsEvent, ServerState, StateDocument } from '../../core/model.js';
import type { ActionStep, Clock, CollectRequest, HostCallOptions, HostPort, LogLocation, StepResult } from '../../core/ports.js';
import { parseStateDocument } from '../../core/parsers/state-document.js';
import type { Settings } from '../settings/settings-schema.js';
import { runProcess, type ProcessFailureKind } from './process-runner.js';
import { BUNDLED_SCRIPT_HASHES, checkScripts, resolveScriptsDir, SCRIPT_NAMES } from './scripts-dir.js';
import { readEnvelope, readEvents, readStepResult } from './host-output.js';
import { createEndpointCheck } from './endpoint-check.js';
import { settingsLaunch, type PowerShellLaunch } from './powershell-launch.js';
import {
  checkServerName, checkStep, computerNameFor, connectionUrisFor, serialiseRequest, type ScriptRequest,
} from './host-request.js';

/** Options of the PowerShell host. Only `settings` is required. */
export interface PowerShellHostOptions {
  settings: Settings;
  /** Folder of the bundled .ps1 files; default: found with resolveScriptsDir(). */
  scriptsDir?: string;
  /**
   * The hash list the scripts are checked against at start (default: the bundled list when the
   * bundled folder is used; none for a folder a test passes in, unless it passes a list too).
   */
  scriptHashes?: Readonly<Record<string, string>> | null;
  /** Time-out per call; default connection.callTimeoutSeconds. */
  timeoutMs?: number;
  /** Cap on stdout and on stderr of one call; default 16 MB. */
  maxOutputBytes?: number;
  /** App pools and services to report (the ones the mitigation catalogue names). */
  appPools?: string[];
  services?: string[];
  /** IIS locations whose web.config is searched for EEMS rewrite rules. */
  rewriteLocations?: string[];
  /** How far back Search-AdminAuditLog looks, in days (default 7). */
  auditDays?: number;
  /** Most events one read-events call returns; the next call continues from the last RecordId. */
  maxEvents?: number;
  clock?: Clock;
  /**
   * Variables added to the environment PowerShell inherits (the simulated Exchange of the lab is
   * told its lab folder this way); nothing from the settings is ever put here.
   */
  env?: Readonly<Record<string, string>>;
  /** The endpoint testEndpoint fetches on the server; default Microsoft's (the tests' local TLS endpoint). */
  endpointUrl?: string;
  /**
   * How a script is started; default connection.powershellPath with powershell.exe's fixed flags.
   * The simulated Exchange of the lab puts its entry script in front (simulated-powershell.ts).
   */
  launch?: PowerShellLaunch;
}

/** A host call that failed as a whole (events()); `message` is the sentence for the admin. */
export class HostCallError extends Error {
  constructor(
    message: string,
    readonly kind: ProcessFailureKind | 'refused' | 'unreadable' | 'script-error' | 'invalid-result' | 'missing-script',
  ) {
    super(message);
    this.name = 'HostCallError';
  }
}

/** A local drive path ("D:\\Exchange Server\\V15\\"): drive letter, then folders without empty or ".." parts. */
function drivePathParts(path: string): { drive: string; folders: string[] } | null {
  const m = /^([A-Za-z]):\\([^/:*?"<>|\r\n\0]*)$/.exec(path);
  if (!m) return null;
  const folders = m[2]!.replace(/\\$/, '').split('\\');
  if (folders.length === 1 && folders[0] === '') return { drive: m[1]!.toUpperCase(), folders: [] };
  if (folders.some((f) => f === '' || f === '.' || f === '..' || f.trim() !== f)) return null;
  return { drive: m[1]!.toUpperCase(), folders };
}

const SETUP_DEFAULT = { drive: 'C', folders: ['Program Files', 'Microsoft', 'Exchange Server', 'V15'] };

/**
 * Where a server's Mitigation Service log is, when the settings do not say:
 * `<ExchangeInstallPath>\Logging\MitigationService` (eems-domain.md section 2, CONFIRMED), with the
 * install path collect-state.ps1 read on the server (K10: Exchange is often not on C:), reached
 * through the drive's admin share (D:\... -> \\SERVER\D$\...). Without a usable install path (none
 * collected yet, or not a plain local drive path), Setup's default on C:. INFERRED: that the admin
 * share is open to this account; set servers[].logFolder where it is not.
 */
export function defaultLogFolder(computerName: string, installPath?: string | null): string {
  const { drive, folders } = (installPath ? drivePathParts(installPath) : null) ?? SETUP_DEFAULT;
  return [`\\\\${computerName}`, `${drive}$`, ...folders, 'Logging', 'MitigationService'].join('\\');
}

/** Defaults for what the collection reports beyond the mitigation service itself. */
export const DEFAULT_APP_POOLS = ['MSExchangeOWAAppPool', 'MSExchangeECPAppPool', 'MSExchangePowerShellAppPool', 'MSExchangeAutodiscoverAppPool'];
export const DEFAULT_REWRITE_LOCATIONS = [
  'Default Web Site', 'Default Web Site/owa', 'Default Web Site/ecp', 'Default Web Site/PowerShell',
  'Default Web Site/Autodiscover', 'Default Web Site/EWS', 'Default Web Site/mapi', 'Default Web Site/Microsoft-Server-ActiveSync',
];

type ScriptKind = keyof typeof SCRIPT_NAMES;
type CallOutcome = { ok: true; result: unknown } | { ok: false; error: string; kind: HostCallError['kind'] };

const LABELS: Record<ScriptKind, string> = {
  collect: 'the collection script',
  events: 'the event script',
  run: 'the step script',
};

/** Create the PowerShell host (HostPort) for these settings. */
export function createPowerShellHost(options: PowerShellHostOptions): HostPort {
  const { settings } = options;
  const scriptsDir = options.scriptsDir ?? resolveScriptsDir();
  const hashes = options.scriptHashes !== undefined ? options.scriptHashes : options.scriptsDir === undefined ? BUNDLED_SCRIPT_HASHES : null;
  // Checked once, at start: a script changed after installation is never run (issue 14.10).
  const scriptsProblem = hashes ? checkScripts(scriptsDir, hashes) : null;
  const clock = options.clock ?? { now: () => new Date() };
  const mode: ScriptRequest['mode'] = settings.connection.mode === 'remote' ? 'remote' : 'local';
  const installPaths = new Map<string, string>();

  const baseRequest = (servers: string[]): ScriptRequest => {
    const uris = connectionUrisFor(settings, servers);
    return {
      mode, connectionUri: uris[0] ?? null, connectionUris: uris, authentication: settings.connection.authentication,
      servers, server: null, computerName: null, sinceRecordId: null, step: null, options: {},
    };
  };

  // The environment PowerShell gets: this process's plus the host's additions (the same for every script).
  const processEnv = options.env ? { ...process.env, ...options.env } : undefined;
  const launch = options.launch ?? settingsLaunch(settings);

  const call = async (kind: ScriptKind, request: ScriptRequest, signal?: AbortSignal): Promise<CallOutcome> => {
    const scriptPath = join(scriptsDir, SCRIPT_NAMES[kind]);
    if (scriptsProblem) return { ok: false, kind: 'missing-script', error: scriptsProblem };
    if (!existsSync(scriptPath)) {
      return { ok: false, kind: 'missing-script', error: `The bundled script ${scriptPath} is missing, so nothing was run. Reinstall EEMS Watch.` };
    }
    const byHand = `Run ${scriptPath} by hand in the Exchange Management Shell to see`;
    const outcome = await runProcess({
      executable: launch.executable,
      args: launch.args(scriptPath),
      stdin: serialiseRequest(request),
      timeoutMs: options.timeoutMs ?? settings.connection.callTimeoutSeconds * 1000,
      maxOutputBytes: options.maxOutputBytes,
      ...(processEnv ? { env: processEnv } : {}),
      signal,
      label: `${capitalise(LABELS[kind])} (${SCRIPT_NAMES[kind]})`,
      nextSteps: {
        timeout: 'Check that the servers answer PowerShell remoting (Test-WSMan <server>), then raise connection.callTimeoutSeconds if they are only slow.',
        'output-too-large': `${byHand} what it prints.`,
        'exit-code': `${byHand} the whole error.`,
        'spawn-failed': 'Check connection.powershellPath in the settings: it must name Windows PowerShell (powershell.exe).',
      },
    });
    if (!outcome.ok) {
      // A script that failed after printing its own error envelope says more than its exit code.
      const own = outcome.kind === 'exit-code' ? readEnvelope(outcome.stdout) : null;
      if (own?.kind === 'script-error') return { ok: false, kind: 'script-error', error: `${capitalise(LABELS[kind])} reported: ${own.error}` };
      return { ok: false, kind: outcome.kind, error: `${outcome.message} ${outcome.nextStep}` };
    }
    const envelope = readEnvelope(outcome.stdout);
    if (envelope.kind === 'result') return { ok: true, result: envelope.result };
    if (envelope.kind === 'script-error') return { ok: false, kind: 'script-error', error: `${capitalise(LABELS[kind])} reported: ${envelope.error}` };
    return {
      ok: false,
      kind: 'unreadable',
      error: `${LABELS[kind]} returned output that is not the expected JSON (first 200 characters: ${envelope.snippet}). ${byHand} its errors.`,
    };
  };

  return {
    async collect(request: CollectRequest, callOptions?: HostCallOptions): Promise<StateDocument> {
      const now = clock.now().toISOString();
      const refused: ServerState[] = [];
      const valid: string[] = [];
      for (const name of request.servers) {
        const checked = checkServerName(name);
        if (!checked.ok) refused.push(unreadableServer(String(name), checked.error));
        else if (!valid.some((v) => v.toLowerCase() === checked.value.toLowerCase())) valid.push(checked.value);
      }
      let doc: StateDocument = { collectedAt: now, organization: { MitigationsEnabled: null }, servers: [] };
      if (valid.length > 0) {
        const request: ScriptRequest = baseRequest(valid);
        request.options = {
          appPools: options.appPools ?? DEFAULT_APP_POOLS,
          services: options.services ?? [],
          rewriteLocations: options.rewriteLocations ?? DEFAULT_REWRITE_LOCATIONS,
          auditDays: options.auditDays ?? 7,
        };
        const outcome = await call('collect', request, callOptions?.signal);
        const scriptPath = join(scriptsDir, SCRIPT_NAMES.collect);
        doc = outcome.ok
          ? readCollectedState(outcome.result, valid, now, scriptPath)
          : { ...doc, servers: valid.map((name) => unreadableServer(name, `${name}: ${outcome.error}`)) };
      }
      // The log folder follows each server's install path from its last good collection.
      for (const server of doc.servers) if (server.ExchangeInstallPath) installPaths.set(server.Name.toLowerCase(), server.ExchangeInstallPath);
      return { ...doc, servers: [...doc.servers, ...refused] };
    },

    async events(server: string, sinceRecordId: number, callOptions?: HostCallOptions): Promise<EemsEvent[]> {
      const checked = checkServerName(server);
      if (!checked.ok) throw new HostCallError(checked.error, 'refused');
      if (!Number.isSafeInteger(sinceRecordId) || sinceRecordId < 0) {
        throw new HostCallError(`The event bookmark ${String(sinceRecordId)} for ${checked.value} is not a record number; nothing was run. Reset the server's event bookmark.`, 'refused');
      }
      const request = baseRequest([checked.value]);
      request.server = checked.value;
      request.computerName = computerNameFor(settings, checked.value);
      request.sinceRecordId = sinceRecordId;
      const forwarded = settings.events.source === 'forwarded' && settings.events.collector;
      request.options = {
        eventSource: forwarded ? 'forwarded' : 'per-server',
        collector: forwarded ? computerNameFor(settings, settings.events.collector as string) : null,
        maxEvents: options.maxEvents ?? 1000,
      };
      const outcome = await call('events', request, callOptions?.signal);
      if (!outcome.ok) throw new HostCallError(`${checked.value}: ${outcome.error}`, outcome.kind);
      const events = readEvents(outcome.result, sinceRecordId);
      if (!events.ok) {
        throw new HostCallError(
          `${checked.value}: the event script returned events that do not have the expected fields (${events.error}). Run ${join(scriptsDir, SCRIPT_NAMES.events)} by hand to see what it prints.`,
          'invalid-result',
        );
      }
      return events.events;
    },

    async run(step: ActionStep, callOptions?: HostCallOptions): Promise<StepResult> {
      const checked = checkStep(step);
      if (!checked.ok) return { ok: false, changed: false, message: checked.error };
      const targets = checked.value.server ? [checked.value.server] : settings.servers.filter((s) => s.enabled).map((s) => s.name);
      const request = baseRequest(targets);
      request.server = checked.value.server;
      request.computerName = checked.value.server ? computerNameFor(settings, checked.value.server) : null;
      request.step = checked.value;
      const outcome = await call('run', request, callOptions?.signal);
      if (!outcome.ok) return { ok: false, changed: false, message: `${outcome.error} Nothing more was run; check the server before retrying.` };
      const result = readStepResult(outcome.result);
      if (!result.ok) {
        return {
          ok: false,
          changed: false,
          message: `The step script returned a result without the expected fields (${result.error}); whether it changed anything is unknown. Collect the server's state again before retrying.`,
        };
      }
      return result.value;
    },

    logLocation(server: string): LogLocation | null {
      const checked = checkServerName(server);
      if (!checked.ok) return null;
      const entry = settings.servers.find((s) => s.name.toLowerCase() === checked.value.toLowerCase());
      const installPath = installPaths.get(checked.value.toLowerCase()) ?? null;
      return { server: checked.value, folder: entry?.logFolder ?? defaultLogFolder(computerNameFor(settings, checked.value), installPath) };
    },

    // test-endpoint.ps1 and its result live in endpoint-check.ts.
    testEndpoint: createEndpointCheck({ settings, launch, scriptsDir, timeoutMs: options.timeoutMs, maxOutputBytes: options.maxOutputBytes, url: options.endpointUrl, env: processEnv }),
  };
}

/**
 * Turn collect-state.ps1's result into the state document for exactly the requested servers.
 * A server that fails validation gets its own Error; the others are kept.
 */
function readCollectedState(result: unknown, requested: string[], now: string, scriptPath: string): StateDocument {
  const byHand = `Run ${scriptPath} by hand in the Exchange Management Shell to see its errors.`;
  const whole = parseStateDocument(result);
  let organization: StateDocument['organization'] = { MitigationsEnabled: null };
  let collectedAt = now;
  const found = new Map<string, ServerState>();
  if (whole.ok) {
    ({ organization, collectedAt } = whole.value);
    for (const server of whole.value.servers) found.set(server.Name.toLowerCase(), server);
  } else if (isRecord(result) && Array.isArray(result.servers)) {
    const head = parseStateDocument({ collectedAt: result.collectedAt, organization: result.organization, servers: [] });
    if (head.ok) ({ organization, collectedAt } = head.value);
    for (const raw of result.servers) {
      const name = isRecord(raw) && typeof raw.Name === 'string' ? raw.Name : null;
      if (!name) continue;
      const one = parseStateDocument({ collectedAt: now, organization: { MitigationsEnabled: null }, servers: [raw] });
      found.set(
        name.toLowerCase(),
        one.ok ? one.value.servers[0]! : unreadableServer(name, `${name}: the collection script returned data for this server that is not valid (${trimAdvice(one.error)}). ${byHand}`),
      );
    }
  } else {
    const reason = `the collection script returned a document that is not a valid state file (${trimAdvice(whole.error)}). ${byHand}`;
    return { collectedAt: now, organization, servers: requested.map((name) => unreadableServer(name, `${name}: ${reason}`)) };
  }
  const servers = requested.map(
    (name) =>
      found.get(name.toLowerCase()) ??
      unreadableServer(name, `${name}: the collection script returned nothing for this server. Check that Get-ExchangeServer ${name} finds it.`),
  );
  return { collectedAt, organization, servers };
}

/** A server the host could not read: empty lists and the sentence in Error. */
function unreadableServer(name: string, error: string): ServerState {
  return { Name: name, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: error };
}

/** B's validation errors end with advice meant for a saved state file; ours gives its own. */
function trimAdvice(error: string): string {
  return error.replace(/\s*Fix the state file or re-run the collection script\.?\s*$/, '').replace(/\.$/, '');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
