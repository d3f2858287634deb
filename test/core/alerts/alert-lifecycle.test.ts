/** The alert lifecycle: resolved by itself when the condition clears, standing alerts count on, since = when the problem began, the K2 build warning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EvaluateInput, type Evaluation, type RuleMemory, emptyRuleMemory, evaluate, isOpenAlert, openAlerts } from '../../../main/core/alerts/alert-rules.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { EemsEvent, LogEntry, ServerState, StateDocument } from '../../../main/core/model.js';

const kb = defaultKnowledgeBase();
const options = { heartbeatGraceMinutes: 120, fetchErrorThreshold: 2 };
const SIGNING = "Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft";
const at = (d: number, h: number, m = 0) => new Date(Date.UTC(2026, 10, d, h, m)).toISOString();

function server(over: Partial<ServerState> = {}): ServerState {
  return {
    Name: 'EX01', Fqdn: 'ex01.contoso.com', AdminDisplayVersion: 'Version 15.2 (Build 2562.45)', ExSetupVersion: '15.02.2562.045',
    MitigationsEnabled: true, MitigationsApplied: ['PING1'], MitigationsBlocked: [], Service: { Status: 'Running', StartType: 'Automatic' },
    RewriteRules: [], AppPools: [], Services: [], Error: null, ...over,
  };
}
const doc = (time: string, servers: ServerState[], org: boolean | null = true): StateDocument => ({ collectedAt: time, organization: { MitigationsEnabled: org }, servers });
const cycle = (time: string): LogEntry => ({ time, server: 'EX01', operation: 'FetchMitigation', level: 'Information', message: 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations', source: null });
const failure = (time: string): LogEntry => ({ time, server: 'EX01', operation: 'FetchMitigation', level: 'Error', message: SIGNING, source: null });

function step(memory: RuleMemory, now: string, over: Partial<EvaluateInput>): Evaluation {
  return evaluate({ previous: null, current: doc(now, [server()]), events: {}, logEntries: {}, knowledge: kb, now: new Date(now), memory, options, ...over });
}

test('a condition that clears resolves by itself: it leaves the open list, with when and why', () => {
  let memory = step(emptyRuleMemory(), at(1, 9), {}).memory;
  const off = step(memory, at(1, 10), { current: doc(at(1, 10), [server()], false) });
  assert.deepEqual(off.alerts.map((a) => a.kind), ['org-mitigations-disabled']);
  const id = off.alerts[0]!.id;
  memory = off.memory;
  assert.equal(isOpenAlert(memory, id), true);
  const still = step(memory, at(1, 11), { current: doc(at(1, 11), [server()], false) });
  assert.deepEqual(still.alerts, [], 'a standing condition raises once');
  assert.equal(still.memory.open[id]!.lastSeenAt, at(1, 11));
  const back = step(still.memory, at(1, 12), { current: doc(at(1, 12), [server()], true) });
  assert.deepEqual(back.resolved.map((r) => [r.alertId, r.reason, r.at, r.lastSeenAt]), [[id, 'cleared', at(1, 12), at(1, 11)]]);
  assert.equal(isOpenAlert(back.memory, id), false);
  assert.deepEqual(openAlerts(back.memory), []);
});

test('a stopped service resolves when it runs again; since is when the log says it stopped', () => {
  let memory = step(emptyRuleMemory(), at(1, 9), {}).memory;
  const stopped = server({ Service: { Status: 'Stopped', StartType: 'Manual' } });
  const r = step(memory, at(1, 11), { current: doc(at(1, 11), [stopped]), logEntries: { EX01: [{ ...cycle(at(1, 9, 30)), operation: null, message: 'Stopped MSExchangeMitigation service' }] } });
  const alert = r.alerts.find((a) => a.kind === 'service-stopped')!;
  assert.equal(alert.since, at(1, 9, 30), 'since the Stopped line, not since the alert');
  memory = r.memory;
  const running = step(memory, at(1, 12), { current: doc(at(1, 12), [server()]) });
  assert.ok(running.resolved.some((x) => x.alertId === alert.id && x.reason === 'cleared'));
});

test('"N hourly fetches in a row failed" counts on with each failed cycle, since the first one; a clean cycle resolves it', () => {
  let memory = step(emptyRuleMemory(), at(1, 0, 30), {}).memory;
  let id = '';
  const bodies: string[] = [];
  for (let h = 1; h <= 4; h += 1) {
    const r = step(memory, at(1, h, 5), { logEntries: { EX01: [cycle(at(1, h)), failure(at(1, h, 1))] } });
    memory = r.memory;
    if (h === 2) {
      assert.equal(r.alerts.length, 1, 'raised at the threshold');
      id = r.alerts[0]!.id;
      assert.equal(r.alerts[0]!.since, at(1, 1, 1), 'since the first failure, not since the alert');
      bodies.push(r.alerts[0]!.body);
    }
    if (h > 2) {
      assert.deepEqual(r.alerts, [], 'no second alert');
      assert.deepEqual(r.updated.map((a) => a.id), [id], 'the open alert is kept current');
      bodies.push(r.updated[0]!.body);
    }
  }
  assert.match(bodies[0]!, /\b2\b/);
  assert.match(bodies[2]!, /\b4\b/);
  // A cycle is clean once the next one starts without a failure between them.
  const clean = step(memory, at(1, 5, 5), { logEntries: { EX01: [cycle(at(1, 5))] } });
  assert.deepEqual(clean.resolved, [], 'not yet: cycle 5 may still fail');
  const next = step(clean.memory, at(1, 6, 5), { logEntries: { EX01: [cycle(at(1, 6))] } });
  assert.deepEqual(next.resolved.map((r) => r.alertId), [id]);
});

test('a crash alert says when the service started again instead of "while the service is down"', () => {
  const memory = step(emptyRuleMemory(), at(1, 9), {}).memory;
  const crash: EemsEvent = {
    recordId: 7, eventId: 4999, level: 'Error', time: at(1, 10), machine: 'ex01.contoso.com', provider: 'MSExchange Common',
    message: 'Watson report about to be sent for process id: 4242, with parameters: E12IIS, c-RTL-AMD64, 15.02.2562.045, M.E.Mitigation.Service, mscorlib, M.W.RegistryKey.InternalGetValue, System.OutOfMemoryException, 1234, 15.02.2562.045.',
  };
  const first = step(memory, at(1, 10, 5), { events: { EX01: [crash] } });
  const alert = first.alerts.find((a) => a.kind === 'service-crashed');
  assert.ok(alert, `the real 4999 shape is recognised: ${first.alerts.map((a) => a.kind).join(', ')}`);
  const started: EemsEvent = { recordId: 8, eventId: 1001, level: 'Information', time: at(1, 10, 2), machine: 'ex01.contoso.com', provider: 'MSExchange Mitigation Service', message: 'The Exchange Emergency Mitigation service started.' };
  const second = step(first.memory, at(1, 10, 10), { events: { EX01: [started] } });
  const words = second.updated.find((a) => a.id === alert.id);
  assert.ok(words, 'the open crash alert is updated');
  assert.match(words.body, /started again at/);
  assert.doesNotMatch(`${words.body} ${words.diagnosis?.explanation ?? ''}`, /while the service is down/i);
});

test('K2: a server below Jun26SU gets a standing warning before any 1008, from the build table; installing the SU resolves it', () => {
  const old = server({ AdminDisplayVersion: 'Version 15.2 (Build 2562.37)', ExSetupVersion: '15.02.2562.037' });
  const memory = step(emptyRuleMemory(), at(1, 9), { current: doc(at(1, 9), [old]) }).memory;
  const warning = openAlerts(memory).find((a) => a.kind === 'build-too-old');
  assert.ok(warning, 'raised from the build alone');
  assert.equal(warning.severity, 'warning');
  assert.match(warning.body, /15\.2\.2562\.43/, 'names the Jun26SU build of its CU line');
  const onJun = server({ AdminDisplayVersion: 'Version 15.2 (Build 2562.43)', ExSetupVersion: '15.02.2562.043' });
  const fixed = step(memory, at(1, 10), { current: doc(at(1, 10), [onJun]) });
  assert.ok(fixed.resolved.some((r) => r.alertId === warning.id && r.reason === 'cleared'));
  assert.ok(!openAlerts(fixed.memory).some((a) => a.kind === 'build-too-old'));
});
