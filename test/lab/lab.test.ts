import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { advanceLab, initLab, labPaths, setLabFault, summarizeLab } from '../../main/lab/index.js';
import type { LabStateDocument } from '../../main/lab/lab-types.js';
import { cyclesPerDay, readEvents, readLogEntries, readLogFiles, tempDir } from './lab-support.js';

const DAY_START = new Date('2026-06-15T00:00:00Z');
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,EX01,(Startup|Shutdown|FetchMitigation|DiagnosticData|ParseMitigation|ApplyMitigation|UpdateAD),'?S:LogLevel=(Information|Warning|Error);'?S:Message=/;

async function readState(dir: string): Promise<LabStateDocument> {
  return JSON.parse(await readFile(labPaths.state(dir), 'utf8')) as LabStateDocument;
}

test('a healthy server writes 24 fetch cycles a day in the real log format, one file per UTC day', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', start: DAY_START });
  const result = await advanceLab(dir, 48);
  assert.equal(result.now.toISOString(), '2026-06-17T00:00:00.000Z');

  const files = await readLogFiles(dir, 'EX01');
  assert.deepEqual(files.map((f) => f.name), ['Mitigation-Service_20260615.log', 'Mitigation-Service_20260616.log']);
  for (const file of files) {
    assert.ok(file.text.endsWith('\r\n'), 'Exchange logs end lines with CRLF');
    const lines = file.text.split('\r\n').filter(Boolean);
    assert.deepEqual(lines.slice(0, 3), ['#Software: Microsoft Exchange Server', '#Version: 15.02.1748.046', '#Log-type: Mitigation Service Log']);
    assert.match(lines[3]!, /^#Date: 2026-06-1[56]T00:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(lines[4], '#Fields: DateTime,ServerName,Component,CustomData');
    for (const line of lines.slice(5)) assert.match(line, LINE);
  }
  const { entries, skipped } = await readLogEntries(dir, 'EX01');
  assert.equal(skipped, 0);
  assert.deepEqual(cyclesPerDay(entries), { '2026-06-15': 24, '2026-06-16': 24 });
  const hours = new Set(entries.filter((e) => e.message.startsWith('Fetching')).map((e) => e.time!.slice(0, 13)));
  assert.equal(hours.size, 48, 'one cycle in every hour');
  assert.ok(entries.every((e) => e.server === 'EX01' && e.level === 'Information'));
  assert.ok(entries.some((e) => e.message === 'Mitigation XML received and signature validated. Configs: PING1,M2'));
  // PING1 was applied before the lab started: a quiet server changes nothing, so no event.
  assert.deepEqual(await readEvents(dir, 'EX01'), []);
});

test('no cycle after the service stops: a Shutdown line, a 1002 event, and silence', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'quiet', start: DAY_START });
  await advanceLab(dir, 10);
  await setLabFault(dir, 'EX02', { kind: 'service-stopped' });
  await advanceLab(dir, 14);
  const { entries } = await readLogEntries(dir, 'EX02');
  assert.deepEqual(cyclesPerDay(entries), { '2026-06-15': 10 });
  assert.equal(entries.at(-1)!.message, 'Stopped MSExchangeMitigation');
  assert.equal(entries.at(-1)!.time, '2026-06-15T10:00:00.000Z');
  const events = await readEvents(dir, 'EX02');
  assert.deepEqual(events.map((e) => e.eventId), [1002]);
  assert.equal((await readState(dir)).servers.find((s) => s.Name === 'EX02')!.Service!.Status, 'Stopped');
  assert.deepEqual(cyclesPerDay((await readLogEntries(dir, 'EX01')).entries), { '2026-06-15': 24 }, 'the other servers go on');
});

test('events carry strictly increasing RecordIds per server, oldest first', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'faults' });
  await advanceLab(dir, 30);
  for (const server of ['EX-TLS', 'EX-NET']) {
    const events = await readEvents(dir, server);
    assert.equal(events.length, 30, 'one 1008 an hour while the fault lasts');
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i]!.recordId > events[i - 1]!.recordId);
      assert.ok(events[i]!.time > events[i - 1]!.time);
    }
    assert.ok(events.every((e) => e.eventId === 1008 && e.level === 'Error' && e.provider === 'MSExchange Mitigation Service'));
    assert.equal(events[0]!.machine, `${server}.contoso.com`);
  }
});

