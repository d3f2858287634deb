/**
 * One-click plans that put EEMS back to work on a server (issue 13.10): start the stopped Exchange
 * Emergency Mitigation service, take IDs off MitigationsBlocked (the rest stays), turn the server's
 * MitigationsEnabled back on. Like removals they are data steps that say where they run, and their
 * verify step checks the very thing the plan changed (`expect`, checked on freshly collected state).
 */
import { psIdentityOf, type ActionPlan } from './removal-plan.js';
import { psString, psStringArray } from './powershell-quote.js';
import { familyMatches } from './knowledge-base.js';
import { normaliseIdList } from './staleness.js';
import type { ServerState } from '../model.js';
import type { ActionStep } from '../ports.js';

/** The Windows service name of the Exchange Emergency Mitigation service [CONFIRMED: Learn, EEMS]. */
export const MITIGATION_SERVICE = 'MSExchangeMitigation';

/** What a server plan's verify checks. */
export interface PlanExpectation {
  serviceRunning?: string;
  notBlocked?: string[];
  serverMitigationsEnabled?: boolean;
}

type PlanResult = { ok: true; plan: ActionPlan & { expect: PlanExpectation } } | { ok: false; error: string };

function verify(server: string, what: string, powershell: string): ActionStep {
  return { kind: 'verify', server, channel: 'exchange', args: {}, description: `Collect ${server} again and check that ${what}.`, powershell };
}

/** Start MSExchangeMitigation (and set it back to Automatic when it was Disabled or Manual). */
export function planStartService(server: ServerState): PlanResult {
  const name = server.Name;
  if (server.Error) return { ok: false, error: `${name} could not be read (${server.Error}); collect it again first.` };
  const svc = server.Service ?? null;
  if (svc && /^running$/i.test(svc.Status ?? '') && /^automatic/i.test(svc.StartType ?? 'Automatic')) {
    return { ok: false, error: `${MITIGATION_SERVICE} already runs on ${name} (start type ${svc.StartType ?? 'unknown'}); there is nothing to start.` };
  }
  const reset = !/^automatic/i.test(svc?.StartType ?? 'Automatic');
  const steps: ActionStep[] = [
    {
      kind: 'start-service', server: name, channel: 'server',
      args: reset ? { name: MITIGATION_SERVICE, startType: 'Automatic' } : { name: MITIGATION_SERVICE },
      description: `On ${name} itself (over WinRM): ${reset ? `set ${MITIGATION_SERVICE} back to Automatic and ` : ''}start it, so EEMS checks for mitigations every hour again.`,
      powershell: `${reset ? `Set-Service -Name ${psString(MITIGATION_SERVICE)} -StartupType Automatic; ` : ''}Start-Service -Name ${psString(MITIGATION_SERVICE)}`,
    },
    verify(name, `${MITIGATION_SERVICE} is Running`, `Invoke-Command -ComputerName ${psString(name)} -ScriptBlock { Get-Service -Name ${psString(MITIGATION_SERVICE)} }`),
  ];
  return { ok: true, plan: { id: `svc-${name.toLowerCase()}`, server: name, mitigation: null, title: `Start ${MITIGATION_SERVICE} on ${name}`, steps, warnings: ['Within the hour EEMS fetches the published mitigations and applies those that fit the build (unless mitigations are off or blocked).'], expect: { serviceRunning: MITIGATION_SERVICE } } };
}

