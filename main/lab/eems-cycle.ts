/**
 * One hourly EEMS cycle on one server, as the real service runs it (LEARN-EM, GRANIKOS-1): fetch
 * from OCS (through the proxy if one is set), note the diagnostic data, then either fail (1008 and
 * the log lines of the fault) or validate the XML and reconcile: drop what OCS no longer sends to
 * this build (the artefact stays: the orphan), and, only when MitigationsEnabled is True at both
 * the organisation and the server, apply what is applicable and not blocked (1005, 1006).
 */
import type { ServerState } from '../core/model.js';
import {
  COMMON_PROVIDER,
  EEMS_PROVIDER,
  ENGINE_SOURCE,
  EVENT_TEXT,
  FAILURE_WORDS,
  type LogLine,
  OCS_URL,
  failureTexts,
  fetchErrorEvent,
  watsonEvent,
} from './eems-texts.js';
import { drawInt } from './lab-random.js';
import type { LabStateDocument, OcsMitigation } from './lab-types.js';
import type { LabWriter } from './lab-writer.js';
import { isApplicable, isBlocked, shortVersion } from './ocs-feed.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** LEARN-EM: "mitigations are applied about 10 minutes later" after a (re)start. */
const FIRST_CHECK_MS = 10 * MINUTE;

/**
 * Run the hour that starts at slotStart on this server: nothing when its service is not running,
 * nor when it hangs (service-silent: Running, yet no log line and no event).
 */
