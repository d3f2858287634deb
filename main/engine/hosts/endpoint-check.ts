/**
 * "Can this server reach the mitigation endpoint?", asked of the Exchange server itself: the
 * PowerShell host's testEndpoint. It runs the bundled test-endpoint.ps1, which reads the server's
 * InternetWebProxy (Get-ExchangeServer) and, on the server over WinRM, its WinHTTP proxy, then
 * fetches the endpoint there as the Emergency Mitigation service would (what HealthChecker's
 * "Pattern service" row and Test-MitigationServiceConnectivity.ps1 check). The admin's workstation
 * never fetches anything here: its network is not the server's.
 *
 * Same safety as the other host calls: fixed arguments, the request as JSON on stdin, a time-out
 * that ends the process tree, an output cap, and the answer validated before anyone trusts it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EndpointCheck, HostCallOptions } from '../../core/ports.js';
import { FEED_URL } from '../feed-fetch.js';
import type { Settings } from '../settings/settings-schema.js';
import { readEnvelope } from './host-output.js';
import { checkServerName, computerNameFor, connectionUrisFor, serialiseRequest, type ScriptRequest } from './host-request.js';
import { runProcess, type ProcessFailureKind } from './process-runner.js';
import { settingsLaunch, type PowerShellLaunch } from './powershell-launch.js';
import { resolveScriptsDir } from './scripts-dir.js';

/** The bundled script this module runs. */
export const ENDPOINT_SCRIPT = 'test-endpoint.ps1';

/** What the endpoint check needs; the PowerShell host passes its own options through. */
export interface EndpointCheckOptions {
  settings: Settings;
  scriptsDir?: string;
  /** Time-out of the whole call; default connection.callTimeoutSeconds. */
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** The endpoint to fetch; default Microsoft's (tests and private labs point it elsewhere). */
  url?: string;
  /** Environment of the PowerShell process; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** How the script is started; default connection.powershellPath with powershell.exe's fixed flags. */
  launch?: PowerShellLaunch;
}

/** Why a server could not be asked at all (an unreachable endpoint is an answer, not this). */
export class EndpointCheckError extends Error {
  constructor(
    message: string,
    readonly kind: ProcessFailureKind | 'refused' | 'missing-script' | 'script-error' | 'unreadable' | 'invalid-result',
  ) {
    super(message);
    this.name = 'EndpointCheckError';
  }
}

/** Longest error text kept: a whole .NET exception chain fits many times over. */
const MAX_ERROR_CHARS = 8000;

const optionalText = z.string().max(2048).nullable().optional().transform((v) => v ?? null);
const resultSchema = z.object({
  server: z.string().min(1),
  checkedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time'),
  reachable: z.boolean(),
  statusCode: z.number().int().min(100).max(599).nullable(),
  url: z.string().min(1).max(2048),
  proxy: optionalText,
  error: z.string().nullable().transform((v) => (v && v.length > MAX_ERROR_CHARS ? `${v.slice(0, MAX_ERROR_CHARS)}...` : v)),
  internetWebProxy: optionalText,
  winHttpProxy: optionalText,
});

/** A password written into a proxy URL ("http://user:secret@proxy:8080/") never leaves this module. */
export function redactUserInfo(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]{0,15}:\/\/[^/\s:@'"]{0,256}):[^/\s@'"]{0,256}@/gi, '$1:***@');
}

function redacted(value: string | null): string | null {
  return value === null ? null : redactUserInfo(value);
}

/**
 * The HTTP time-out on the server, in seconds: up to 30 s (HealthChecker's fetch has no shorter
 * one), but well inside the host call's own time-out, which also pays for opening the sessions.
 */
export function fetchTimeoutSeconds(callTimeoutMs: number): number {
  return Math.min(30, Math.max(1, Math.floor(callTimeoutMs / 3000)));
}

