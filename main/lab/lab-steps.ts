/**
 * The plan steps of main/core/ports.ts run against the lab state, idempotently: a step that finds
 * nothing to do reports changed=false instead of failing, so an interrupted plan can be resumed.
 * Arguments are read only through parseStepArgs (main/core/action-steps.ts), the same contract
 * run-step.ps1 reads; a step that does not follow it is refused with the sentence naming the field.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseStepArgs, type StepArgs } from '../core/mitigations/action-steps.js';
import type { RewriteRule, ServerState } from '../core/model.js';
import type { ActionStep, StepResult } from '../core/ports.js';
import { startService } from './eems-cycle.js';
import { DEFAULT_CALLER, setOrgMitigationsEnabled, setServerMitigationsEnabled } from './lab-faults.js';
import { labPaths } from './lab-store.js';
import type { LabStateDocument } from './lab-types.js';
import type { LabWriter } from './lab-writer.js';

const fail = (message: string): StepResult => ({ ok: false, changed: false, message });
const done = (changed: boolean, message: string): StepResult => ({ ok: true, changed, message });

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** IIS locations compare without surrounding slashes; "Server" and "" both mean applicationHost.config's top level. */
function normaliseLocation(location: string): string {
  const trimmed = location.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  return /^server$/i.test(trimmed) ? '' : trimmed.toLowerCase();
}

/** Whether a rule lives in this config file at this location (a rule without ConfigFile matches either file). */
function inConfig(rule: RewriteRule, location: string, configFile: string): boolean {
  return normaliseLocation(rule.Location) === normaliseLocation(location) && (!rule.ConfigFile || same(rule.ConfigFile, configFile));
}

/** Run one step on the loaded lab at `time`. The caller saves the documents afterwards. */
export async function executeStep(writer: LabWriter, state: LabStateDocument, step: ActionStep, time: number): Promise<StepResult> {
  const parsed = parseStepArgs(step);
  if (!parsed.ok) return fail(`The step "${step.description}" was refused: ${parsed.error} Nothing was changed; rebuild the plan from a fresh collection.`);
  const s = parsed.step;
  if (s.kind === 'set-org-mitigations-enabled') {
    const changed = state.organization.MitigationsEnabled !== s.args.enabled;
    setOrgMitigationsEnabled(writer, state, s.args.enabled, DEFAULT_CALLER, time);
    return done(changed, `Organisation MitigationsEnabled is ${s.args.enabled ? 'True' : 'False'}${changed ? '' : ' (it already was)'}.`);
  }
  if (s.kind === 'verify' && s.server === null) return verifyOrganisation(state, s.args);
  const server = state.servers.find((x) => x.Name === s.server);
  if (!server) return fail(`Server ${s.server ?? '(none)'} is not part of this lab; the step names no server the lab knows.`);
  switch (s.kind) {
    case 'backup-config':
      return backupConfig(writer, server, s.args, time);
    case 'block-mitigation':
      return blockMitigations(server, s.args, time);
    case 'unblock-mitigation':
      return unblockMitigations(server, s.args, time);
    case 'remove-rewrite-rule':
      return removeRule(server, s.args);
    case 'start-app-pool': {
      const pool = server.AppPools.find((p) => same(p.Name, s.args.name));
      if (!pool) return fail(`${server.Name}: there is no app pool named ${s.args.name}; check the name in IIS Manager.`);
      if (pool.State === 'Started') return done(false, `${server.Name}: ${pool.Name} was already started.`);
      pool.State = 'Started';
      return done(true, `${server.Name}: ${pool.Name} started.`);
    }
    case 'start-service':
      return startNamedService(writer, server, s.args, time);
    case 'set-server-mitigations-enabled': {
      const changed = server.MitigationsEnabled !== s.args.enabled;
      setServerMitigationsEnabled(server, s.args.enabled, DEFAULT_CALLER, time);
      return done(changed, `${server.Name}: MitigationsEnabled is ${s.args.enabled ? 'True' : 'False'}${changed ? '' : ' (it already was)'}.`);
    }
    case 'verify':
      return verifyServer(server, s.args);
  }
}

/** Set-ExchangeServer -MitigationsBlocked: the value replaces the list, with its audit entry. */
export function setMitigationsBlocked(server: ServerState, list: string[], by: string, time: number): void {
  server.MitigationsBlocked = list;
  server.AuditEntries = [...(server.AuditEntries ?? []), {
    Caller: by,
    CmdletName: 'Set-ExchangeServer',
    ObjectModified: server.Name,
    Parameters: { MitigationsBlocked: list.join(',') },
    RunDate: new Date(time).toISOString(),
  }].slice(-50);
}

/** Like run-step.ps1: add the IDs to the list found now, so a block someone added meanwhile stays. */
function blockMitigations(server: ServerState, args: StepArgs<'block-mitigation'>, time: number): StepResult {
  const missing = [...new Set(args.mitigationsBlocked)].filter((id) => !server.MitigationsBlocked.some((b) => same(b, id)));
  if (missing.length === 0) return done(false, `${server.Name} already blocks ${args.mitigation} (${server.MitigationsBlocked.join(', ')}).`);
  const list = [...server.MitigationsBlocked, ...missing];
  setMitigationsBlocked(server, list, DEFAULT_CALLER, time);
  return done(true, `${server.Name}: MitigationsBlocked is now ${list.join(', ')}.`);
}

