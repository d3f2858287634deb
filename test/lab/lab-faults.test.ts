import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { advanceLab, initLab, labPaths, setLabFault, summarizeLab } from '../../main/lab/index.js';
import type { LabStateDocument } from '../../main/lab/lab-types.js';
import { readServerEvents } from '../../main/lab/lab-store.js';
import { cyclesPerDay, readEvents, readLogEntries, tempDir } from './lab-support.js';

const PREFIX = 'Exception encountered while fetching mitigations : ';
const EVENT_PREFIX = `An unexpected exception occurred.\r\nDiagnostic information: ${PREFIX}`;

async function readState(dir: string): Promise<LabStateDocument> {
  return JSON.parse(await readFile(labPaths.state(dir), 'utf8')) as LabStateDocument;
}

/** Per server of the `faults` scenario: the Warning (or null), the Error message and a piece of the 1008 text. */
const EXPECTED: Record<string, { warning: string | null; error: string; event: RegExp }> = {
  'EX-TLS': { warning: 'TLS certificate or its chain validation failed', error: `${PREFIX}One or more errors occurred.`, event: /Could not establish trust relationship for the SSL\/TLS secure channel/ },
  'EX-SIGN': { warning: null, error: `${PREFIX}This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft`, event: /signing cert is invalid or not from microsoft$/ },
  'EX-REVOC': { warning: 'The revocation function was unable to check revocation because the revocation server was offline.', error: `${PREFIX}The revocation function was unable to check revocation because the revocation server was offline.`, event: /revocation server was offline/ },
  'EX-OLD': { warning: 'Connection attempted against untrusted endpoint', error: `${PREFIX}One or more errors occurred.`, event: /Connection attempted against untrusted endpoint/ },
  'EX-PROXY': { warning: null, error: `${PREFIX}The remote server returned an error: (407) Proxy Authentication Required.`, event: /\(407\) Proxy Authentication Required/ },
  'EX-NET': { warning: null, error: `${PREFIX}The remote name could not be resolved: 'officeclient.microsoft.com'`, event: /could not be resolved: 'officeclient\.microsoft\.com'/ },
};

test('each fetch failure code writes its own log lines and 1008 text, hour after hour', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'faults' });
  const result = await advanceLab(dir, 3);
  for (const [server, expected] of Object.entries(EXPECTED)) {
    const report = result.servers.find((r) => r.server === server)!;
    assert.equal(report.failedFetches, 3, server);
    const { entries, skipped } = await readLogEntries(dir, server);
    assert.equal(skipped, 0);
    const warnings = entries.filter((e) => e.level === 'Warning').map((e) => e.message);
    const errors = entries.filter((e) => e.level === 'Error');
    assert.deepEqual(warnings, expected.warning ? [expected.warning, expected.warning, expected.warning] : [], server);
    assert.deepEqual(errors.map((e) => e.message), [expected.error, expected.error, expected.error], server);
    assert.ok(errors.every((e) => e.operation === 'FetchMitigation' && e.source === 'Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine'));
    const events = await readEvents(dir, server);
    assert.equal(events.length, 3);
    for (const event of events) {
      assert.ok(event.message.startsWith(EVENT_PREFIX), server);
      assert.match(event.message, expected.event, server);
    }
  }
  assert.ok((await readLogEntries(dir, 'EX-PROXY')).entries.some((e) => e.message.startsWith('Using Proxy http://10.0.0.10:8080/')));
});

test('clearing a fetch fault lets the next cycle succeed', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'faults' });
  await advanceLab(dir, 1);
  await setLabFault(dir, 'EX-TLS', { kind: 'fetch-failing', code: null });
  const result = await advanceLab(dir, 2);
  assert.equal(result.servers.find((r) => r.server === 'EX-TLS')!.failedFetches, 0);
  assert.equal((await readEvents(dir, 'EX-TLS')).length, 1);
  await setLabFault(dir, 'EX-NET', { kind: 'clear' });
  assert.equal((await advanceLab(dir, 1)).servers.find((r) => r.server === 'EX-NET')!.failedFetches, 0);
});

