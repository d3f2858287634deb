/**
 * Fault switches and scripted changes applied to a loaded lab at a given time. Setting changes
 * leave an admin audit entry (Search-AdminAuditLog shape), as the real cmdlets would.
 */
import type { AdminAuditEntry, ServerState } from '../core/model.js';
import { startService, stopService } from './eems-cycle.js';
import { FAILURE_WORDS } from './eems-texts.js';
import { FETCH_FAILURE_CODES, type LabDocument, type LabFault, type LabServer, type LabStateDocument, type LabTimelineAction } from './lab-types.js';
import type { LabWriter } from './lab-writer.js';
import { shortVersion } from './ocs-feed.js';

const AUDIT_KEEP = 50;
export const DEFAULT_CALLER = 'contoso.com/Users/Administrator';

function findServer(state: LabStateDocument, name: string | null): ServerState {
  const server = name === null ? undefined : state.servers.find((s) => s.Name === name);
  if (!server) throw new Error(name === null ? 'This fault applies to one server: give its name (--server NAME).' : `Server ${name} is not part of this lab. Servers: ${state.servers.map((s) => s.Name).join(', ')}.`);
  return server;
}

function keep(list: AdminAuditEntry[] | undefined, entry: AdminAuditEntry): AdminAuditEntry[] {
  return [...(list ?? []), entry].slice(-AUDIT_KEEP);
}

/** Set-OrganizationConfig -MitigationsEnabled, with its audit entry (seen from every server's collection too). */
export function setOrgMitigationsEnabled(writer: LabWriter, state: LabStateDocument, enabled: boolean, by: string, time: number): void {
  state.organization.MitigationsEnabled = enabled;
  const entry: AdminAuditEntry = {
    Caller: by,
    CmdletName: 'Set-OrganizationConfig',
    ObjectModified: writer.lab.organizationName,
    Parameters: { MitigationsEnabled: enabled ? 'True' : 'False' },
    RunDate: new Date(time).toISOString(),
  };
  state.organization.AuditEntries = keep(state.organization.AuditEntries, entry);
  for (const server of state.servers) server.AuditEntries = keep(server.AuditEntries, entry);
}

/** Set-ExchangeServer -MitigationsEnabled on one server, with its audit entry. */
export function setServerMitigationsEnabled(server: ServerState, enabled: boolean, by: string, time: number): void {
  server.MitigationsEnabled = enabled;
  server.AuditEntries = keep(server.AuditEntries, {
    Caller: by,
    CmdletName: 'Set-ExchangeServer',
    ObjectModified: server.Name,
    Parameters: { MitigationsEnabled: enabled ? 'True' : 'False' },
    RunDate: new Date(time).toISOString(),
  });
}

/**
 * A fail-run switch meeting one step: the step is counted (seen), and when it is the one the switch
 * names, the switch is cleared and returned (the step must then fail, changing nothing). `server`
 * is the step's lab server, or null for an organisation step (orgRunFault). The caller saves lab.json.
 * Shared by the lab host and the simulated Exchange, so both count and clear alike.
 */
export function takeRunFault(lab: LabDocument, server: LabServer | null): { atStep: number; message: string | null } | null {
  const fault = server ? server.runFault : lab.orgRunFault;
  if (!fault) return null;
  fault.seen += 1;
  if (fault.seen < fault.atStep) return null;
  if (server) server.runFault = null;
  else lab.orgRunFault = null;
  return { atStep: fault.atStep, message: fault.message };
}

