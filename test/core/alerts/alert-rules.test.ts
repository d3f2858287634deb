import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseMitigationLog } from '../../../main/core/parsers/mitigation-log.js';
import { fixture } from '../../support/paths.js';
import { type EvaluateInput, type RuleMemory, emptyRuleMemory, evaluate, openAlerts } from '../../../main/core/alerts/alert-rules.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { EemsEvent, LogEntry, ServerState, StateDocument } from '../../../main/core/model.js';

const kb = defaultKnowledgeBase();
const options = { heartbeatGraceMinutes: 120, fetchErrorThreshold: 2 };
const SIGNING = "Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft";

function server(over: Partial<ServerState> = {}): ServerState {
  return {
    Name: 'EX01', Fqdn: 'ex01.contoso.com', AdminDisplayVersion: 'Version 15.2 (Build 1748.10)', ExSetupVersion: '15.02.1748.043',
    MitigationsEnabled: true, MitigationsApplied: ['PING1'], MitigationsBlocked: [], Service: { Status: 'Running', StartType: 'Automatic' },
    RewriteRules: [], AppPools: [], Services: [], Error: null, ...over,
  };
}
function doc(at: string, servers: ServerState[], orgEnabled: boolean | null = true): StateDocument {
  return { collectedAt: at, organization: { MitigationsEnabled: orgEnabled }, servers };
}
const cycle = (time: string): LogEntry => ({ time, server: 'EX01', operation: 'FetchMitigation', level: 'Information', message: 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations', source: null });
const error = (time: string, message = SIGNING): LogEntry => ({ time, server: 'EX01', operation: 'FetchMitigation', level: 'Error', message, source: null });
const hour = (h: number, m = 0) => new Date(Date.UTC(2026, 5, 15, h, m)).toISOString();

function run(over: Partial<EvaluateInput>, memory: RuleMemory): { ids: string[]; memory: RuleMemory; kinds: string[] } {
  const input: EvaluateInput = { previous: null, current: doc(hour(0), [server()]), events: {}, logEntries: {}, knowledge: kb, now: new Date(hour(0)), memory, options, ...over };
  const result = evaluate(input);
  return { ids: result.alerts.map((a) => a.id), kinds: result.alerts.map((a) => a.kind), memory: result.memory };
}

test('the first look is a baseline: what is already applied raises nothing; later changes raise one alert each', () => {
  const first = run({}, emptyRuleMemory());
  assert.deepEqual(first.kinds, []);
  const s0 = doc(hour(0), [server()]);
  const s1 = doc(hour(1), [server({ MitigationsApplied: ['PING1', 'M2.1.0'], MitigationsBlocked: ['M1'] })]);
  const second = run({ previous: s0, current: s1, now: new Date(hour(1)) }, first.memory);
  assert.deepEqual(second.kinds.sort(), ['mitigation-applied', 'mitigation-blocked']);
  // Replaying the same input with the same (old) memory gives the same ids: the journal refuses them.
  assert.deepEqual(run({ previous: s0, current: s1, now: new Date(hour(1)) }, first.memory).ids, second.ids);
  // With the new memory, the same state again raises nothing.
  assert.deepEqual(run({ previous: s1, current: s1, now: new Date(hour(2)) }, second.memory).ids, []);
  const s2 = doc(hour(3), [server({ MitigationsApplied: ['PING1'], MitigationsBlocked: ['M1'] })]);
  assert.deepEqual(run({ previous: s1, current: s2, now: new Date(hour(3)) }, second.memory).kinds, ['mitigation-removed']);
});

test('a fetch error alerts once, after N failed cycles, with its diagnosis; a log line and a 1008 event of one cycle count once', () => {
  let memory = run({}, emptyRuleMemory()).memory;
  const event = (recordId: number, time: string): EemsEvent => ({ recordId, eventId: 1008, level: 'Error', time, machine: 'ex01.contoso.com', provider: 'MSExchange Mitigation Service', message: `An unexpected exception occurred.\r\nDiagnostic information: ${SIGNING}` });
  const s = doc(hour(0), [server()]);
  const cycleAt = (h: number, withEvent: boolean): Partial<EvaluateInput> => ({
    previous: s, current: s, now: new Date(hour(h, 5)),
    logEntries: { EX01: [cycle(hour(h)), error(hour(h, 1))] },
    events: withEvent ? { EX01: [event(100 + h, hour(h, 1))] } : ({} as Record<string, EemsEvent[]>),
  });
  const c1 = run(cycleAt(1, true), memory);
  assert.deepEqual(c1.ids, [], 'one failed cycle (log line + event) is below the threshold of 2');
  assert.equal(c1.memory.servers.EX01!.fetch.failures, 1);
  const c2 = run(cycleAt(2, true), c1.memory);
  assert.deepEqual(c2.kinds, ['fetch-error']);
  const alert = evaluate({ ...(cycleAt(2, true) as EvaluateInput), knowledge: kb, memory: c1.memory, options }).alerts[0]!;
  assert.equal(alert.severity, 'critical');
  assert.equal(alert.diagnosis?.code, 'signing-cert');
  memory = c2.memory;
  const c3 = run(cycleAt(3, false), memory);
  assert.deepEqual(c3.ids, [], 'the same diagnosis does not alert again');
  // The diagnosis changes: one new alert naming the new cause.
  const c4 = run({ previous: s, current: s, now: new Date(hour(4, 5)), logEntries: { EX01: [cycle(hour(4)), error(hour(4, 1), 'Exception encountered while fetching mitigations : The remote name could not be resolved: \'officeclient.microsoft.com\'')] } }, c3.memory);
  assert.equal(c4.kinds.join(), 'fetch-error');
  assert.notEqual(c4.ids[0], c2.ids[0]);
  // A clean cycle ends the episode (seen when the next cycle starts) and closes the alert.
  const c5 = run({ previous: s, current: s, now: new Date(hour(6, 5)), logEntries: { EX01: [cycle(hour(5)), cycle(hour(6))] } }, c4.memory);
  assert.deepEqual(c5.ids, []);
  assert.equal(openAlerts(c5.memory).filter((a) => a.kind === 'fetch-error').length, 0);
  // After it cleared, two more failures alert again (a new episode: a new id).
  const c6 = run(cycleAt(7, false), c5.memory);
  const c7 = run(cycleAt(8, false), c6.memory);
  assert.equal(c7.kinds.join(), 'fetch-error');
  assert.notEqual(c7.ids[0], c2.ids[0]);
});

test('heartbeat-missed: no cycle for longer than the grace while the service runs; not while it is stopped', () => {
  const s = doc(hour(0), [server()]);
  const m1 = run({ previous: s, current: s, now: new Date(hour(1, 5)), logEntries: { EX01: [cycle(hour(1))] } }, run({}, emptyRuleMemory()).memory).memory;
  const read = { logEntries: { EX01: [] as LogEntry[] } }; // the log was read and held nothing new
  assert.deepEqual(run({ previous: s, current: s, now: new Date(hour(3)), ...read }, m1).ids, [], 'two hours is not more than the 120-minute grace');
  const late = run({ previous: s, current: s, now: new Date(hour(3, 1)), ...read }, m1);
  assert.deepEqual(late.kinds, ['heartbeat-missed']);
  assert.match(late.ids[0]!, /heartbeat-missed:EX01:-:/);
  assert.deepEqual(run({ previous: s, current: s, now: new Date(hour(5)), ...read }, late.memory).ids, [], 'raised once per silence');
  const stopped = doc(hour(3), [server({ Service: { Status: 'Stopped', StartType: 'Manual' } })]);
  assert.deepEqual(run({ previous: s, current: stopped, now: new Date(hour(4)) }, m1).kinds, ['service-stopped']);
});

test('settings drift names who and when from the admin audit log; unreachable, crash, failed apply and stale each raise their kind', () => {
  const audit = { Caller: 'contoso.com/Users/Jordan Reyes', CmdletName: 'Set-ExchangeServer', ObjectModified: 'EX01', Parameters: { MitigationsEnabled: 'False' }, RunDate: '2026-06-15T07:12:00Z' };
  const off = doc(hour(1), [server({ MitigationsEnabled: false, AuditEntries: [audit] })], false);
  const result = evaluate({ previous: null, current: off, events: {}, logEntries: {}, knowledge: kb, now: new Date(hour(1)), memory: emptyRuleMemory(), options });
  const serverOff = result.alerts.find((a) => a.kind === 'server-mitigations-disabled')!;
  assert.match(serverOff.body, /Jordan Reyes/);
  assert.match(serverOff.body, /2026-06-15 07:12 UTC/);
  assert.equal(serverOff.severity, 'warning');
  assert.equal(result.alerts.find((a) => a.kind === 'org-mitigations-disabled')?.severity, 'critical');

  const down = doc(hour(1), [server({ Error: 'EX01 could not be reached.' })]);
  assert.deepEqual(run({ current: down, now: new Date(hour(1)) }, emptyRuleMemory()).kinds, ['server-unreachable']);

  const watson: EemsEvent = { recordId: 7, eventId: 4999, level: 'Error', time: hour(1), machine: 'EX01', provider: 'MSExchange Common', message: 'Watson report about to be sent for process id: 7303, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.043, MSExchangeMitigation, Microsoft.Exchange.Mitigation.Service, M.E.M.S.M.MitigationEngine.FetchMitigations, System.OutOfMemoryException, 5bd5.' };
  const crashed = evaluate({ previous: null, current: doc(hour(1), [server()]), events: { EX01: [watson] }, logEntries: {}, knowledge: kb, now: new Date(hour(1, 2)), memory: emptyRuleMemory(), options });
  assert.deepEqual(crashed.alerts.map((a) => a.kind), ['service-crashed']);
  assert.equal(crashed.alerts[0]!.diagnosis?.code, 'crash');

  const failed = run({ now: new Date(hour(1, 2)), logEntries: { EX01: [error(hour(1), 'Failed to apply mitigation M2.1.0: IIS URL Rewrite Module is not installed')] } }, emptyRuleMemory());
  assert.deepEqual(failed.kinds, ['mitigation-failed']);

  const fixed = doc(hour(1), [server({ ExSetupVersion: '15.02.1748.048', MitigationsApplied: ['PING1', 'M2.1.0'] })]);
  const stale = run({ current: fixed, now: new Date(hour(1)) }, emptyRuleMemory());
  assert.deepEqual(stale.kinds, ['stale-mitigation']);
  assert.deepEqual(run({ previous: fixed, current: fixed, now: new Date(hour(2)) }, stale.memory).ids, [], 'a stale verdict alerts once');
});

test('record alerts older than a day are history, not news (a first read of a month of log)', () => {
  const old: EemsEvent = { recordId: 9, eventId: 4999, level: 'Error', time: hour(0), machine: 'EX01', provider: 'MSExchange Common', message: 'Watson report about to be sent for process id: 1, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.043, MSExchangeMitigation, System.OutOfMemoryException' };
  const later = new Date(Date.parse(hour(0)) + 25 * 3_600_000);
  assert.deepEqual(evaluate({ previous: null, current: doc(hour(0), [server()]), events: { EX01: [old] }, logEntries: {}, knowledge: kb, now: later, memory: emptyRuleMemory(), options }).alerts, []);
});

test('a generic Error line is diagnosed with the Warning and the proxy of its own cycle (the sample log)', async () => {
  const text = await readFile(fixture('samples', 'mitigation-service.log'), 'utf8');
  const all = parseMitigationLog(text).entries;
  // The 09:00 cycle only: "Using Proxy", the TLS Warning, then "One or more errors occurred."
  const nineOClock = all.filter((e) => e.time !== null && e.time < '2026-06-10T10:00:00Z');
  assert.ok(nineOClock.some((e) => e.level === 'Error' && /One or more errors occurred\.$/.test(e.message)));
  const ex01 = server({ Name: 'EX01' });
  const s = doc('2026-06-10T09:00:00Z', [ex01]);
  const result = evaluate({
    previous: s, current: s, events: {}, logEntries: { EX01: nineOClock }, knowledge: kb, now: new Date('2026-06-10T09:05:00Z'),
    memory: emptyRuleMemory(), options: { heartbeatGraceMinutes: 120, fetchErrorThreshold: 1 },
  });
  const alert = result.alerts.find((a) => a.kind === 'fetch-error');
  assert.ok(alert, 'one failed cycle at a threshold of 1 alerts');
  assert.equal(alert.diagnosis?.code, 'tls-chain');
  assert.equal(alert.diagnosis?.details.proxy, 'http://10.0.0.10:8080/', 'the proxy of the cycle is named: TLS inspection is the likely cause');
  assert.match(alert.title, /EX01/);

  // The Error line alone, after its cycle's lines were read in an earlier poll, still counts once.
  const errorOnly = nineOClock.filter((e) => e.level === 'Error');
  const later = evaluate({ previous: s, current: s, events: {}, logEntries: { EX01: errorOnly }, knowledge: kb, now: new Date('2026-06-10T09:05:00Z'), memory: emptyRuleMemory(), options: { heartbeatGraceMinutes: 120, fetchErrorThreshold: 1 } });
  assert.equal(later.alerts.find((a) => a.kind === 'fetch-error')?.diagnosis?.code, 'unknown', 'a lone generic line stays unknown: nothing in its cycle says more');
});

test('heartbeat after a restart: silence counts from the start (first check ~10 minutes later), not from before the stop', () => {
  const running = doc(hour(0), [server()]);
  const stopped = doc(hour(2), [server({ Service: { Status: 'Stopped', StartType: 'Automatic' } })]);
  const read = (h: number, m = 0, entries: LogEntry[] = []) => ({ now: new Date(hour(h, m)), logEntries: { EX01: entries } });
  const m1 = run({ previous: running, current: running, ...read(1, 5, [cycle(hour(1))]) }, run({}, emptyRuleMemory()).memory).memory;
  const m2 = run({ previous: running, current: stopped, ...read(2) }, m1);
  assert.deepEqual(m2.kinds, ['service-stopped']);
  // Started again at 05:00: five hours after the last cycle, but only just started.
  const back = run({ previous: stopped, current: running, ...read(5) }, m2.memory);
  assert.deepEqual(back.kinds, [], 'no heartbeat alarm for a service that has just started');
  assert.deepEqual(run({ previous: running, current: running, ...read(6, 30) }, back.memory).kinds, []);
  const silent = run({ previous: running, current: running, ...read(7, 1) }, back.memory);
  assert.deepEqual(silent.kinds, ['heartbeat-missed'], 'still silent two hours after its start: now it is news');
  const alert = evaluate({ previous: running, current: running, events: {}, logEntries: { EX01: [] }, knowledge: kb, now: new Date(hour(7, 1)), memory: back.memory, options }).alerts[0]!;
  assert.match(alert.body, /since 2026-06-15 01:00 UTC, nor since the service started again at 2026-06-15 05:00 UTC/);
  // A quick restart between two state reads shows only in the log: its "Started" line counts too.
  const started: LogEntry = { ...cycle(hour(4)), operation: 'Startup', message: 'Started MSExchangeMitigation' };
  assert.deepEqual(run({ previous: running, current: running, ...read(4, 5, [started]) }, m1).kinds, [], 'started at 04:00: not silent at 04:05');
});

test('silence that was not listened to decides nothing: an unread log raises no heartbeat, an unreachable server does not end a fetch episode', () => {
  const s = doc(hour(0), [server()]);
  const m1 = run({ previous: s, current: s, now: new Date(hour(1, 5)), logEntries: { EX01: [cycle(hour(1))] } }, run({}, emptyRuleMemory()).memory).memory;
  assert.deepEqual(run({ previous: s, current: s, now: new Date(hour(6)) }, m1).kinds, [], 'log unreadable for hours: no heartbeat made up');

  const failing = (h: number) => ({ previous: s, current: s, now: new Date(hour(h, 5)), logEntries: { EX01: [cycle(hour(h)), error(hour(h, 1))] } });
  const f1 = run(failing(1), m1);
  const f2 = run(failing(2), f1.memory);
  assert.deepEqual(f2.kinds, ['fetch-error']);
  // EX01 cannot be read for four hours: we hear nothing, the fault may go on.
  const down = doc(hour(6), [server({ Error: 'EX01 could not be reached.' })]);
  const blind = run({ previous: s, current: down, now: new Date(hour(6, 5)) }, f2.memory);
  assert.deepEqual(blind.kinds, ['server-unreachable']);
  assert.ok(openAlerts(blind.memory).some((a) => a.kind === 'fetch-error'), 'the fetch error stays open while we cannot see');
  // Back: the backlog shows the same fault went on every hour. Same fact, no second alert.
  const backlog = [3, 4, 5, 6, 7].flatMap((h) => [cycle(hour(h)), error(hour(h, 1))]);
  const again = run({ previous: down, current: s, now: new Date(hour(7, 5)), logEntries: { EX01: backlog } }, blind.memory);
  assert.deepEqual(again.kinds, [], 'the same fetch error is not announced twice');
});

test('a fetch error says since when', () => {
  const s = doc(hour(0), [server()]);
  const failing = (h: number, memory: RuleMemory) => evaluate({ previous: s, current: s, events: {}, logEntries: { EX01: [cycle(hour(h)), error(hour(h, 1))] }, knowledge: kb, now: new Date(hour(h, 5)), memory, options });
  const alert = failing(2, failing(1, emptyRuleMemory()).memory).alerts[0]!;
  assert.match(alert.body, /2 hourly fetches in a row failed on EX01 since 2026-06-15 01:01 UTC\./);
});