/** Take `ids` (family and/or exact IDs) off MitigationsBlocked; every other blocked ID stays. */
export function planUnblock(server: ServerState, ids: string[]): PlanResult {
  const name = server.Name;
  if (server.Error) return { ok: false, error: `${name} could not be read (${server.Error}); collect it again first.` };
  const blocked = normaliseIdList(server.MitigationsBlocked);
  const remove = blocked.filter((b) => ids.some((id) => b.toUpperCase() === id.trim().toUpperCase()));
  if (remove.length === 0) return { ok: false, error: `${ids.join(', ')} ${ids.length > 1 ? 'are' : 'is'} not in MitigationsBlocked on ${name} (it holds: ${blocked.join(', ') || 'nothing'}).` };
  const family = remove.find((r) => !r.includes('.')) ?? remove[0]!.split('.')[0]!;
  const keep = blocked.filter((b) => !remove.includes(b));
  const steps: ActionStep[] = [
    {
      kind: 'unblock-mitigation', server: name, channel: 'exchange', args: { mitigation: family, remove },
      description: `Through Exchange's remote PowerShell endpoint (Set-ExchangeServer): take ${remove.join(', ')} off MitigationsBlocked on ${name}; ${keep.length > 0 ? `${keep.join(', ')} stay${keep.length === 1 ? 's' : ''} blocked` : 'nothing else is blocked'}.`,
      powershell: `Set-ExchangeServer -Identity ${psIdentityOf(name)} -MitigationsBlocked ${keep.length > 0 ? psStringArray(keep) : '$null'}`,
    },
    verify(name, `${remove.join(', ')} ${remove.length > 1 ? 'are' : 'is'} no longer blocked`, `Get-ExchangeServer -Identity ${psIdentityOf(name)} | Format-List Name,MitigationsBlocked`),
  ];
  const warnings = [`EEMS may apply ${family} again on ${name} within the hour if Microsoft still publishes it for its build.`];
  if (keep.some((k) => familyMatches(family, k))) warnings.push(`${keep.filter((k) => familyMatches(family, k)).join(', ')} stay blocked and still keep ${family} off.`);
  return { ok: true, plan: { id: `unblock-${name.toLowerCase()}-${remove.join('+').toLowerCase()}`, server: name, mitigation: family, title: `Unblock ${remove.join(', ')} on ${name}`, steps, warnings, expect: { notBlocked: remove } } };
}

/** Set the server's own MitigationsEnabled back to True. */
export function planServerReenable(server: ServerState): PlanResult {
  const name = server.Name;
  if (server.Error) return { ok: false, error: `${name} could not be read (${server.Error}); collect it again first.` };
  if (server.MitigationsEnabled === true) return { ok: false, error: `MitigationsEnabled is already True on ${name}.` };
  const steps: ActionStep[] = [
    {
      kind: 'set-server-mitigations-enabled', server: name, channel: 'exchange', args: { enabled: true },
      description: `Through Exchange's remote PowerShell endpoint (Set-ExchangeServer): set MitigationsEnabled to True on ${name}, so EEMS applies mitigations there again.`,
      powershell: `Set-ExchangeServer -Identity ${psIdentityOf(name)} -MitigationsEnabled $true`,
    },
    verify(name, 'its MitigationsEnabled reads True', `Get-ExchangeServer -Identity ${psIdentityOf(name)} | Format-List Name,MitigationsEnabled`),
  ];
  return { ok: true, plan: { id: `server-reenable-${name.toLowerCase()}`, server: name, mitigation: null, title: `Turn EEMS mitigations back on for ${name}`, steps, warnings: ['The organisation setting must be True as well for EEMS to apply anything.'], expect: { serverMitigationsEnabled: true } } };
}

/** Whether a server collected after a server plan shows what the plan set out to do. */
export function checkExpectation(expect: PlanExpectation, after: ServerState): { ok: boolean; message: string } {
  const problems: string[] = [];
  if (expect.serviceRunning && !/^running$/i.test(after.Service?.Status ?? '')) problems.push(`${expect.serviceRunning} is ${after.Service?.Status ?? 'unknown'}`);
  const blocked = normaliseIdList(after.MitigationsBlocked).map((b) => b.toUpperCase());
  const still = (expect.notBlocked ?? []).filter((id) => blocked.includes(id.toUpperCase()));
  if (still.length > 0) problems.push(`still blocked: ${still.join(', ')}`);
  if (expect.serverMitigationsEnabled !== undefined && after.MitigationsEnabled !== expect.serverMitigationsEnabled) problems.push(`MitigationsEnabled reads ${String(after.MitigationsEnabled)}`);
  if (problems.length > 0) return { ok: false, message: `Not finished on ${after.Name}: ${problems.join('; ')}. Run the plan again.` };
  return { ok: true, message: `Verified on ${after.Name}: the change is in place.` };
}
