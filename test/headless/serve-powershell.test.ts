/**
 * `eems-watch serve --host powershell`: the demo read through the production PowerShell host, pwsh
 * 7.6.10 and the bundled scripts against the simulated Exchange (main/lab/powershell-sim). What the
 * admin sees must be what the lab host shows for the same organisation, and a removal made in this
 * mode must go through run-step.ps1 and change the lab's real web.config.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiService, Overview, PlanView } from '../../main/api/eems-api.js';
import { startServe } from '../../main/headless/start-serve.js';
import { main } from '../../main/cli/main.js';
import { initLab } from '../../main/lab/index.js';
import { assertPwsh } from '../support/sim-exchange/sim-host.js';
import { callOk, labServer, startLabStack, type LabStack } from './support/serve-lab.js';

let stack: LabStack;
let api: ApiService;
let calls: string;

/** What the servers view shows of a server, without the times of the poll that read it. */
function shown(overview: Overview) {
  return overview.servers.map((s) => ({
    name: s.name,
    build: s.build.label,
    effective: s.effective,
    service: s.service,
    status: s.status,
    statusText: s.statusText,
    error: s.error,
    applied: s.applied,
    blocked: s.blocked,
    verdicts: s.mitigations.map((m) => `${m.id}:${m.verdict}`).sort(),
  }));
}

before(async () => {
  assertPwsh();
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-ps-calls-'));
  calls = join(root, 'calls.log');
  // The simulated cmdlets append one line per call here: proof the scripts, not the lab host, ran.
  process.env.EEMS_SIM_CALLS = calls;
  stack = await startLabStack({ hours: 34, labReader: 'powershell' });
  api = stack.running.service;
});
after(async () => {
  delete process.env.EEMS_SIM_CALLS;
  await stack?.close();
});

test('the demo read through PowerShell shows every server exactly as the lab host does', async () => {
  const throughScripts = await callOk<Overview>(api, 'getOverview', {});
  const log = readFileSync(calls, 'utf8');
  assert.match(log, /Get-ExchangeServer/, 'collect-state.ps1 called the simulated Get-ExchangeServer');
  assert.match(log, /Get-WinEvent/, 'read-events.ps1 called the simulated Get-WinEvent');
  assert.ok(throughScripts.servers.length >= 6, 'the demo has its servers');
  assert.ok(throughScripts.servers.every((s) => s.error === null), JSON.stringify(throughScripts.servers.map((s) => s.error)));

  // The same lab through the lab host, in its own data folder.
  const dataDir = await mkdtemp(join(tmpdir(), 'eems-serve-ps-lab-'));
  const viaLab = await startServe({ lab: stack.labDir, dataDir, port: 0, notifications: false, labHourSeconds: 0 });
  try {
    await viaLab.engine.pollNow();
    const direct = await callOk<Overview>(viaLab.service, 'getOverview', {});
    assert.deepEqual(shown(throughScripts), shown(direct));
    assert.equal(throughScripts.organization.MitigationsEnabled, direct.organization.MitigationsEnabled);
  } finally {
    await viaLab.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a removal confirmed in this mode runs through run-step.ps1 and edits the lab server\'s real web.config', async () => {
  const plan = await callOk<PlanView>(api, 'planRemoval', { server: 'EX01', mitigation: 'M2' });
  const before = readFileSync(calls, 'utf8').length;
  const done = await callOk<PlanView>(api, 'runPlan', { planId: plan.id, confirm: true });
  assert.equal(done.state, 'succeeded', JSON.stringify(done.steps));
  assert.equal(done.result?.verified, true);
  // The simulated Remove-WebConfigurationProperty tells the lab through lab-apply.
  assert.match(readFileSync(calls, 'utf8').slice(before), /lab-apply remove-rule/);
  assert.equal(labServer(stack, 'EX01').rewriteRules.filter((r) => /M2\.1/.test(r)).length, 0, 'the lab no longer has the rules');
  const webConfig = join(stack.labDir, 'sim-servers', 'EX01', 'Exchange Server', 'V15', 'FrontEnd', 'HttpProxy', 'owa', 'web.config');
  assert.doesNotMatch(readFileSync(webConfig, 'utf8'), /M2\.1/, 'the rules are gone from the real OWA web.config');
  // run-step.ps1 names the backup it made in the step's message ("Copied F to F.<time>.bak.").
  const backups = done.steps.map((s) => / to (.+\.bak)\.$/.exec(s.message ?? '')?.[1]).filter((p): p is string => typeof p === 'string');
  assert.ok(backups.length > 0, 'the plan made a backup');
  for (const backup of backups) {
    assert.ok(existsSync(backup), `the backup named in the plan exists: ${backup}`);
    assert.match(readFileSync(backup, 'utf8'), /M2\.1/, 'the backup still holds the removed rules');
  }
});

test('serve --host powershell without PowerShell 7 refuses in one line that says how to install it; --host takes only lab or powershell', async () => {
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-ps-none-'));
  const saved = process.env.PWSH;
  try {
    await initLab(join(root, 'lab'), { scenario: 'demo' });
    process.env.PWSH = join(root, 'no-pwsh-here');
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t) };
    assert.equal(await main(['serve', '--lab', join(root, 'lab'), '--data', join(root, 'data'), '--host', 'powershell'], io), 2);
    assert.match(err.join(''), /PowerShell 7 is needed[\s\S]*dotnet tool install --global PowerShell --version 7\.6\.10/);
    err.length = 0;
    assert.equal(await main(['serve', '--lab', join(root, 'lab'), '--host', 'bash'], io), 2);
    assert.match(err.join(''), /--host must be lab or powershell, not 'bash'/);
  } finally {
    if (saved === undefined) delete process.env.PWSH;
    else process.env.PWSH = saved;
    await rm(root, { recursive: true, force: true });
  }
});
