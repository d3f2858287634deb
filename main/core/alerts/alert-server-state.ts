/**
 * The rules read from the state documents: the organisation's and each server's MitigationsEnabled
 * (with who changed it, from the admin audit log), what EEMS applied, removed or blocked since the
 * last look, the service state, stale or orphaned mitigations, and whether the server's build can
 * still use Microsoft's mitigation files (K2). Each condition resolves by itself when it clears.
 */
import type { AdminAuditEntry, ServerState, StateDocument } from '../model.js';
import { findMitigation } from '../mitigations/knowledge-base.js';
import { judgeServer } from '../mitigations/staleness.js';
import { diagnosisFor } from '../diagnosis/diagnosis-catalogue.js';
import { type RuleContext, clearCondition, cond, conditionAlert, makeAlert, raiseCondition, raiseRecordAlert, refreshAlert, serverMemory } from './alert-memory.js';
import { feedShortfall } from './feed-requirement.js';
import { wording } from './alert-wording.js';

const RUNNING = /^running$/i;

/** The latest audit entry of this cmdlet about MitigationsEnabled for this object (null: none). */
function findAudit(doc: StateDocument, cmdlet: string, object: string | null): AdminAuditEntry | null {
  const org = doc.organization.AuditEntries ?? [];
  const all = [...org, ...doc.servers.flatMap((s) => s.AuditEntries ?? [])];
  const matching = all.filter(
    (e) =>
      e.CmdletName.toLowerCase() === cmdlet.toLowerCase() &&
      Object.keys(e.Parameters ?? {}).some((p) => p.toLowerCase() === 'mitigationsenabled') &&
      (object === null || e.ObjectModified.toLowerCase().split(/[\\/.]/).includes(object.toLowerCase()) || e.ObjectModified.toLowerCase() === object.toLowerCase()),
  );
  matching.sort((a, b) => a.RunDate.localeCompare(b.RunDate));
  return matching.at(-1) ?? null;
}

/** Org MitigationsEnabled False: critical until it reads True again. */
export function evaluateOrganization(ctx: RuleContext): void {
  const { current } = ctx.input;
  const key = cond('org-mitigations-disabled', null);
  if (current.organization.MitigationsEnabled === false) {
    raiseCondition(ctx, key, () => {
      const audit = findAudit(current, 'Set-OrganizationConfig', null);
      return makeAlert('org-mitigations-disabled', null, null, audit?.RunDate ?? ctx.stateKey, wording.orgDisabled(audit), ctx.now, null, audit?.RunDate ?? ctx.now);
    });
  } else if (current.organization.MitigationsEnabled === true) {
    clearCondition(ctx, key);
  }
}

/** What EEMS applied, removed or blocked since the last look (the first look is a silent baseline). */
function evaluateDiffs(ctx: RuleContext, server: ServerState): void {
  const name = server.Name;
  const sm = serverMemory(ctx.memory, name);
  if (!sm.seeded) {
    sm.applied = [...server.MitigationsApplied];
    sm.blocked = [...server.MitigationsBlocked];
    sm.seeded = true;
    return;
  }
  for (const id of server.MitigationsApplied.filter((m) => !sm.applied.includes(m))) {
    const entry = findMitigation(ctx.input.knowledge, id);
    raiseRecordAlert(ctx, makeAlert('mitigation-applied', name, id, ctx.stateKey, wording.applied(name, id, entry ? entry.title : null), ctx.now, null, ctx.now), ctx.now);
  }
  for (const id of sm.applied.filter((m) => !server.MitigationsApplied.includes(m))) {
    raiseRecordAlert(ctx, makeAlert('mitigation-removed', name, id, ctx.stateKey, wording.removed(name, id), ctx.now, null, ctx.now), ctx.now);
  }
  for (const id of server.MitigationsBlocked.filter((m) => !sm.blocked.includes(m))) {
    raiseRecordAlert(ctx, makeAlert('mitigation-blocked', name, id, ctx.stateKey, wording.blocked(name, id), ctx.now, null, ctx.now), ctx.now);
  }
  sm.applied = [...server.MitigationsApplied];
  sm.blocked = [...server.MitigationsBlocked];
}

function evaluateServerDisabled(ctx: RuleContext, server: ServerState): void {
  const key = cond('server-mitigations-disabled', server.Name);
  if (server.MitigationsEnabled === false) {
    raiseCondition(ctx, key, () => {
      const audit = findAudit(ctx.input.current, 'Set-ExchangeServer', server.Name);
      return makeAlert('server-mitigations-disabled', server.Name, null, audit?.RunDate ?? ctx.stateKey, wording.serverDisabled(server.Name, audit), ctx.now, null, audit?.RunDate ?? ctx.now);
    });
  } else if (server.MitigationsEnabled === true) {
    clearCondition(ctx, key);
  }
}

