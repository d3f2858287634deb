/**
 * What the PowerShell host sends to its scripts, and the checks that run before anything is started.
 * Every value reaches PowerShell as JSON data on stdin and is read there as data; nothing here is
 * ever spliced into script text. Names that end up in a path, an XPath or an -Identity are still
 * checked against a strict pattern first, so a bad value is refused with a sentence instead.
 */
import { isOrganisationStep, parseStepArgs, stepArgsSchemas } from '../../core/mitigations/action-steps.js';
import type { ActionStep, ActionStepKind } from '../../core/ports.js';
import { serverNameSchema, type Settings } from '../settings/settings-schema.js';

// The step-argument contract lives in core (one shape per kind, shared with removal-plan.ts and the lab).
export { mitigationIdSchema, stepArgsSchemas } from '../../core/mitigations/action-steps.js';

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
  if (!Object.hasOwn(stepArgsSchemas, step.kind)) return { ok: false, error: `The step kind ${printable(step.kind)} is not one EEMS Watch knows; nothing was run.` };
  let server: string | null = null;
  if (!isOrganisationStep(step)) {
    const checked = checkServerName(step.server);
    if (!checked.ok) return checked;
    server = checked.value;
  }
  const parsed = parseStepArgs({ ...step, server });
  if (!parsed.ok) {
    return {
      ok: false,
      error: `The step "${step.description}" was refused before anything ran: ${parsed.error} Nothing was changed; rebuild the plan from a fresh collection.`,
    };
  }
  return { ok: true, value: { kind: step.kind, server, args: parsed.step.args as Record<string, unknown> } };
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