/** Like run-step.ps1: write back the list found now without the given IDs. */
function unblockMitigations(server: ServerState, args: StepArgs<'unblock-mitigation'>, time: number): StepResult {
  const list = server.MitigationsBlocked.filter((b) => !args.remove.some((id) => same(b, id)));
  if (list.length === server.MitigationsBlocked.length) return done(false, `${server.Name} does not block ${args.remove.join(', ')}; nothing to take off.`);
  setMitigationsBlocked(server, list, DEFAULT_CALLER, time);
  return done(true, `${server.Name}: MitigationsBlocked is now ${list.join(', ') || '(empty)'}.`);
}

async function backupConfig(writer: LabWriter, server: ServerState, args: StepArgs<'backup-config'>, time: number): Promise<StepResult> {
  const rules = server.RewriteRules.filter((r) => inConfig(r, args.location, args.configFile));
  const lab = writer.labServer(server.Name);
  lab.backups += 1;
  const stamp = new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const folder = labPaths.backups(writer.dir, server.Name);
  const path = join(folder, `${stamp}-${lab.backups}-rewrite-rules.json`);
  await mkdir(folder, { recursive: true });
  const document = { server: server.Name, takenAt: new Date(time).toISOString(), location: args.location, configFile: args.configFile, rules };
  await writeFile(path, `${JSON.stringify(document, null, 1)}\n`, 'utf8');
  return { ok: true, changed: true, message: `${server.Name}: ${rules.length} rewrite rule(s) of ${args.configFile} backed up to ${path}.`, backupPath: path };
}

function removeRule(server: ServerState, args: StepArgs<'remove-rewrite-rule'>): StepResult {
  const where = `${args.configFile} (${args.location || 'server level'})`;
  const matches = (r: RewriteRule) => same(r.Name, args.name) && inConfig(r, args.location, args.configFile);
  if (!server.RewriteRules.some(matches)) return done(false, `${server.Name}: '${args.name}' is not in ${where}; nothing to remove (already removed).`);
  server.RewriteRules = server.RewriteRules.filter((r) => !matches(r));
  return done(true, `${server.Name}: removed '${args.name}' from ${where}.`);
}

function startNamedService(writer: LabWriter, server: ServerState, args: StepArgs<'start-service'>, time: number): StepResult {
  if (same(args.name, 'MSExchangeMitigation')) {
    if (server.Service?.Status === 'Running') return done(false, `${server.Name}: MSExchangeMitigation was already running.`);
    startService(writer, server, time, 'started from EEMS Watch');
    return done(true, `${server.Name}: MSExchangeMitigation started; its first check runs in about 10 minutes.`);
  }
  const service = server.Services.find((x) => same(x.Name, args.name));
  if (!service) return fail(`${server.Name}: there is no service named ${args.name}; check the name with Get-Service.`);
  // As run-step.ps1: the start type the plan names, else a Disabled service goes back to Automatic (INFERRED).
  const startType = args.startType ?? (/^disabled$/i.test(service.StartType) ? 'Automatic' : service.StartType);
  if (service.Status === 'Running' && service.StartType === startType) return done(false, `${server.Name}: ${service.Name} was already running.`);
  service.Status = 'Running';
  service.StartType = startType;
  return done(true, `${server.Name}: ${service.Name} started (${startType}).`);
}

function verifyServer(server: ServerState, args: StepArgs<'verify'>): StepResult {
  const still = (args.absentRules ?? []).filter((name) => server.RewriteRules.some((r) => same(r.Name, name)));
  const notBlocked = (args.expectBlocked ?? []).filter((id) => !server.MitigationsBlocked.some((b) => same(b, id)));
  if (still.length > 0) return fail(`${server.Name}: still present: ${still.join(', ')}. Run the plan again or remove it in IIS Manager.`);
  if (notBlocked.length > 0) return fail(`${server.Name}: not in MitigationsBlocked: ${notBlocked.join(', ')}. Run the plan again; it blocks before it removes.`);
  return done(false, `${server.Name}: verified. MitigationsApplied ${server.MitigationsApplied.join(', ') || '(none)'}; MitigationsBlocked ${server.MitigationsBlocked.join(', ') || '(none)'}; ${server.RewriteRules.length} EEMS rewrite rule(s) left.`);
}

function verifyOrganisation(state: LabStateDocument, args: StepArgs<'verify'>): StepResult {
  const actual = state.organization.MitigationsEnabled;
  const word = (v: boolean | null | undefined) => (v === true ? 'True' : v === false ? 'False' : 'not set');
  if (actual !== args.orgMitigationsEnabled) {
    return fail(`The organisation's MitigationsEnabled is ${word(actual)}, not ${word(args.orgMitigationsEnabled)}. Run the plan again.`);
  }
  return done(false, `The organisation's MitigationsEnabled is ${word(actual)}, as expected.`);
}