/**
 * The service not Running: critical until it runs again. `since` is when it stopped (the log's
 * Stopped line, 1002, a crash) when that is known, else when a read first showed it.
 */
export function evaluateService(ctx: RuleContext, server: ServerState): void {
  const name = server.Name;
  const sm = serverMemory(ctx.memory, name);
  const service = server.Service;
  if (!service) return;
  const wasRunning = sm.serviceStatus === undefined || sm.serviceStatus === null || RUNNING.test(sm.serviceStatus);
  if (!wasRunning && RUNNING.test(service.Status) && !(sm.serviceStartedAt && sm.serviceStartedAt > (sm.serviceStoppedAt ?? ''))) sm.serviceStartedAt = ctx.now;
  sm.serviceStatus = service.Status;
  const key = cond('service-stopped', name);
  if (RUNNING.test(service.Status)) {
    clearCondition(ctx, key);
    return;
  }
  const stoppedAt = stopTime(ctx, name);
  raiseCondition(ctx, key, () => makeAlert('service-stopped', name, null, ctx.stateKey, wording.serviceStopped(name, service, stoppedAt), ctx.now, null, stoppedAt ?? ctx.now));
}

/** When the service stopped, if a record said so after its last start. */
function stopTime(ctx: RuleContext, name: string): string | null {
  const sm = serverMemory(ctx.memory, name);
  return sm.serviceStoppedAt && !(sm.serviceStartedAt && sm.serviceStartedAt > sm.serviceStoppedAt) ? sm.serviceStoppedAt : null;
}

/**
 * After the records of this evaluation: a Stopped line, 1002 or crash read together with (or
 * after) the state that showed the service stopped tells when it stopped. Keep the alert current.
 */
export function refreshServiceStopped(ctx: RuleContext, server: ServerState): void {
  const open = conditionAlert(ctx, cond('service-stopped', server.Name));
  const stoppedAt = stopTime(ctx, server.Name);
  if (!open || !stoppedAt || !server.Service || (open.alert.since ?? '') <= stoppedAt) return;
  refreshAlert(ctx, open.alert.id, { since: stoppedAt, body: wording.serviceStopped(server.Name, server.Service, stoppedAt).body });
}

function evaluateStale(ctx: RuleContext, server: ServerState): void {
  const name = server.Name;
  const sm = serverMemory(ctx.memory, name);
  const verdicts = judgeServer(server, ctx.input.knowledge).filter((v) => v.verdict === 'stale-applied' || v.verdict === 'orphan-artefact');
  for (const v of verdicts) {
    const key = cond('stale-mitigation', name, v.id);
    if (sm.stale[v.id] !== undefined && sm.stale[v.id] !== v.verdict) clearCondition(ctx, key, 'replaced');
    sm.stale[v.id] = v.verdict;
    raiseCondition(ctx, key, () => makeAlert('stale-mitigation', name, v.id, `${v.verdict}@${ctx.stateKey}`, wording.stale(name, v), ctx.now, null, ctx.now));
  }
  for (const id of Object.keys(sm.stale)) {
    if (verdicts.some((v) => v.id === id)) continue;
    clearCondition(ctx, cond('stale-mitigation', name, id));
    delete sm.stale[id];
  }
}

/** K2: a build below the June 2026 update gets no new mitigation: a standing warning until it is installed. */
function evaluateFeedRequirement(ctx: RuleContext, server: ServerState): void {
  const key = cond('build-too-old', server.Name);
  const shortfall = feedShortfall(server, ctx.input.knowledge, ctx.input.now);
  const open = conditionAlert(ctx, key);
  if (!shortfall) {
    clearCondition(ctx, key);
    return;
  }
  // Another build, still too old (an update that was not the right one): the words follow the build.
  if (open && !open.alert.body.includes(`(${shortfall.build})`)) clearCondition(ctx, key, 'replaced');
  const diagnosis = diagnosisFor('build-too-old', { server: server.Name, build: shortfall.build, required: shortfall.required });
  raiseCondition(ctx, key, () => makeAlert('build-too-old', server.Name, null, `${shortfall.requirement.id}@${shortfall.build}`, wording.buildTooOld(server.Name, shortfall), ctx.now, diagnosis, shortfall.since));
}

/** Every rule read from one readable server's state. */
export function evaluateServerState(ctx: RuleContext, server: ServerState): void {
  evaluateDiffs(ctx, server);
  evaluateServerDisabled(ctx, server);
  evaluateService(ctx, server);
  evaluateStale(ctx, server);
  evaluateFeedRequirement(ctx, server);
}