test('org MitigationsEnabled False: audit entry with who and when, nothing applied, polling goes on', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'lifecycle' });
  await setLabFault(dir, null, { kind: 'org-mitigations-enabled', enabled: false, by: 'contoso.com/Users/Sam Lee' });
  const state = await readState(dir);
  assert.equal(state.organization.MitigationsEnabled, false);
  const expected = { Caller: 'contoso.com/Users/Sam Lee', CmdletName: 'Set-OrganizationConfig', ObjectModified: 'Contoso', Parameters: { MitigationsEnabled: 'False' }, RunDate: '2026-06-15T08:00:00.000Z' };
  assert.deepEqual(state.organization.AuditEntries, [expected]);
  assert.deepEqual(state.servers[0]!.AuditEntries, [expected], 'each server collection sees the org change too');
  await advanceLab(dir, 3);
  const ex01 = (await readState(dir)).servers.find((s) => s.Name === 'EX01')!;
  assert.deepEqual(ex01.MitigationsApplied, ['PING1'], 'M2 applicable but not applied');
  const { entries } = await readLogEntries(dir, 'EX01');
  assert.equal(entries.filter((e) => e.message === 'MitigationsEnabled is False at organization level. No mitigation will be applied').length, 3);
  assert.equal(Object.values(cyclesPerDay(entries))[0], 3);
  assert.deepEqual(await readEvents(dir, 'EX01'), []);
});

test('server MitigationsEnabled False stops application on that server only', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'lifecycle' });
  await setLabFault(dir, 'EX01', { kind: 'server-mitigations-enabled', enabled: false });
  await advanceLab(dir, 1);
  const state = await readState(dir);
  assert.deepEqual(state.servers.find((s) => s.Name === 'EX01')!.MitigationsApplied, ['PING1']);
  assert.equal(state.servers.find((s) => s.Name === 'EX01')!.AuditEntries!.at(-1)!.CmdletName, 'Set-ExchangeServer');
  assert.ok(state.servers.find((s) => s.Name === 'EX03')!.MitigationsApplied.includes('M2.1.0'));
  assert.ok((await readLogEntries(dir, 'EX01')).entries.some((e) => e.message === 'MitigationsEnabled is False at server level. No mitigation will be applied'));
});

test('a crash writes the 4999 Watson report, then the service restarts or stays stopped', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', start: new Date('2026-06-15T00:00:00Z') });
  await setLabFault(dir, 'EX01', { kind: 'service-crash', restart: true });
  await setLabFault(dir, 'EX02', { kind: 'service-crash', restart: false });
  await advanceLab(dir, 24);
  const crash = (await readEvents(dir, 'EX01'))[0]!;
  assert.equal(crash.eventId, 4999);
  assert.equal(crash.provider, 'MSExchange Common');
  assert.match(crash.message, /M\.E\.Mitigation\.Service, mscorlib, M\.W\.RegistryKey\.InternalGetValue, System\.OutOfMemoryException/);
  assert.match(crash.message, /System\.OutOfMemoryException/);
  assert.deepEqual((await readEvents(dir, 'EX01')).map((e) => e.eventId), [4999, 1001]);
  const restarted = (await readLogEntries(dir, 'EX01')).entries;
  assert.equal(restarted[0]!.message, 'Started MSExchangeMitigation');
  assert.equal(cyclesPerDay(restarted)['2026-06-15'], 24, 'the restarted service keeps its hourly rhythm');

  assert.deepEqual((await readEvents(dir, 'EX02')).map((e) => e.eventId), [4999]);
  assert.deepEqual(cyclesPerDay((await readLogEntries(dir, 'EX02')).entries), {});
  assert.equal((await readState(dir)).servers.find((s) => s.Name === 'EX02')!.Service!.Status, 'Stopped');
});

test('a fault for an unknown server or without a server is a sentence', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet' });
  await assert.rejects(setLabFault(dir, 'EX99', { kind: 'hung', on: true }), /EX99 is not part of this lab\. Servers: EX01, EX02, EX03\./);
  await assert.rejects(setLabFault(dir, null, { kind: 'service-stopped' }), /give its name/);
});