test('the demo scenario holds exactly the promised servers and conditions', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir);
  const state = await readState(dir);
  assert.equal(state.organization.MitigationsEnabled, false);
  const audit = state.organization.AuditEntries![0]!;
  assert.equal(audit.CmdletName, 'Set-OrganizationConfig');
  assert.deepEqual(audit.Parameters, { MitigationsEnabled: 'False' });
  assert.match(audit.Caller, /Jordan Reyes/);
  assert.ok(audit.RunDate < state.collectedAt);
  const by = (name: string) => state.servers.find((s) => s.Name === name)!;
  assert.deepEqual(state.servers.map((s) => s.Name), ['EX01', 'EX02', 'EX03', 'EX04', 'EX05', 'EX06', 'EX07', 'EX16-LEGACY']);
  const m2Rules = ['EEMS M2.1 OWA CSP - outbound', 'EEMS M2.1 OWA SPA HTML shell - precondition'];
  // orphan-artefact: fixed build, M2 gone from MitigationsApplied, both rules still in owa/web.config
  assert.equal(by('EX01').ExSetupVersion, '15.02.1748.048');
  assert.deepEqual(by('EX01').MitigationsApplied, ['PING1']);
  assert.deepEqual(by('EX01').RewriteRules.map((r) => r.Name), m2Rules);
  assert.ok(by('EX01').RewriteRules.every((r) => r.Location === 'Default Web Site/owa' && r.ConfigFile === 'web.config'));
  // active: below the fix, applied
  assert.equal(by('EX02').ExSetupVersion, '15.02.1748.043');
  assert.deepEqual(by('EX02').MitigationsApplied, ['PING1', 'M2.1.0']);
  // stale-applied: SE on the fixed build, still applied
  assert.equal(by('EX03').ExSetupVersion, '15.02.2562.045');
  assert.ok(by('EX03').MitigationsApplied.includes('M2.1.0'));
  assert.equal(by('EX05').Service!.Status, 'Stopped');
  // active although fixed: Jun26SU, M2 applied (K1: keep until Jul26SU)
  assert.equal(by('EX06').ExSetupVersion, '15.02.1748.046');
  assert.deepEqual(by('EX06').MitigationsApplied, ['PING1', 'M2.1.0']);
  // applied by EOMT (K7): EOMT's two rules on a Jul26SU build, M2 never in MitigationsApplied
  assert.equal(by('EX07').ExSetupVersion, '15.02.1544.043');
  assert.deepEqual(by('EX07').MitigationsApplied, ['PING1']);
  assert.deepEqual(by('EX07').RewriteRules.map((r) => [r.Name, r.PreCondition]), [
    ['EOMT OWA CSP - outbound', 'EOMT OWA SPA HTML shell - precondition'],
    ['EOMT OWA SPA HTML shell - precondition', null],
  ]);
  assert.match(by('EX16-LEGACY').AdminDisplayVersion!, /^Version 15\.1 /);
  assert.equal(summarizeLab(dir).servers.find((s) => s.name === 'EX16-LEGACY')!.faults.fetch, 'signing-cert');

  await advanceLab(dir, 2);
  const { entries } = await readLogEntries(dir, 'EX16-LEGACY');
  const error = entries.find((e) => e.level === 'Error')!;
  assert.equal(error.message, "Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft");
  assert.equal(error.source, 'Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine');
  assert.ok(entries.some((e) => e.message === 'Using Proxy http://10.0.0.10:8080/ To Fetch Configurations'));
  assert.ok((await readLogEntries(dir, 'EX02')).entries.some((e) => e.message === 'MitigationsEnabled is False at organization level. No mitigation will be applied'));
  // The hourly cycles keep M2 on the Jun26SU server and leave EOMT's rules alone.
  const after = await readState(dir);
  assert.deepEqual(after.servers.find((s) => s.Name === 'EX06')!.MitigationsApplied, ['PING1', 'M2.1.0']);
  assert.equal(after.servers.find((s) => s.Name === 'EX07')!.RewriteRules.length, 2);
});