/** Apply one fault switch at `time`; returns what it did, in words. */
export function applyFault(writer: LabWriter, state: LabStateDocument, serverName: string | null, fault: LabFault, time: number): string {
  switch (fault.kind) {
    case 'org-mitigations-enabled':
      setOrgMitigationsEnabled(writer, state, fault.enabled, fault.by ?? DEFAULT_CALLER, time);
      return `organisation MitigationsEnabled set to ${fault.enabled ? 'True' : 'False'} by ${fault.by ?? DEFAULT_CALLER}`;
    case 'fail-run':
      if (!Number.isInteger(fault.atStep) || fault.atStep < 1) throw new Error(`fail-run needs a step number of 1 or more, not ${fault.atStep}.`);
      if (serverName === null) {
        writer.lab.orgRunFault = { atStep: fault.atStep, seen: 0, message: fault.message ?? null };
        return `organisation-wide step ${fault.atStep} from now will fail`;
      }
      break;
    default:
      break;
  }
  const server = findServer(state, serverName);
  const lab = writer.labServer(server.Name);
  switch (fault.kind) {
    case 'server-mitigations-enabled':
      setServerMitigationsEnabled(server, fault.enabled, fault.by ?? DEFAULT_CALLER, time);
      return `${server.Name}: MitigationsEnabled set to ${fault.enabled ? 'True' : 'False'}`;
    case 'service-stopped':
      lab.silent = false; // stopping a hung service ends the hang
      if (server.Service?.Status === 'Running') stopService(writer, server, time, 'stopped by an administrator');
      return `${server.Name}: MSExchangeMitigation stopped`;
    case 'service-silent':
      lab.silent = fault.on;
      if (fault.on) writer.report(server.Name).happened.push('the service hangs: it reports Running but runs no hourly check');
      return `${server.Name}: ${fault.on ? 'MSExchangeMitigation hangs (Running, no hourly check)' : 'MSExchangeMitigation checks hourly again'}`;
    case 'service-started':
      if (server.Service?.Status !== 'Running') startService(writer, server, time, 'started by an administrator');
      return `${server.Name}: MSExchangeMitigation started`;
    case 'service-crash':
      lab.pendingCrash = { restart: fault.restart };
      return `${server.Name}: the service will crash at its next cycle${fault.restart ? ' and restart' : ' and stay stopped'}`;
    case 'fetch-failing':
      if (fault.code !== null && !FETCH_FAILURE_CODES.includes(fault.code)) {
        throw new Error(`Unknown fetch failure '${String(fault.code)}'. Known: ${FETCH_FAILURE_CODES.join(', ')}.`);
      }
      lab.fetchFault = fault.code;
      return fault.code ? `${server.Name}: fetches now fail (${FAILURE_WORDS[fault.code]})` : `${server.Name}: fetches succeed again`;
    case 'unreachable':
      lab.unreachable = fault.on;
      return `${server.Name}: ${fault.on ? 'unreachable' : 'reachable again'}`;
    case 'hung':
      lab.hung = fault.on;
      return `${server.Name}: ${fault.on ? 'calls now hang' : 'calls answer again'}`;
    case 'fail-run':
      lab.runFault = { atStep: fault.atStep, seen: 0, message: fault.message ?? null };
      return `${server.Name}: step ${fault.atStep} from now will fail`;
    case 'clear':
      Object.assign(lab, { fetchFault: null, unreachable: false, hung: false, silent: false, pendingCrash: null, runFault: null });
      return `${server.Name}: faults cleared`;
    default:
      throw new Error(`Unknown fault '${(fault as { kind: string }).kind}'.`);
  }
}

/** Run one scripted timeline action at `time`; returns what happened, in words. */
export function applyTimelineAction(writer: LabWriter, state: LabStateDocument, serverName: string | null, action: LabTimelineAction, time: number): string {
  switch (action.kind) {
    case 'fault':
      return applyFault(writer, state, serverName, action.fault, time);
    case 'install-update': {
      const server = findServer(state, serverName);
      server.ExSetupVersion = action.ExSetupVersion;
      const sentence = `${action.label} installed (${shortVersion(action.ExSetupVersion)})`;
      writer.report(server.Name).happened.push(sentence);
      return `${server.Name}: ${sentence}`;
    }
    case 'ocs-update': {
      const mitigation = writer.lab.ocs.mitigations.find((m) => m.id === action.mitigation);
      if (mitigation) mitigation.fixedBuilds = [...action.fixedBuilds];
      return action.label;
    }
    default:
      throw new Error(`Unknown timeline action '${(action as { kind: string }).kind}'.`);
  }
}
