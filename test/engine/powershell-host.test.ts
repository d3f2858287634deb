import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseStepArgs, stepArgsSchemas } from '../../main/core/mitigations/action-steps.js';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { parseStateDocument } from '../../main/core/parsers/state-document.js';
import type { ActionStep } from '../../main/core/ports.js';
import { planOrgReenable, planRemoval } from '../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../main/core/mitigations/staleness.js';
import { settingsSchema, type Settings } from '../../main/engine/settings/settings-schema.js';
import { createPowerShellHost, HostCallError, type PowerShellHostOptions } from '../../main/engine/hosts/powershell-host.js';
import { powershellArgs } from '../../main/engine/hosts/powershell-launch.js';
import { BUNDLED_SCRIPT_HASHES, checkScripts, resolveScriptsDir, SCRIPT_NAMES } from '../../main/engine/hosts/scripts-dir.js';
import { fixture } from '../support/paths.js';
import {
  assertHangTreeGone, ensureStandInExecutable, makeTempDir, receivedCalls, removeDir, standIn,
} from '../fixtures/pshost/stand-in-support.js';

const stateFixture = fixture('pshost', 'state-two-servers.json');
const hostile = ['EX01"; Remove-Item C:\\ -Recurse', '$(Stop-Computer)', 'EX`01', "EX01'", 'EX01;whoami', 'EX01 | calc'];
const dirs: string[] = [];

function settings(extra: Record<string, unknown> = {}): Settings {
  return settingsSchema.parse({
    connection: { mode: 'local', powershellPath: standIn },
    servers: [
      { name: 'EX01', fqdn: 'ex01.contoso.com' },
      { name: 'EX02', logFolder: 'D:\\Exchange\\Logging\\MitigationService' },
    ],
    ...extra,
  });
}

/** A scripts folder for one test: copies of the real bundled scripts, plus the stand-in's control file. */
function scriptsDir(control: unknown): string {
  const dir = makeTempDir(control);
  dirs.push(dir);
  const real = resolveScriptsDir();
  for (const name of readdirSync(real)) copyFileSync(join(real, name), join(dir, name));
  return dir;
}

function host(dir: string, options: Partial<PowerShellHostOptions> = {}) {
  return createPowerShellHost({ settings: settings(), scriptsDir: dir, ...options });
}

function envelopeControl(script: string, envelope: unknown) {
  return { [script]: { mode: 'envelope', envelope } };
}

const removeRuleStep = (name: string): ActionStep => ({
  kind: 'remove-rewrite-rule',
  server: 'EX01',
  args: { name, direction: 'outbound', location: 'Default Web Site/owa', configFile: 'web.config' },
  description: 'Remove the rule',
  powershell: 'Remove-WebConfigurationProperty ...',
});

before(ensureStandInExecutable);
after(() => dirs.forEach(removeDir));