test('a server event file reads incrementally: records after a RecordId, half lines wait, a replaced file is read again', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', servers: 1 });
  const path = labPaths.events(dir, 'EX01');
  const record = (id: number) => JSON.stringify({ recordId: id, eventId: 1008, level: 'Error', time: '2026-06-15T08:00:00.000Z', machine: 'EX01.contoso.com', provider: 'MSExchange Mitigation Service', message: `m${id}` });
  const ids = Array.from({ length: 2000 }, (_, i) => 1000 + i * 3);
  await writeFile(path, ids.map(record).join('\n') + '\n');
  const after = async (since: number) => (await readServerEvents(dir, 'EX01', since)).map((e) => e.recordId);
  assert.deepEqual(await after(0), ids);
  assert.deepEqual(await after(ids.at(-5)!), ids.slice(-4), 'a recent bookmark');
  assert.deepEqual(await after(ids[10]! + 1), ids.slice(11), 'a bookmark older than the remembered lines: read from the start');
  assert.deepEqual(await after(ids.at(-1)!), []);
  await appendFile(path, `${record(9000)}\n${record(9001).slice(0, 20)}`);
  assert.deepEqual(await after(ids.at(-1)!), [9000], 'the half-written line waits');
  await appendFile(path, `${record(9001).slice(20)}\n`);
  assert.deepEqual(await after(9000), [9001]);
  assert.deepEqual(await after(ids.at(-2)!), [ids.at(-1)!, 9000, 9001]);
  await writeFile(`${path}.new`, `${record(5)}\n${record(6)}\n`);
  await rename(`${path}.new`, path); // replaced: another inode, shorter
  assert.deepEqual(await after(0), [5, 6]);
  assert.deepEqual(await after(5), [6]);
});

test('service-silent: the service reports Running but writes no log line and no event until it resumes or is stopped', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', start: new Date('2026-06-15T00:00:00Z') });
  await advanceLab(dir, 2);
  const before = (await readLogEntries(dir, 'EX01')).entries.length;
  await setLabFault(dir, 'EX01', { kind: 'service-silent', on: true });
  await setLabFault(dir, 'EX02', { kind: 'service-crash', restart: true }); // a neighbour keeps writing
  const result = await advanceLab(dir, 5);
  assert.equal(result.servers.find((r) => r.server === 'EX01')!.cycles, 0);
  assert.equal((await readLogEntries(dir, 'EX01')).entries.length, before, 'no log line at all');
  assert.deepEqual(await readEvents(dir, 'EX01'), [], 'no event at all');
  assert.equal((await readState(dir)).servers.find((s) => s.Name === 'EX01')!.Service!.Status, 'Running');
  assert.equal(summarizeLab(dir).servers.find((s) => s.name === 'EX01')!.faults.silent, true);
  await setLabFault(dir, 'EX01', { kind: 'service-silent', on: false });
  assert.equal((await advanceLab(dir, 2)).servers.find((r) => r.server === 'EX01')!.cycles, 2, 'cycles resume');
  await setLabFault(dir, 'EX01', { kind: 'service-silent', on: true });
  await setLabFault(dir, 'EX01', { kind: 'service-stopped' });
  await setLabFault(dir, 'EX01', { kind: 'service-started' });
  assert.equal((await advanceLab(dir, 1)).servers.find((r) => r.server === 'EX01')!.cycles, 1, 'a restart ends the hang');
});

test('after a service start the first check runs about 10 minutes later, then hourly from there', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', start: new Date('2026-06-15T00:00:00Z') });
  const servers = summarizeLab(dir).servers.map((s) => s.name);
  await advanceLab(dir, 1);
  for (const name of servers) await setLabFault(dir, name, { kind: 'service-stopped' });
  await advanceLab(dir, 2);
  for (const name of servers) await setLabFault(dir, name, { kind: 'service-started' }); // at 03:00
  await advanceLab(dir, 3);
  for (const name of servers) {
    const entries = (await readLogEntries(dir, name)).entries;
    const started = entries.findLast((e) => e.message === 'Started MSExchangeMitigation')!;
    assert.equal(started.time, '2026-06-15T03:00:00.000Z');
    const fetches = entries.filter((e) => e.message.startsWith('Fetching mitigations from') && e.time! > started.time!).map((e) => Date.parse(e.time!));
    assert.equal(fetches.length, 3, name);
    const minutesAfterStart = (fetches[0]! - Date.parse(started.time!)) / 60_000;
    assert.ok(minutesAfterStart >= 10 && minutesAfterStart < 10.5, `${name}: first check ${minutesAfterStart.toFixed(1)} minutes after the start`);
    for (let i = 1; i < fetches.length; i += 1) assert.ok(Math.abs(fetches[i]! - fetches[i - 1]! - 3_600_000) < 1_000, `${name}: then hourly`);
  }
});
