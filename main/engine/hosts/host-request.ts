/**
 * What the PowerShell host sends to its scripts, and the checks that run before anything is started.
 * Every value reaches PowerShell as JSON data on stdin and is read there as data; nothing here is
 * ever spliced into script text. Names that end up in a path, an XPath or an -Identity are still
 * checked against a strict pattern first, so a bad value is refused with a sentence instead.
 */
import { z } from 'zod';
import type { ActionStep, ActionStepKind } from '../../core/ports.js';
import { serverNameSchema, type Settings } from '../settings/settings-schema.js';

/** Mitigation IDs as EEMS writes them: "PING1", "M1", "M2.1.0". */
export const mitigationIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,31}$/, 'must be a mitigation ID such as M2.1.0: letters, digits, ".", "_" and "-" only');

/** IIS application pool and Windows service names ("MSExchangeOWAAppPool", "MSExchangeMitigation"). */
const iisOrServiceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, 'must be an app pool or service name: letters, digits, spaces, ".", "_" and "-" only');

/** IIS locations: "Default Web Site/owa", or "Server" / "" for applicationHost.config itself. */
const iisLocation = z
  .string()
  .regex(/^(|[A-Za-z0-9][A-Za-z0-9 ._/-]{0,255})$/, 'must be an IIS location such as "Default Web Site/owa"');

/**
 * Rule names are free text in IIS, so they are not narrowed: they travel only as data (the script
 * matches them with -AtElement @{ name = ... }). Control characters are still refused.
 */
// eslint-disable-next-line no-control-regex
const ruleName = z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const configFile = z.enum(['web.config', 'applicationHost.config']);

/** The arguments each step kind takes (what run-step.ps1 reads from step.args). */
export const stepArgsSchemas: Record<ActionStepKind, z.ZodType> = {
  'backup-config': z.object({ location: iisLocation, configFile }),
  'block-mitigation': z.object({ mitigation: mitigationIdSchema.optional(), mitigationsBlocked: z.array(mitigationIdSchema).min(1) }),
  'remove-rewrite-rule': z.object({
    name: ruleName,
    direction: z.enum(['inbound', 'outbound', 'precondition']),
    location: iisLocation,
    configFile,
  }),
  'start-app-pool': z.object({ name: iisOrServiceName }),
  'start-service': z.object({ name: iisOrServiceName }),
  'set-org-mitigations-enabled': z.object({ enabled: z.boolean() }),
  'set-server-mitigations-enabled': z.object({ enabled: z.boolean() }),
  'verify': z.object({ mitigation: mitigationIdSchema.optional() }),
};

/** The kinds that act on one server (the others act on the organisation). */
const ORG_KINDS: ReadonlySet<ActionStepKind> = new Set(['set-org-mitigations-enabled']);

/** The request document every script reads from stdin. */
export interface ScriptRequest {
  mode: 'local' | 'remote';
  /** The first endpoint to try (remote mode), null in local mode. */
  connectionUri: string | null;
  /** Every endpoint to try in order, so one server down does not stop the collection. */
  connectionUris: string[];
  authentication: Settings['connection']['authentication'];
  servers: string[];
  server: string | null;
  /** FQDN (or name) of `server`, for Invoke-Command. */
  computerName: string | null;
  sinceRecordId: number | null;
  step: { kind: ActionStepKind; server: string | null; args: Record<string, unknown> } | null;
  /** Extra inputs of the collection and event scripts. */
  options: Record<string, unknown>;
}

/** A value refused before anything ran, with the sentence the admin reads. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Check a server name; the refusal says what was wrong without echoing control characters. */
export function checkServerName(name: unknown): Checked<string> {
  const parsed = serverNameSchema.safeParse(name);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: `The server name ${printable(name)} was refused before anything ran: it ${parsed.error.issues[0]?.message ?? 'is not valid'}. Correct it in the settings (servers[].name).`,
  };
}

/** Check a plan step (kind, server, arguments) before it is sent to run-step.ps1. */
export function checkStep(step: ActionStep): Checked<NonNullable<ScriptRequest['step']>> {
  const schema = stepArgsSchemas[step.kind];
  if (!schema) return { ok: false, error: `The step kind ${printable(step.kind)} is not one EEMS Watch knows; nothing was run.` };
  let server: string | null = null;
  if (!ORG_KINDS.has(step.kind)) {
    const checked = checkServerName(step.server);
    if (!checked.ok) return checked;
    server = checked.value;
  }
  const args = schema.safeParse(step.args ?? {});
  if (!args.success) {
    const issue = args.error.issues[0];
    const where = `args${(issue?.path ?? []).map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('')}`;
    return {
      ok: false,
      error: `The step "${step.description}" was refused before anything ran: ${where} ${issue?.message ?? 'is not valid'}. Nothing was changed; rebuild the plan from a fresh collection.`,
    };
  }
  return { ok: true, value: { kind: step.kind, server, args: args.data as Record<string, unknown> } };
}

/** The computer to reach for a server: its configured FQDN, else its name. */
export function computerNameFor(settings: Settings, server: string): string {
  const entry = settings.servers.find((s) => s.name.toLowerCase() === server.toLowerCase());
  return entry?.fqdn ?? server;
}

/** The remote endpoints for these servers, from connection.remoteUri ("http://{server}/PowerShell/"). */
export function connectionUrisFor(settings: Settings, servers: string[]): string[] {
  if (settings.connection.mode !== 'remote') return [];
  const template = settings.connection.remoteUri;
  const uris = servers.map((server) => template.split('{server}').join(computerNameFor(settings, server)));
  return [...new Set(uris)];
}

/**
 * Serialise a request for stdin as pure ASCII (every other character as a \\u escape), so the bytes
 * mean the same whatever code page powershell.exe reads its input with.
 */
export function serialiseRequest(request: ScriptRequest): string {
  return JSON.stringify(request).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value shown in a sentence: quoted, control characters made visible, at most 80 characters. */
export function printable(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(clean.length > 80 ? `${clean.slice(0, 80)}...` : clean);
}
