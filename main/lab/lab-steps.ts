/**
 * The plan steps of main/core/ports.ts run against the lab state, idempotently: a step that finds
 * nothing to do reports changed=false instead of failing, so an interrupted plan can be resumed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerState } from '../core/model.js';
import type { ActionStep, StepResult } from '../core/ports.js';
import { startService } from './eems-cycle.js';
import { DEFAULT_CALLER, setOrgMitigationsEnabled, setServerMitigationsEnabled } from './lab-faults.js';
import { labPaths } from './lab-store.js';
import type { LabStateDocument } from './lab-types.js';
import type { LabWriter } from './lab-writer.js';

type Args = ActionStep['args'];

function text(args: Args, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = args[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

function list(args: Args, ...keys: string[]): string[] | null {
  for (const key of keys) {
    const value = args[key];
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return value.length > 0 ? [value] : [];
  }
  return null;
}

function flag(args: Args, ...keys: string[]): boolean | null {
  for (const key of keys) {
    const value = args[key];
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'True' || value === '$true') return true;
    if (value === 'false' || value === 'False' || value === '$false') return false;
  }
  return null;
}

const fail = (message: string): StepResult => ({ ok: false, changed: false, message });
const done = (changed: boolean, message: string): StepResult => ({ ok: true, changed, message });

/** Run one step on the loaded lab at `time`. The caller saves the documents afterwards. */
export async function executeStep(writer: LabWriter, state: LabStateDocument, step: ActionStep, time: number): Promise<StepResult> {
  const caller = text(step.args, 'caller') ?? DEFAULT_CALLER;
  if (step.kind === 'set-org-mitigations-enabled') {
    const enabled = flag(step.args, 'enabled', 'value', 'MitigationsEnabled');
    if (enabled === null) return fail('set-org-mitigations-enabled needs args.enabled (true or false).');
    const changed = state.organization.MitigationsEnabled !== enabled;
    setOrgMitigationsEnabled(writer, state, enabled, caller, time);
    return done(changed, `Organisation MitigationsEnabled is ${enabled ? 'True' : 'False'}${changed ? '' : ' (it already was)'}.`);
  }
  const server = state.servers.find((s) => s.Name === step.server);
  if (!server) return fail(`Server ${step.server ?? '(none)'} is not part of this lab; the step names no server the lab knows.`);
  switch (step.kind) {
    case 'backup-config':
      return backupConfig(writer, server, step, time);
    case 'block-mitigation': {
      const wanted = list(step.args, 'list', 'mitigations', 'ids') ?? mergeBlocked(server, text(step.args, 'mitigation', 'id'));
      if (wanted === null) return fail('block-mitigation needs args.list (the whole MitigationsBlocked value).');
      const changed = [...wanted].sort().join('|') !== [...server.MitigationsBlocked].sort().join('|');
      server.MitigationsBlocked = wanted;
      server.AuditEntries = [...(server.AuditEntries ?? []), {
        Caller: caller,
        CmdletName: 'Set-ExchangeServer',
        ObjectModified: server.Name,
        Parameters: { MitigationsBlocked: wanted.join(',') },
        RunDate: new Date(time).toISOString(),
      }].slice(-50);
      return done(changed, `${server.Name}: MitigationsBlocked is now ${wanted.join(', ') || '(empty)'}.`);
    }
    case 'remove-rewrite-rule':
      return removeRules(server, step);
    case 'start-app-pool': {
      const name = text(step.args, 'name', 'pool', 'appPool');
      const pool = server.AppPools.find((p) => p.Name === name);
      if (!pool) return fail(`${server.Name}: there is no app pool named ${name ?? '(none)'}; check the name in IIS Manager.`);
      if (pool.State === 'Started') return done(false, `${server.Name}: ${pool.Name} was already started.`);
      pool.State = 'Started';
      return done(true, `${server.Name}: ${pool.Name} started.`);
    }
    case 'start-service':
      return startNamedService(writer, server, text(step.args, 'name', 'service') ?? 'MSExchangeMitigation', time);
    case 'set-server-mitigations-enabled': {
      const enabled = flag(step.args, 'enabled', 'value', 'MitigationsEnabled');
      if (enabled === null) return fail('set-server-mitigations-enabled needs args.enabled (true or false).');
      const changed = server.MitigationsEnabled !== enabled;
      setServerMitigationsEnabled(server, enabled, caller, time);
      return done(changed, `${server.Name}: MitigationsEnabled is ${enabled ? 'True' : 'False'}${changed ? '' : ' (it already was)'}.`);
    }
    case 'verify':
      return verify(server, step);
    default:
      return fail(`Unknown step kind '${String((step as { kind: unknown }).kind)}'.`);
  }
}

