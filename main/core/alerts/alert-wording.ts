/**
 * The words of every alert: titles and bodies an Exchange admin reads in a notification, the
 * timeline and `poll` output. Kept apart from the rules so the rules stay about facts.
 */
import type { AdminAuditEntry, Diagnosis, MitigationVerdict, ServerState } from '../model.js';
import type { FeedShortfall } from './feed-requirement.js';
import { countOf } from '../plural.js';

/** "by CONTOSO\admin on 2026-11-27 10:04 UTC", or '' when the audit log said nothing. */
export function describeAudit(entry: AdminAuditEntry | null): string {
  if (!entry) return '';
  const when = entry.RunDate.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  return ` Changed by ${entry.Caller} on ${when} (${entry.CmdletName}).`;
}

/** "2026-11-27 10:04 UTC" from an ISO time (the text unchanged when it is not one). */
export function utc(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

/** Title and body for each alert kind. */
export const wording = {
  applied(server: string, id: string, about: string | null) {
    return {
      title: `EEMS applied ${id} on ${server}`,
      body: `The Emergency Mitigation service applied ${id}${about ? ` (${about})` : ''} on ${server}. Check that OWA and the other protocols still work as users expect.`,
    };
  },
  removed(server: string, id: string) {
    return {
      title: `${id} is no longer applied on ${server}`,
      body: `${id} left MitigationsApplied on ${server}. Its rewrite rule, app pool or service change may still be in place: run 'eems-watch stale' to see whether it is safe to remove.`,
    };
  },
  blocked(server: string, id: string) {
    return {
      title: `${id} blocked on ${server}`,
      body: `${id} is now in MitigationsBlocked on ${server}: EEMS will not apply it there. Blocking does not remove a mitigation already applied.`,
    };
  },
  failed(server: string, id: string | null, text: string) {
    return {
      title: `EEMS could not apply ${id ?? 'a mitigation'} on ${server}`,
      body: `${text.slice(0, 400)} Check the Mitigation Service log on ${server} and run Get-Mitigations.ps1 -Identity ${server}.`,
    };
  },
  fetchError(server: string, diagnosis: Diagnosis, failures: number, since: string | null = null) {
    const next = diagnosis.fix[0] ? ` Next step: ${diagnosis.fix[0]}` : '';
    const from = since ? ` since ${utc(since)}` : '';
    return {
      title: `Fetch error on ${server}: ${diagnosis.title}`,
      body: `${failures} hourly fetches in a row failed on ${server}${from}. ${diagnosis.explanation}${next}`,
    };
  },
  orgDisabled(audit: AdminAuditEntry | null) {
    return {
      title: 'Emergency mitigations are turned off for the organisation',
      body: `Get-OrganizationConfig shows MitigationsEnabled False: EEMS still checks hourly but applies nothing on any server.${describeAudit(audit)} To turn it back on: Set-OrganizationConfig -MitigationsEnabled $true.`,
    };
  },
  serverDisabled(server: string, audit: AdminAuditEntry | null) {
    return {
      title: `Emergency mitigations are turned off on ${server}`,
      body: `Get-ExchangeServer ${server} shows MitigationsEnabled False: EEMS applies nothing on this server.${describeAudit(audit)} To turn it back on: Set-ExchangeServer -Identity ${server} -MitigationsEnabled $true.`,
    };
  },
  serviceStopped(server: string, service: NonNullable<ServerState['Service']>, stoppedAt: string | null = null) {
    const since = stoppedAt ? ` since ${utc(stoppedAt)}` : '';
    return {
      title: `Mitigation service is not running on ${server}`,
      body: `MSExchangeMitigation is ${service.Status} (start type ${service.StartType}) on ${server}${since}: no mitigation can be fetched or applied. Start it with Start-Service MSExchangeMitigation and set its start type to Automatic.`,
    };
  },
  /** A crash; once the service is seen starting again (`restartedAt`), the words say so. */
  serviceCrashed(server: string, diagnosis: Diagnosis | null, restartedAt: string | null = null) {
    const exception = typeof diagnosis?.details.exception === 'string' ? ` (${diagnosis.details.exception})` : '';
    const after = restartedAt
      ? ` The service started again at ${utc(restartedAt)}: it fetches and applies mitigations again. If it keeps crashing, follow the diagnosis.`
      : ` ${diagnosis?.explanation ?? 'Until the service runs again, no mitigation is fetched or applied.'}`;
    return {
      title: `Mitigation service crashed on ${server}`,
      body: `A Watson report (event 4999) names the mitigation service${exception}.${after}`,
    };
  },
  /** K2: the build cannot use the mitigation files Microsoft publishes now. */
  buildTooOld(server: string, shortfall: FeedShortfall) {
    const r = shortfall.requirement;
    const target = shortfall.required
      ? `Install ${r.minimumUpdateName} or later for its CU: ${shortfall.requiredName} is ${shortfall.required}.`
      : `Its CU line got no ${r.minimumUpdateName}: move to a supported CU and install that update or a later one.`;
    return {
      title: `${server} can no longer receive new mitigations (build too old)`,
      body:
        `${server} runs ${shortfall.buildName} (${shortfall.build}), below ${r.minimumUpdateName}. Since ${utc(shortfall.since).slice(0, 10)} the Emergency Mitigation service cannot use the mitigation files Microsoft publishes on such a build: ` +
        `mitigations already applied keep working, new ones never arrive, and its hourly fetch fails with "${r.symptom}". ${target} ` +
        `The trust-list, CRL and port-80 steps of a signing-certificate error do not help here. (Source: ${r.source}.)`,
    };
  },
  heartbeatMissed(server: string, lastCycleAt: string, hours: number, startedAt: string | null = null) {
    const restart = startedAt ? `, nor since the service started again at ${utc(startedAt)}` : '';
    return {
      title: `No EEMS check on ${server} for ${countOf(hours, 'hour')}`,
      body: `The Mitigation Service log on ${server} shows no "Fetching mitigations" cycle since ${utc(lastCycleAt)}${restart}, while the service reports Running. Restart it (Restart-Service MSExchangeMitigation) and read its log.`,
    };
  },
  stale(server: string, verdict: MitigationVerdict) {
    const what = verdict.verdict === 'stale-applied' ? 'is stale' : 'left an orphaned artefact';
    return {
      title: `${verdict.id} on ${server} ${what}`,
      body: `${verdict.reason}${verdict.fixedIn ? ` Fixed in ${verdict.fixedIn}.` : ''} Open the server to review a removal plan.`,
    };
  },
  unreachable(server: string, error: string) {
    return {
      title: `Cannot read ${server}`,
      body: `${error} EEMS Watch keeps trying with a growing pause; check that the server is up and that remote PowerShell works.`,
    };
  },
};

/**
 * The crash diagnosis once the service runs again: its "while the service is down" sentence is
 * no longer true and gives way to when it started again.
 */
export function restartedDiagnosis(diagnosis: Diagnosis, restartedAt: string): Diagnosis {
  const now = `The service started again at ${utc(restartedAt)}.`;
  const explanation = /While the service is down[^.]*\./.test(diagnosis.explanation)
    ? diagnosis.explanation.replace(/While the service is down[^.]*\./, now)
    : `${diagnosis.explanation} ${now}`;
  return { ...diagnosis, explanation, details: { ...diagnosis.details, restartedAt } };
}