/** A MitigationsAppliedTime value: whole seconds, as Get-ExchangeServer's value is compared. */
export function appliedTimeAt(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

export function runServerHour(writer: LabWriter, state: LabStateDocument, server: ServerState, slotStart: number, hour: number): void {
  if (server.Service?.Status !== 'Running') return;
  const labServer = writer.labServer(server.Name);
  if (labServer.silent) return;
  const seed = writer.lab.seed;
  let t = slotStart + labServer.cycleOffsetMs + drawInt(seed, 0, 999, 'jitter', server.Name, hour);
  if (labServer.pendingCrash) {
    const restart = labServer.pendingCrash.restart;
    labServer.pendingCrash = null;
    crashService(writer, server, t, drawInt(seed, 1200, 9800, 'pid', server.Name, hour));
    if (!restart) return;
    t += MINUTE;
    startService(writer, server, t, 'restarted after the crash', false);
    t += FIRST_CHECK_MS; // LEARN-EM: the first check runs about 10 minutes after a start
  }
  runFetchCycle(writer, state, server, t, hour);
}

/** The Watson report of a crash; the service is then down. */
export function crashService(writer: LabWriter, server: ServerState, time: number, processId: number): void {
  writer.event(server, {
    time,
    eventId: 4999,
    level: 'Error',
    provider: COMMON_PROVIDER,
    message: watsonEvent(server.ExSetupVersion ?? '15.02.0000.000', processId),
  });
  server.Service = { Status: 'Stopped', StartType: server.Service?.StartType ?? 'Automatic' };
  writer.report(server.Name).happened.push('the service crashed (4999 Watson report, System.OutOfMemoryException)');
}

/**
 * Start MSExchangeMitigation: log line, 1001 (CONFIRMED id, K3), Service Running. Its hourly timer
 * starts with it: the first check runs about 10 minutes later (LEARN-EM), then hourly from there,
 * so the server's cycle phase moves. `rephase` false: the caller runs that first check itself.
 */
export function startService(writer: LabWriter, server: ServerState, time: number, why: string, rephase = true): void {
  server.Service = { Status: 'Running', StartType: server.Service?.StartType ?? 'Automatic' };
  if (rephase) {
    const since = time + FIRST_CHECK_MS - new Date(writer.lab.start).getTime();
    writer.labServer(server.Name).cycleOffsetMs = ((since % HOUR) + HOUR) % HOUR;
  }
  writer.log(server, [{ time, component: 'Startup', level: 'Information', message: 'Started MSExchangeMitigation' }]);
  writer.event(server, { time, eventId: 1001, level: 'Information', provider: EEMS_PROVIDER, message: EVENT_TEXT.started });
  writer.report(server.Name).happened.push(`the service started (${why})`);
}

/** Stop MSExchangeMitigation: log line, 1002 (CONFIRMED id, K3), Service Stopped. */
export function stopService(writer: LabWriter, server: ServerState, time: number, why: string): void {
  server.Service = { Status: 'Stopped', StartType: server.Service?.StartType ?? 'Automatic' };
  writer.log(server, [{ time, component: 'Shutdown', level: 'Information', message: 'Stopped MSExchangeMitigation' }]);
  writer.event(server, { time, eventId: 1002, level: 'Information', provider: EEMS_PROVIDER, message: EVENT_TEXT.stopped });
  writer.report(server.Name).happened.push(`the service stopped (${why})`);
}

function runFetchCycle(writer: LabWriter, state: LabStateDocument, server: ServerState, t: number, hour: number): void {
  const report = writer.report(server.Name);
  report.cycles += 1;
  const lines: LogLine[] = [{ time: t, component: 'FetchMitigation', level: 'Information', message: `Fetching mitigations from ${OCS_URL}` }];
  if (server.InternetWebProxy) {
    lines.push({ time: t + 2, component: 'FetchMitigation', level: 'Information', message: `Using Proxy ${server.InternetWebProxy} To Fetch Configurations` });
  }
  lines.push({
    time: t + 9,
    component: 'DiagnosticData',
    level: 'Information',
    // INFERRED: the text when data collection is on.
    message: server.DataCollectionEnabled ? 'Diagnostic data sent to Office Config Service' : 'No diagnostic data sent. DataCollectionEnabled is false',
  });
  const fault = writer.labServer(server.Name).fetchFault;
  const answeredAt = t + drawInt(writer.lab.seed, 380, 10_400, 'answer', server.Name, hour);
  if (fault) {
    const texts = failureTexts(fault);
    if (texts.warning) lines.push({ time: answeredAt, component: 'FetchMitigation', level: 'Warning', message: texts.warning });
    lines.push({ time: answeredAt + 45, component: 'FetchMitigation', level: 'Error', message: texts.error, source: ENGINE_SOURCE });
    writer.log(server, lines);
    writer.event(server, { time: answeredAt + 46, eventId: 1008, level: 'Error', provider: EEMS_PROVIDER, message: fetchErrorEvent(fault) });
    report.failedFetches += 1;
    report.lastFailure = fault;
    return;
  }
  const published = writer.lab.ocs.mitigations;
  const families = [...new Set(published.map((m) => m.family))].join(',');
  lines.push({ time: answeredAt, component: 'FetchMitigation', level: 'Information', message: `Mitigation XML received and signature validated. Configs: ${families}` });
  writer.log(server, lines);
  reconcile(writer, state, server, published, answeredAt + 9);
}

function reconcile(writer: LabWriter, state: LabStateDocument, server: ServerState, published: OcsMitigation[], t0: number): void {
  const report = writer.report(server.Name);
  const build = server.ExSetupVersion ? shortVersion(server.ExSetupVersion) : 'unknown';
  const lines: LogLine[] = [];
  let t = t0;
  const at = (ms: number) => (t += ms);
  const applicable = published.filter((m) => isApplicable(m, server.ExSetupVersion));
  for (const m of applicable) lines.push({ time: at(1), component: 'ParseMitigation', level: 'Information', message: `Mitigation ${m.id} is applicable to build ${build}` });

  // OCS no longer sends it: EEMS drops it from its tracking store, the rule stays (LEARN-EM).
  // INFERRED: this bookkeeping also happens while MitigationsEnabled is False.
  const before = [...server.MitigationsApplied];
  for (const m of published) {
    if (applicable.includes(m) || !server.MitigationsApplied.includes(m.id)) continue;
    server.MitigationsApplied = server.MitigationsApplied.filter((id) => id !== m.id);
    lines.push({
      time: at(2),
      component: 'ParseMitigation',
      level: 'Information',
      message: `Mitigation ${m.id} is not applicable to build ${build} and is removed from MitigationsApplied. Its configuration is left in place`,
    });
    report.happened.push(`${m.id} no longer sent by OCS for ${build}: dropped from MitigationsApplied, its rewrite rules stay`);
  }

  const orgOn = state.organization.MitigationsEnabled !== false;
  const serverOn = server.MitigationsEnabled !== false;
  if (!orgOn || !serverOn) {
    const where = !orgOn && !serverOn ? 'organization and server level' : !orgOn ? 'organization level' : 'server level';
    lines.push({ time: at(8), component: 'ApplyMitigation', level: 'Information', message: `MitigationsEnabled is False at ${where}. No mitigation will be applied` });
  } else {
    lines.push({ time: at(8), component: 'ApplyMitigation', level: 'Information', message: 'MitigationsEnabled is True at organization and server level' });
    for (const m of applicable) applyOne(writer, server, m, lines, at);
  }
  writer.log(server, lines);
  if (before.join('|') !== server.MitigationsApplied.join('|')) {
    const time = at(13);
    // INFERRED: MitigationsAppliedTime moves when the service writes MitigationsApplied (K10 names
    // the property, not when it changes).
    server.MitigationsAppliedTime = appliedTimeAt(time);
    writer.log(server, [{ time, component: 'UpdateAD', level: 'Information', message: `MitigationsApplied updated to ${server.MitigationsApplied.join(',')}` }]);
    writer.event(server, {
      time: time + 1,
      eventId: 1006,
      level: 'Information',
      provider: EEMS_PROVIDER,
      message: EVENT_TEXT.summary(server.MitigationsApplied, server.MitigationsBlocked),
    });
  }
}

/**
 * Apply one mitigation unless it is blocked or already in place. INFERRED: a mitigation still in
 * MitigationsApplied whose rules an admin removed without blocking it is put back: that is why the
 * safe removal blocks first (LEARN-EM).
 */
function applyOne(writer: LabWriter, server: ServerState, m: OcsMitigation, lines: LogLine[], at: (ms: number) => number): void {
  if (isBlocked(m, server.MitigationsBlocked)) {
    lines.push({ time: at(3), component: 'ApplyMitigation', level: 'Information', message: `Mitigation ${m.family} is blocked on this server (MitigationsBlocked). Skipping` });
    return;
  }
  const missing = m.rules.filter((rule) => !server.RewriteRules.some((r) => r.Name === rule.Name && r.Location === rule.Location));
  if (server.MitigationsApplied.includes(m.id) && missing.length === 0) return;
  const where = m.location ? ` on ${m.location}` : '';
  lines.push({ time: at(32), component: 'ApplyMitigation', level: 'Information', message: `Applying mitigation ${m.id} action ${m.action}${where}` });
  server.RewriteRules.push(...missing.map((rule) => ({ ...rule })));
  if (!server.MitigationsApplied.includes(m.id)) server.MitigationsApplied.push(m.id);
  const done = at(m.rules.length > 0 ? 9_400 : 20);
  lines.push({ time: done, component: 'ApplyMitigation', level: 'Information', message: `Mitigation ${m.id} applied successfully` });
  if (m.action !== 'DoNothing') {
    writer.event(server, { time: done, eventId: 1005, level: 'Information', provider: EEMS_PROVIDER, message: EVENT_TEXT.applied(m.id, m.description) });
    writer.report(server.Name).happened.push(`${m.id} applied (${m.rules.map((r) => r.Name).join(', ')})`);
  }
}

/** "fetch failed (signing certificate not accepted)" for the lab's own output. */
export function describeFailure(code: keyof typeof FAILURE_WORDS): string {
  return `fetch failed (${FAILURE_WORDS[code]})`;
}