describe('the bundled scripts', () => {
  it('are found from the module, wherever it runs', () => {
    const dir = resolveScriptsDir();
    for (const name of Object.values(SCRIPT_NAMES)) assert.ok(existsSync(join(dir, name)), `${name} is bundled`);
    for (const name of Object.values(SCRIPT_NAMES)) {
      const text = readFileSync(join(dir, name), 'utf8');
      assert.match(text, /RUN HERE under PowerShell 7\.6\.10[\s\S]*NOT RUN by the tests\s+# on Windows PowerShell 5\.1/, `${name} says where it was run and where not`);
      assert.doesNotMatch(text, /Invoke-Expression|\biex\b/i, `${name} never evaluates text as code`);
    }
  });

  it('run-step.ps1 reads exactly the argument keys of the step contract (main/core/action-steps.ts)', () => {
    const text = readFileSync(join(resolveScriptsDir(), SCRIPT_NAMES.run), 'utf8');
    const read = new Set([...text.matchAll(/Get-EemsField \$(?:a|Step\.args) '([A-Za-z]+)'/g)].map((m) => m[1]!));
    assert.doesNotMatch(text, /(?:\.args|\$a)\.[A-Za-z]/, 'args are read through Get-EemsField (strict mode: an absent key is $null, not an error)');
    const contract = new Set(Object.values(stepArgsSchemas).flatMap((schema) => Object.keys(schema.shape)));
    assert.deepEqual([...read].filter((key) => !contract.has(key)), [], 'no key outside the contract');
    assert.deepEqual([...contract].filter((key) => !read.has(key)), [], 'every key of the contract is read');
  });
});

describe('PowerShell host: collect', () => {
  it('returns the state document and starts only the fixed script with fixed flags', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const doc = await host(dir).collect({ servers: ['EX01', 'EX02'] });
    assert.deepEqual(doc.servers.map((s) => s.Name), ['EX01', 'EX02']);
    assert.equal(doc.organization.MitigationsEnabled, true);
    assert.deepEqual(doc.servers[0]?.MitigationsApplied, ['PING1', 'M2.1.0']);
    assert.equal(doc.servers[0]?.ExSetupVersion, '15.02.1748.046');
    assert.equal(doc.servers[0]?.RewriteRules[0]?.Name, 'EEMS M2.1 OWA CSP - outbound');
    assert.deepEqual(doc.servers[1]?.MitigationsApplied, [], 'a null MitigationsApplied reads as empty');
    assert.equal(doc.servers[1]?.Service?.Status, 'Stopped');
    assert.ok(doc.servers.every((s) => s.Error === null));

    const [call] = receivedCalls(dir);
    assert.deepEqual(call?.argv, powershellArgs(join(dir, 'collect-state.ps1')));
    assert.deepEqual(call?.argv, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', join(dir, 'collect-state.ps1')]);
    const request = JSON.parse(call!.stdin);
    assert.deepEqual(request.servers, ['EX01', 'EX02']);
    assert.equal(request.mode, 'local');
  });

  it('sends the remote endpoint and authentication as data in remote mode', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const remote = createPowerShellHost({
      settings: settings({ connection: { mode: 'remote', powershellPath: standIn, authentication: 'Kerberos' } }),
      scriptsDir: dir,
    });
    await remote.collect({ servers: ['EX01', 'EX02'] });
    const request = JSON.parse(receivedCalls(dir)[0]!.stdin);
    assert.equal(request.mode, 'remote');
    assert.equal(request.connectionUri, 'http://ex01.contoso.com/PowerShell/');
    assert.deepEqual(request.connectionUris, ['http://ex01.contoso.com/PowerShell/', 'http://EX02/PowerShell/']);
    assert.equal(request.authentication, 'Kerberos');
  });

  it('marks a requested server the script left out', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const doc = await host(dir).collect({ servers: ['EX01', 'EX03'] });
    assert.equal(doc.servers[0]?.Error, null);
    assert.match(doc.servers[1]?.Error ?? '', /^EX03: the collection script returned nothing for this server/);
  });

  it('turns garbage output into a sentence with the first 200 characters, for every server', async () => {
    const garbage = `Add-PSSnapin : No snap-ins have been registered for Windows PowerShell version 5.\r\n${'x'.repeat(400)}`;
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'raw', stdout: garbage } });
    const doc = await host(dir).collect({ servers: ['EX01', 'EX02'] });
    for (const server of doc.servers) {
      const error = server.Error ?? '';
      assert.ok(error.startsWith(`${server.Name}: the collection script returned output that is not the expected JSON (first 200 characters: Add-PSSnapin : No snap-ins`));
      assert.match(error, /collect-state\.ps1 by hand in the Exchange Management Shell to see its errors\.$/);
      assert.doesNotMatch(error, /x{201}/, 'no more than 200 characters are quoted');
    }
  });

  it('treats a truncated envelope as unreadable', async () => {
    const full = JSON.stringify({ ok: true, result: JSON.parse(readFileSync(stateFixture, 'utf8')) });
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'raw', stdout: full.slice(0, Math.floor(full.length / 2)) } });
    const doc = await host(dir).collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /not the expected JSON \(first 200 characters: \{"ok":true/);
  });

  it('finds the envelope after warning lines PowerShell printed first', async () => {
    const envelope = JSON.stringify({ ok: true, result: JSON.parse(readFileSync(stateFixture, 'utf8')) });
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'raw', stdout: `WARNING: The names of some imported commands include unapproved verbs.\r\n${envelope}\r\n` } });
    const doc = await host(dir).collect({ servers: ['EX01'] });
    assert.equal(doc.servers[0]?.Error, null);
  });

  it('keeps the good servers when one server fails the schema', async () => {
    const doc0 = JSON.parse(readFileSync(stateFixture, 'utf8'));
    doc0.servers[0].MitigationsApplied = [5];
    const dir = scriptsDir(envelopeControl('collect-state.ps1', { ok: true, result: doc0 }));
    const doc = await host(dir).collect({ servers: ['EX01', 'EX02'] });
    assert.match(doc.servers[0]?.Error ?? '', /^EX01: the collection script returned data for this server that is not valid \(.*MitigationsApplied\[0\]/);
    assert.equal(doc.servers[1]?.Error, null);
    assert.equal(doc.organization.MitigationsEnabled, true);
  });

  it("passes the script's own error on to every server", async () => {
    const error = 'No Exchange PowerShell session could be opened: http://ex01.contoso.com/PowerShell/ (Access is denied).';
    const dir = scriptsDir(envelopeControl('collect-state.ps1', { ok: false, error }));
    const doc = await host(dir).collect({ servers: ['EX01', 'EX02'] });
    for (const server of doc.servers) assert.equal(server.Error, `${server.Name}: The collection script reported: ${error}`);
  });

  it('stops a flood of output and says so', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'huge', bytes: 50 * 1024 * 1024 } });
    const doc = await host(dir).collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /printed more than 16 MB and was stopped/);
    assert.equal(existsSync(join(dir, 'huge-finished.txt')), false);
  });

  it("shows stderr's first line when PowerShell exits non-zero", async () => {
    const stderr = 'Add-PSSnapin : The Windows PowerShell snap-in is not installed on this computer.\r\nAt C:\\x.ps1:12 char:5\r\n';
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'exit', exitCode: 1, stderr } });
    const doc = await host(dir).collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /exit code 1: Add-PSSnapin : The Windows PowerShell snap-in is not installed on this computer\. Run .*collect-state\.ps1 by hand/);
    assert.doesNotMatch(doc.servers[0]?.Error ?? '', /char:5/);
  });

  it('kills a hung script and its grandchild at the time-out, and marks every server', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'hang' } });
    const doc = await host(dir, { timeoutMs: 2_000 }).collect({ servers: ['EX01', 'EX02'] });
    for (const server of doc.servers) assert.match(server.Error ?? '', /did not finish within 2 seconds and was stopped.*Test-WSMan/);
    await assertHangTreeGone(dir);
  });

  it('ends a running script at once when the engine abandons the call (stop), and marks every server', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'hang' } });
    const controller = new AbortController();
    const pending = host(dir, { timeoutMs: 60_000 }).collect({ servers: ['EX01', 'EX02'] }, { signal: controller.signal });
    // Abort once the stand-in has started its grandchild (it records both pids).
    for (let waited = 0; !existsSync(join(dir, 'hang-pids.json')) && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const doc = await pending;
    for (const server of doc.servers) assert.match(server.Error ?? '', /was stopped because EEMS Watch is shutting down/);
    await assertHangTreeGone(dir);
  });

  it('says how to fix a wrong powershellPath', async () => {
    const dir = scriptsDir({});
    const broken = createPowerShellHost({
      settings: settings({ connection: { mode: 'local', powershellPath: join(dir, 'missing-powershell.exe') } }),
      scriptsDir: dir,
    });
    const doc = await broken.collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /could not be started \(ENOENT.*Check connection\.powershellPath/);
  });

  it('refuses hostile server names before anything is started', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const doc = await host(dir).collect({ servers: hostile });
    assert.equal(receivedCalls(dir).length, 0, 'nothing was started');
    assert.deepEqual(doc.servers.map((s) => s.Name), hostile);
    for (const server of doc.servers) assert.match(server.Error ?? '', /was refused before anything ran/);
  });

  it('collects the good names and never sends a hostile one', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const doc = await host(dir).collect({ servers: ['EX01', ...hostile] });
    const [call] = receivedCalls(dir);
    assert.deepEqual(JSON.parse(call!.stdin).servers, ['EX01']);
    for (const bad of hostile) assert.ok(!call!.stdin.includes(bad) && !call!.argv.some((a) => a.includes(bad)));
    assert.equal(doc.servers[0]?.Error, null);
    assert.equal(doc.servers.length, 1 + hostile.length);
  });

  it('reports a missing bundled script without starting anything', async () => {
    const dir = makeTempDir({});
    dirs.push(dir);
    const doc = await host(dir).collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /collect-state\.ps1 is missing, so nothing was run\. Reinstall EEMS Watch\./);
    assert.equal(receivedCalls(dir).length, 0);
  });
});