function mergeBlocked(server: ServerState, id: string | null): string[] | null {
  if (id === null) return null;
  return server.MitigationsBlocked.includes(id) ? [...server.MitigationsBlocked] : [...server.MitigationsBlocked, id];
}

async function backupConfig(writer: LabWriter, server: ServerState, step: ActionStep, time: number): Promise<StepResult> {
  const location = text(step.args, 'location', 'Location');
  const rules = server.RewriteRules.filter((r) => location === null || r.Location === location);
  const lab = writer.labServer(server.Name);
  lab.backups += 1;
  const stamp = new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const folder = labPaths.backups(writer.dir, server.Name);
  const path = join(folder, `${stamp}-${lab.backups}-rewrite-rules.json`);
  await mkdir(folder, { recursive: true });
  await writeFile(path, `${JSON.stringify({ server: server.Name, takenAt: new Date(time).toISOString(), location, rules }, null, 1)}\n`, 'utf8');
  return { ok: true, changed: true, message: `${server.Name}: ${rules.length} rewrite rule(s) backed up to ${path}.`, backupPath: path };
}

function removeRules(server: ServerState, step: ActionStep): StepResult {
  const names = list(step.args, 'name', 'names', 'rule', 'ruleName', 'Name');
  if (names === null || names.length === 0) return fail('remove-rewrite-rule needs args.name (the rule name).');
  const location = text(step.args, 'location', 'Location');
  const matches = (r: ServerState['RewriteRules'][number]) => names.includes(r.Name) && (location === null || r.Location === location);
  const removed = server.RewriteRules.filter(matches);
  if (removed.length === 0) return done(false, `${server.Name}: ${names.join(', ')} was not there (already removed).`);
  server.RewriteRules = server.RewriteRules.filter((r) => !matches(r));
  return done(true, `${server.Name}: removed ${removed.map((r) => `${r.Name} (${r.Location || 'server'})`).join(', ')}.`);
}

function startNamedService(writer: LabWriter, server: ServerState, name: string, time: number): StepResult {
  if (name === 'MSExchangeMitigation') {
    if (server.Service?.Status === 'Running') return done(false, `${server.Name}: MSExchangeMitigation was already running.`);
    startService(writer, server, time, 'started from EEMS Watch');
    return done(true, `${server.Name}: MSExchangeMitigation started; its first check runs in about 10 minutes.`);
  }
  const service = server.Services.find((s) => s.Name === name);
  if (!service) return fail(`${server.Name}: there is no service named ${name}; check the name with Get-Service.`);
  if (service.Status === 'Running') return done(false, `${server.Name}: ${name} was already running.`);
  service.Status = 'Running';
  return done(true, `${server.Name}: ${name} started.`);
}

function verify(server: ServerState, step: ActionStep): StepResult {
  const absent = list(step.args, 'absentRules', 'rules', 'names', 'name') ?? [];
  const blocked = list(step.args, 'blocked', 'expectBlocked') ?? [];
  const still = absent.filter((name) => server.RewriteRules.some((r) => r.Name === name));
  const notBlocked = blocked.filter((id) => !server.MitigationsBlocked.includes(id));
  if (still.length > 0) return fail(`${server.Name}: still present: ${still.join(', ')}. Run the removal again or remove it in IIS Manager.`);
  if (notBlocked.length > 0) return fail(`${server.Name}: not in MitigationsBlocked: ${notBlocked.join(', ')}. Block it before removing its rules.`);
  return done(false, `${server.Name}: verified. MitigationsApplied ${server.MitigationsApplied.join(', ') || '(none)'}; ${server.RewriteRules.length} EEMS rewrite rule(s) left.`);
}