test('the demo timeline: EX04 gets the Jul26SU at hour 30, EEMS drops M2.1.0, the rules stay (orphan)', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir);
  await advanceLab(dir, 30);
  assert.ok((await readState(dir)).servers.find((s) => s.Name === 'EX04')!.MitigationsApplied.includes('M2.1.0'));
  const result = await advanceLab(dir, 1);
  assert.ok(result.servers.find((r) => r.server === 'EX04')!.happened.some((h) => /Jul26SU installed \(15\.2\.1544\.43\)/.test(h)));
  const ex04 = (await readState(dir)).servers.find((s) => s.Name === 'EX04')!;
  assert.equal(ex04.ExSetupVersion, '15.02.1544.043');
  assert.deepEqual(ex04.MitigationsApplied, ['PING1']);
  assert.equal(ex04.RewriteRules.length, 2);
  const events = await readEvents(dir, 'EX04');
  assert.equal(events.at(-1)!.eventId, 1006);
  assert.equal(events.at(-1)!.message, 'Mitigations applied on this server: PING1. Mitigations blocked on this server: (none).');
  const update = (await readLogEntries(dir, 'EX04')).entries.find((e) => e.operation === 'UpdateAD')!;
  assert.equal(update.message, 'MitigationsApplied updated to PING1');
});

test('lifecycle: M2 applied at the first cycle (1005, 1006, rules written), orphaned after the update', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await initLab(dir, { scenario: 'lifecycle' });
  await advanceLab(dir, 1);
  let ex01 = (await readState(dir)).servers.find((s) => s.Name === 'EX01')!;
  assert.deepEqual(ex01.MitigationsApplied, ['PING1', 'M2.1.0']);
  assert.equal(ex01.RewriteRules.length, 2);
  const events = await readEvents(dir, 'EX01');
  assert.deepEqual(events.map((e) => e.eventId), [1005, 1006]);
  assert.match(events[0]!.message, /^Mitigation M2\.1\.0 was applied successfully\./);
  const messages = (await readLogEntries(dir, 'EX01')).entries.map((e) => e.message);
  assert.ok(messages.includes('Applying mitigation M2.1.0 action IISUrlRewriteOutbound on Default Web Site/owa'));
  assert.ok(messages.includes('MitigationsApplied updated to PING1,M2.1.0'));
  assert.equal((await readEvents(dir, 'EX02')).length, 0, 'EX02 is fixed: nothing to apply');

  await advanceLab(dir, 40);
  ex01 = (await readState(dir)).servers.find((s) => s.Name === 'EX01')!;
  assert.deepEqual(ex01.MitigationsApplied, ['PING1']);
  assert.equal(ex01.RewriteRules.length, 2);
  assert.equal((await readEvents(dir, 'EX01')).length, 3, 'applied, summary, then one summary when dropped: nothing twice');
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out[relative(dir, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

test('deterministic: the same scenario and hours give the same files, in one advance or in several', async (t) => {
  const a = await tempDir();
  const b = await tempDir();
  t.after(a.cleanup);
  t.after(b.cleanup);
  await initLab(join(a.dir, 'lab'));
  await initLab(join(b.dir, 'lab'));
  await advanceLab(join(a.dir, 'lab'), 80);
  await advanceLab(join(b.dir, 'lab'), 25);
  await advanceLab(join(b.dir, 'lab'), 55);
  const left = await snapshot(join(a.dir, 'lab'));
  const right = await snapshot(join(b.dir, 'lab'));
  assert.deepEqual(Object.keys(left).sort(), Object.keys(right).sort());
  for (const key of Object.keys(left)) assert.equal(left[key], right[key], key);
  assert.ok(Object.keys(left).length > 20);
});

test('init refuses an unknown scenario (listing the known ones) and a folder in use', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await assert.rejects(initLab(join(dir, 'x'), { scenario: 'nope' }), /Unknown scenario 'nope'\. Known scenarios: demo, quiet, lifecycle, faults, large\./);
  await writeFile(join(dir, 'notes.txt'), 'mine');
  await assert.rejects(initLab(dir), /is not empty/);
  await assert.rejects(advanceLab(join(dir, 'none'), 1), /is not a lab folder/);
  await initLab(join(dir, 'big'), { scenario: 'large', servers: 40 });
  assert.equal(summarizeLab(join(dir, 'big')).servers.length, 40);
});