describe('PowerShell host: events', () => {
  const events = [
    { recordId: 12, eventId: 1008, level: 2, time: '2026-11-27T09:00:00.000Z', machine: 'ex01.contoso.com', provider: 'MSExchange Mitigation Service', message: 'An unexpected exception occurred.', data: ['x', ''] },
    { recordId: 11, eventId: 1005, level: 4, time: '2026-11-27T08:00:00.000Z', machine: 'ex01.contoso.com', provider: 'MSExchange Mitigation Service', message: null, data: [] },
    { recordId: 10, eventId: 1006, level: 0, time: '2026-11-27T07:00:00.000Z', machine: 'ex01.contoso.com', provider: 'MSExchange Mitigation Service', message: 'old' },
  ];

  it('returns records above the bookmark, oldest first, with levels named', async () => {
    const dir = scriptsDir(envelopeControl('read-events.ps1', { ok: true, result: events }));
    const got = await host(dir).events('EX01', 10);
    assert.deepEqual(got.map((e) => e.recordId), [11, 12]);
    assert.deepEqual(got.map((e) => e.level), ['Information', 'Error']);
    assert.equal(got[0]?.message, '');
    assert.deepEqual(got[1]?.data, ['x', '']);
    const request = JSON.parse(receivedCalls(dir)[0]!.stdin);
    assert.equal(request.sinceRecordId, 10);
    assert.equal(request.computerName, 'ex01.contoso.com');
    assert.equal(request.options.eventSource, 'per-server');
  });

  it('accepts one event unwrapped from its list', async () => {
    const dir = scriptsDir(envelopeControl('read-events.ps1', { ok: true, result: events[0] }));
    assert.deepEqual((await host(dir).events('EX01', 0)).map((e) => e.recordId), [12]);
  });

  it('asks the forwarding collector when events come from one', async () => {
    const dir = scriptsDir(envelopeControl('read-events.ps1', { ok: true, result: [] }));
    const forwarded = createPowerShellHost({
      settings: settings({ events: { source: 'forwarded', collector: 'WEC01' } }),
      scriptsDir: dir,
    });
    assert.deepEqual(await forwarded.events('EX01', 0), []);
    const request = JSON.parse(receivedCalls(dir)[0]!.stdin);
    assert.equal(request.options.eventSource, 'forwarded');
    assert.equal(request.options.collector, 'WEC01');
  });

  it('fails with a sentence on output that is not the envelope or not events', async () => {
    const garbage = scriptsDir({ 'read-events.ps1': { mode: 'raw', stdout: 'Get-WinEvent : The RPC server is unavailable' } });
    await assert.rejects(host(garbage).events('EX01', 0), (error: unknown) => {
      assert.ok(error instanceof HostCallError);
      assert.equal(error.kind, 'unreadable');
      assert.match(error.message, /^EX01: the event script returned output that is not the expected JSON \(first 200 characters: Get-WinEvent : The RPC server is unavailable\)/);
      return true;
    });
    const wrong = scriptsDir(envelopeControl('read-events.ps1', { ok: true, result: [{ recordId: 'twelve' }] }));
    await assert.rejects(host(wrong).events('EX01', 0), /EX01: the event script returned events that do not have the expected fields \(result\[0\]\.recordId/);
  });

  it('refuses a hostile server name or a bad bookmark before anything is started', async () => {
    const dir = scriptsDir(envelopeControl('read-events.ps1', { ok: true, result: [] }));
    for (const bad of hostile) await assert.rejects(host(dir).events(bad, 0), /was refused before anything ran/);
    await assert.rejects(host(dir).events('EX01', -1), /is not a record number/);
    await assert.rejects(host(dir).events('EX01', 1.5), /is not a record number/);
    assert.equal(receivedCalls(dir).length, 0);
  });
});

describe('PowerShell host: run', () => {
  const done = { ok: true, result: { ok: true, changed: true, message: 'Removed the rule.' } };

  it('passes a rule name with quotes, semicolons, $() and backticks as data on stdin only', async () => {
    const name = 'EEMS M2.1 "OWA"; $(Remove-Item C:\\ -Recurse) `whoami` \'x\' | calc & é';
    const dir = scriptsDir(envelopeControl('run-step.ps1', done));
    const result = await host(dir).run(removeRuleStep(name));
    assert.deepEqual(result, { ok: true, changed: true, message: 'Removed the rule.' });
    const [call] = receivedCalls(dir);
    assert.deepEqual(call?.argv, powershellArgs(join(dir, 'run-step.ps1')));
    assert.ok(!call!.argv.some((a) => a.includes('EEMS') || a.includes('$(')), 'argv never carries the data');
    const request = JSON.parse(call!.stdin);
    assert.equal(request.step.args.name, name, 'the name arrives byte for byte');
    assert.equal(request.step.kind, 'remove-rewrite-rule');
    assert.equal(request.computerName, 'ex01.contoso.com');
    assert.match(call!.stdin, /^[\x20-\x7e]*$/, 'stdin is plain ASCII whatever the code page');
  });

  it('refuses a hostile mitigation ID or server before anything is started', async () => {
    const dir = scriptsDir(envelopeControl('run-step.ps1', done));
    const block = (ids: string[], server = 'EX01'): ActionStep => ({
      kind: 'block-mitigation', server, args: { mitigation: 'M2', mitigationsBlocked: ids }, description: 'Block M2', powershell: 'Set-ExchangeServer ...',
    });
    const byId = await host(dir).run(block(['M2', 'M2.1$(calc)']));
    assert.equal(byId.ok, false);
    assert.equal(byId.changed, false);
    assert.match(byId.message, /^The step "Block M2" was refused before anything ran: args\.mitigationsBlocked\[1\]: must be a mitigation ID/);
    for (const bad of hostile) assert.match((await host(dir).run(block(['M2'], bad))).message, /was refused before anything ran/);
    const variant = await host(dir).run({ ...block(['M2']), args: { identity: 'EX01', family: 'M2', mitigationsBlocked: ['M2'] } });
    assert.match(variant.message, /was refused before anything ran: args: "identity", "family" are not arguments of block-mitigation\. Nothing was changed/);
    const unknownKind = await host(dir).run({ ...block(['M2']), kind: 'format-disk' as ActionStep['kind'] });
    assert.match(unknownKind.message, /is not one EEMS Watch knows/);
    assert.equal(receivedCalls(dir).length, 0);
  });

  it('sends an organisation step without a server', async () => {
    const dir = scriptsDir(envelopeControl('run-step.ps1', { ok: true, result: { ok: true, changed: false, message: 'Already True.' } }));
    const result = await host(dir).run({ kind: 'set-org-mitigations-enabled', server: null, args: { enabled: true }, description: 'Re-enable', powershell: 'Set-OrganizationConfig -MitigationsEnabled $true' });
    assert.deepEqual(result, { ok: true, changed: false, message: 'Already True.' });
    const request = JSON.parse(receivedCalls(dir)[0]!.stdin);
    assert.deepEqual(request.step, { kind: 'set-org-mitigations-enabled', server: null, args: { enabled: true } });
  });

  it('receives exactly the canonical args of a real removal plan and of the re-enable plan on stdin', async () => {
    const kb = defaultKnowledgeBase();
    const parsed = parseStateDocument(JSON.parse(readFileSync(fixture('kb', 'contracts-example.json'), 'utf8')));
    assert.ok(parsed.ok);
    const ex01 = { ...parsed.value.servers[0]!, ExSetupVersion: '15.02.1748.048' }; // M2's removableFrom (Jul26SU)
    const verdict = judgeServer(ex01, kb).find((v) => v.verdict === 'stale-applied')!;
    const removal = planRemoval(ex01, verdict, kb);
    assert.ok(removal.ok, removal.ok ? '' : removal.error);
    const steps = [...removal.plan.steps, ...planOrgReenable().steps];
    assert.deepEqual(steps.map((s) => s.kind), ['backup-config', 'block-mitigation', 'remove-rewrite-rule', 'verify', 'set-org-mitigations-enabled', 'verify']);
    const dir = scriptsDir(envelopeControl('run-step.ps1', done));
    for (const step of steps) {
      const result = await host(dir).run(step);
      assert.ok(result.ok, `${step.kind}: ${result.message}`);
    }
    const received = receivedCalls(dir).map((c) => JSON.parse(c.stdin) as { step: unknown; computerName: string | null });
    assert.equal(received.length, steps.length, 'every step reached the script');
    received.forEach((request, i) => {
      const step = steps[i]!;
      assert.deepEqual(request.step, { kind: step.kind, server: step.server, args: step.args }, `${step.kind}: the args arrive as the plan wrote them`);
      assert.ok(parseStepArgs(request.step as ActionStep).ok);
      assert.equal(request.computerName, step.server ? 'ex01.contoso.com' : null);
    });
    const blockArgs = received[1]!.step as { args: Record<string, unknown> };
    assert.deepEqual(blockArgs.args, { mitigation: 'M2', mitigationsBlocked: ['M2', 'M2.1.0'] }); // K9: the family and the applied ID
    const verifyArgs = received[5]!.step as { server: string | null; args: Record<string, unknown> };
    assert.deepEqual([verifyArgs.server, verifyArgs.args], [null, { orgMitigationsEnabled: true }]);
  });

  it('reports a result without the expected fields, and a failed script, as not ok', async () => {
    const odd = scriptsDir(envelopeControl('run-step.ps1', { ok: true, result: { changed: 'yes' } }));
    const oddResult = await host(odd).run(removeRuleStep('EEMS M2.1 OWA CSP - outbound'));
    assert.equal(oddResult.ok, false);
    assert.match(oddResult.message, /without the expected fields .*whether it changed anything is unknown/);
    const failed = scriptsDir(envelopeControl('run-step.ps1', { ok: false, error: 'The step failed: Access is denied.' }));
    const failedResult = await host(failed).run(removeRuleStep('EEMS M2.1 OWA CSP - outbound'));
    assert.equal(failedResult.ok, false);
    assert.match(failedResult.message, /^The step script reported: The step failed: Access is denied\./);
  });

  it('returns the backup path of backup-config', async () => {
    const dir = scriptsDir(envelopeControl('run-step.ps1', { ok: true, result: { ok: true, changed: true, message: 'Copied.', backupPath: 'C:\\x\\web.config.20261127-100000.bak' } }));
    const result = await host(dir).run({ kind: 'backup-config', server: 'EX01', args: { location: 'Default Web Site/owa', configFile: 'web.config' }, description: 'Back up web.config', powershell: 'Copy-Item ...' });
    assert.equal(result.backupPath, 'C:\\x\\web.config.20261127-100000.bak');
  });
});

describe('PowerShell host: logLocation', () => {
  it('uses the configured folder, else the default admin share', () => {
    const h = createPowerShellHost({ settings: settings(), scriptsDir: scriptsDir({}) });
    assert.deepEqual(h.logLocation('EX02'), { server: 'EX02', folder: 'D:\\Exchange\\Logging\\MitigationService' });
    assert.equal(h.logLocation('EX01')?.folder, '\\\\ex01.contoso.com\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\MitigationService');
    assert.equal(h.logLocation('EX09')?.folder, '\\\\EX09\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\MitigationService');
    assert.equal(h.logLocation('EX01;calc'), null);
  });
});

describe('PowerShell host: the bundled scripts are the ones shipped (issue 14.10)', () => {
  it('the compiled hash list matches every bundled script (run npm run hash-scripts after a change)', () => {
    const real = resolveScriptsDir();
    const onDisk = readdirSync(real).filter((f) => f.endsWith('.ps1')).sort();
    assert.deepEqual(Object.keys(BUNDLED_SCRIPT_HASHES).sort(), onDisk);
    for (const name of onDisk) assert.equal(BUNDLED_SCRIPT_HASHES[name], createHash('sha256').update(readFileSync(join(real, name))).digest('hex'), name);
    assert.equal(checkScripts(real), null);
  });

  it('a script changed after installation is never run: every call refuses with the file named', async () => {
    const dir = scriptsDir({ 'collect-state.ps1': { mode: 'state', stateFile: stateFixture } });
    const unchanged = await host(dir, { scriptHashes: BUNDLED_SCRIPT_HASHES }).collect({ servers: ['EX01'] });
    assert.equal(unchanged.servers[0]?.Error, null, 'unchanged copies run');
    const before = receivedCalls(dir).length;
    appendFileSync(join(dir, 'run-step.ps1'), '\nStart-Process calc.exe\n');
    const doc = await host(dir, { scriptHashes: BUNDLED_SCRIPT_HASHES }).collect({ servers: ['EX01'] });
    assert.match(doc.servers[0]?.Error ?? '', /not the ones this version of EEMS Watch shipped \(run-step\.ps1\), so nothing was run on any server\. Reinstall EEMS Watch/);
    assert.equal(receivedCalls(dir).length, before, 'no PowerShell process was started');
  });
});