/** Check and shape test-endpoint.ps1's result for the server that was asked. */
export function readEndpointResult(result: unknown, server: string): { ok: true; value: EndpointCheck } | { ok: false; error: string } {
  const parsed = resultSchema.safeParse(result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') || 'result' : 'result';
    return { ok: false, error: `${where}: ${issue?.message.replace(/^Invalid input: /, '') ?? 'not valid'}` };
  }
  const r = parsed.data;
  if (r.server.toLowerCase() !== server.toLowerCase()) return { ok: false, error: `it answered for ${JSON.stringify(r.server.slice(0, 64))}, not ${server}` };
  return {
    ok: true,
    value: {
      server: r.server,
      checkedAt: new Date(r.checkedAt).toISOString(),
      reachable: r.reachable && r.statusCode === 200,
      statusCode: r.statusCode,
      url: r.url,
      proxy: redacted(r.proxy),
      error: redacted(r.error),
      internetWebProxy: redacted(r.internetWebProxy),
      winHttpProxy: redacted(r.winHttpProxy),
    },
  };
}

/** Create the endpoint check of the PowerShell host (HostPort.testEndpoint). */
export function createEndpointCheck(options: EndpointCheckOptions): (server: string, callOptions?: HostCallOptions) => Promise<EndpointCheck> {
  const { settings } = options;
  const scriptsDir = options.scriptsDir ?? resolveScriptsDir();
  const scriptPath = join(scriptsDir, ENDPOINT_SCRIPT);
  const launch = options.launch ?? settingsLaunch(settings);
  const timeoutMs = options.timeoutMs ?? settings.connection.callTimeoutSeconds * 1000;
  const byHand = `Run ${scriptPath} by hand in the Exchange Management Shell to see`;

  return async (server, callOptions) => {
    const checked = checkServerName(server);
    if (!checked.ok) throw new EndpointCheckError(checked.error, 'refused');
    const name = checked.value;
    if (!existsSync(scriptPath)) throw new EndpointCheckError(`The bundled script ${scriptPath} is missing, so ${name} was not asked. Reinstall EEMS Watch.`, 'missing-script');
    const uris = connectionUrisFor(settings, [name]);
    const request: ScriptRequest = {
      mode: settings.connection.mode === 'remote' ? 'remote' : 'local',
      connectionUri: uris[0] ?? null,
      connectionUris: uris,
      authentication: settings.connection.authentication,
      servers: [name],
      server: name,
      computerName: computerNameFor(settings, name),
      sinceRecordId: null,
      step: null,
      options: { url: options.url ?? FEED_URL, timeoutSeconds: fetchTimeoutSeconds(timeoutMs) },
    };
    const outcome = await runProcess({
      executable: launch.executable,
      args: launch.args(scriptPath),
      stdin: serialiseRequest(request),
      timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      signal: callOptions?.signal,
      env: options.env,
      label: `The endpoint test script (${ENDPOINT_SCRIPT})`,
      nextSteps: {
        timeout: `Check that ${name} answers PowerShell remoting (Test-WSMan ${request.computerName}), then raise connection.callTimeoutSeconds if it is only slow.`,
        'output-too-large': `${byHand} what it prints.`,
        'exit-code': `${byHand} the whole error.`,
        'spawn-failed': 'Check connection.powershellPath in the settings: it must name Windows PowerShell (powershell.exe).',
      },
    });
    if (!outcome.ok) {
      const own = outcome.kind === 'exit-code' ? readEnvelope(outcome.stdout) : null;
      if (own?.kind === 'script-error') throw new EndpointCheckError(`${name}: ${redactUserInfo(own.error)}`, 'script-error');
      throw new EndpointCheckError(`${name}: ${outcome.message} ${outcome.nextStep}`, outcome.kind);
    }
    const envelope = readEnvelope(outcome.stdout);
    if (envelope.kind === 'script-error') throw new EndpointCheckError(`${name}: ${redactUserInfo(envelope.error)}`, 'script-error');
    if (envelope.kind === 'unreadable') {
      throw new EndpointCheckError(`${name}: the endpoint test script returned output that is not the expected JSON (first 200 characters: ${envelope.snippet}). ${byHand} its errors.`, 'unreadable');
    }
    const read = readEndpointResult(envelope.result, name);
    if (!read.ok) throw new EndpointCheckError(`${name}: the endpoint test script returned a result without the expected fields (${read.error}). ${byHand} what it prints.`, 'invalid-result');
    return read.value;
  };
}
