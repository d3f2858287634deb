import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyKnowledgeOverride, defaultKnowledgeBase, type KnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { ServerState, StateDocument } from '../../../main/core/model.js';
import { parseStepArgs } from '../../../main/core/mitigations/action-steps.js';
import type { ActionStep } from '../../../main/core/ports.js';
import { parseStateDocument } from '../../../main/core/parsers/state-document.js';
import { planOrgReenable, planRemoval, verifyRemoval, type ActionPlan } from '../../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../../main/core/mitigations/staleness.js';
import { fixture } from '../../support/paths.js';

const kb = defaultKnowledgeBase();

function loadState(name: string): StateDocument {
  const parsed = parseStateDocument(JSON.parse(readFileSync(fixture('kb', name), 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}
function serverOf(file: string, name: string): ServerState {
  const s = loadState(file).servers.find((x) => x.Name === name);
  assert.ok(s, name);
  return s;
}
/** The contracts.md server moved from Jun26SU to Jul26SU (M2's removableFrom on CU15): its M2 may go. */
function ex01July(): ServerState {
  return { ...loadState('contracts-example.json').servers[0]!, ExSetupVersion: '15.02.1748.048' };
}
function plan(server: ServerState, id: string, knowledge: KnowledgeBase = kb): ActionPlan {
  const verdict = judgeServer(server, knowledge).find((v) => v.id === id);
  assert.ok(verdict, `no verdict ${id} on ${server.Name}`);
  const result = planRemoval(server, verdict, knowledge);
  assert.ok(result.ok, result.ok ? '' : result.error);
  assertCanonical(result.plan);
  return result.plan;
}
/** Every step a plan produces follows the one contract of action-steps.ts (what both hosts read). */
function assertCanonical(p: ActionPlan): void {
  for (const step of p.steps) {
    const checked = parseStepArgs(step);
    assert.ok(checked.ok, checked.ok ? '' : `${p.id} ${step.kind}: ${checked.error}`);
  }
}
function refusal(server: ServerState, id: string): string {
  const verdict = judgeServer(server, kb).find((v) => v.id === id)!;
  const result = planRemoval(server, verdict, kb);
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error;
}

/**
 * What the host's fixed script does with a step, on a state document: idempotent by design
 * (a rule already gone, a pool already started, the same block list: nothing changes).
 */
function runStep(s: ServerState, step: ActionStep): { state: ServerState; changed: boolean } {
  const next = structuredClone(s);
  const lower = (x: unknown) => String(x).toLowerCase();
  switch (step.kind) {
    case 'block-mitigation': {
      // Hosts add the plan's IDs to the list they find (run-step.ps1, the lab).
      const missing = (step.args.mitigationsBlocked as string[]).filter((id) => !next.MitigationsBlocked.includes(id));
      next.MitigationsBlocked = [...next.MitigationsBlocked, ...missing];
      return { state: next, changed: missing.length > 0 };
    }
    case 'remove-rewrite-rule': {
      next.RewriteRules = next.RewriteRules.filter((r) => !(lower(r.Name) === lower(step.args.name) && r.Location === step.args.location));
      return { state: next, changed: next.RewriteRules.length !== s.RewriteRules.length };
    }
    case 'start-app-pool': {
      const pool = next.AppPools.find((p) => lower(p.Name) === lower(step.args.name));
      const changed = !!pool && pool.State !== 'Started';
      if (pool) pool.State = 'Started';
      return { state: next, changed };
    }
    case 'start-service': {
      const svc = next.Services.find((p) => lower(p.Name) === lower(step.args.name));
      const changed = !!svc && (svc.Status !== 'Running' || (step.args.startType !== undefined && svc.StartType !== step.args.startType));
      if (svc) {
        svc.Status = 'Running';
        if (typeof step.args.startType === 'string') svc.StartType = step.args.startType;
      }
      return { state: next, changed };
    }
    default:
      return { state: next, changed: false };
  }
}
function runPlan(s: ServerState, p: ActionPlan): { state: ServerState; changes: number } {
  let state = s;
  let changes = 0;
  for (const step of p.steps) {
    const r = runStep(state, step);
    state = r.state;
    if (r.changed) changes += 1;
  }
  return { state, changes };
}

test('the contracts.md example on Jul26SU: back up, block M2 and M2.1.0 (whole list), remove the outbound rule, verify', () => {
  const ex01 = ex01July();
  const p = plan(ex01, 'M2.1.0');
  assert.deepEqual([p.server, p.mitigation], ['EX01', 'M2.1.0']);
  assert.match(p.title, /M2\.1\.0/);
  assert.deepEqual(p.steps.map((s) => s.kind), ['backup-config', 'block-mitigation', 'remove-rewrite-rule', 'verify']);
  const [backup, block, remove, verify] = p.steps;
  assert.deepEqual(backup!.args, { location: 'Default Web Site/owa', configFile: 'web.config' });
  assert.deepEqual(block!.args, { mitigation: 'M2', mitigationsBlocked: ['M2', 'M2.1.0'] });
  assert.deepEqual(remove!.args, { name: 'EEMS M2.1 OWA CSP - outbound', direction: 'outbound', location: 'Default Web Site/owa', configFile: 'web.config' });
  assert.deepEqual(verify!.args, { mitigation: 'M2', absentRules: ['EEMS M2.1 OWA CSP - outbound'], expectBlocked: ['M2', 'M2.1.0'] });
  assert.equal(block!.powershell, "Set-ExchangeServer -Identity EX01 -MitigationsBlocked @('M2','M2.1.0')");
  // Where each step runs (K8): IIS on the server itself over WinRM, Exchange settings through its remote PowerShell.
  assert.deepEqual(p.steps.map((s) => s.channel), ['server', 'exchange', 'server', 'exchange']);
  assert.match(backup!.description, /^On EX01 itself \(WebAdministration, over WinRM\)/);
  assert.match(block!.description, /^Through Exchange's remote PowerShell endpoint/);
  // The evidence travels with the plan.
  assert.deepEqual([p.evidence?.fixedIn, p.evidence?.removableFrom, p.evidence?.appliedBy], ['15.2.1748.46', '15.2.1748.48', 'EEMS']);
  assert.ok(p.evidence!.sources.some((x) => x.what === 'removableFrom' && x.url?.startsWith('https://')));
  assert.match(p.evidence!.disagreement!, /later build decides/);
  assert.deepEqual(
    [remove!.args.name, remove!.args.location, remove!.args.configFile, remove!.args.direction],
    ['EEMS M2.1 OWA CSP - outbound', 'Default Web Site/owa', 'web.config', 'outbound'],
  );
  assert.equal(
    remove!.powershell,
    "Remove-WebConfigurationProperty -PSPath 'IIS:\\Sites\\Default Web Site\\owa' -Filter 'system.webServer/rewrite/outboundRules' -Name '.' -AtElement @{name='EEMS M2.1 OWA CSP - outbound'}",
  );
  assert.equal(backup!.args.configFile, 'web.config');
  assert.match(backup!.powershell, /Get-WebConfigFile -PSPath 'IIS:\\Sites\\Default Web Site\\owa'/);
  assert.match(backup!.powershell, /\.bak' -f \$f, \(Get-Date\)/, 'like run-step.ps1: a timestamped copy, so a second run never overwrites the first backup');
  assert.ok(p.steps.every((s) => s.server === 'EX01' && s.description.length > 0));
  assert.ok(p.warnings.some((w) => /stays in MitigationsBlocked/.test(w)));
  assert.ok(p.warnings.some((w) => /restarts that IIS application/.test(w)));
});

test('rule before preCondition, one backup per config file, the preCondition filter', () => {
  const p = plan(serverOf('every-verdict.json', 'EX-STALE'), 'M2.1.0');
  assert.deepEqual(p.steps.map((s) => s.kind), ['backup-config', 'block-mitigation', 'remove-rewrite-rule', 'remove-rewrite-rule', 'verify']);
  const removes = p.steps.filter((s) => s.kind === 'remove-rewrite-rule');
  assert.deepEqual(removes.map((s) => s.args.direction), ['outbound', 'precondition']);
  assert.equal(
    removes[1]!.powershell,
    "Remove-WebConfigurationProperty -PSPath 'IIS:\\Sites\\Default Web Site\\owa' -Filter 'system.webServer/rewrite/outboundRules/preConditions' -Name '.' -AtElement @{name='EEMS M2.1 OWA SPA HTML shell - precondition'}",
  );
});

test('the block step carries the complete new MitigationsBlocked list', () => {
  const s = { ...ex01July(), MitigationsBlocked: ['M1', 'M7'] };
  const block = plan(s, 'M2.1.0').steps.find((x) => x.kind === 'block-mitigation')!;
  assert.deepEqual(block.args.mitigationsBlocked, ['M1', 'M7', 'M2', 'M2.1.0']);
  assert.equal(block.powershell, "Set-ExchangeServer -Identity EX01 -MitigationsBlocked @('M1','M7','M2','M2.1.0')");
});

test('an orphan artefact is removed without blocking (EEMS already dropped it)', () => {
  const p = plan(serverOf('every-verdict.json', 'EX-ORPHAN'), 'M2');
  assert.deepEqual(p.steps.map((s) => s.kind), ['backup-config', 'remove-rewrite-rule', 'remove-rewrite-rule', 'verify']);
  assert.match(p.title, /leftover M2/);
  assert.deepEqual(p.steps.at(-1)!.args, {
    mitigation: 'M2',
    absentRules: ['EEMS M2.1 OWA CSP - outbound', 'EEMS M2.1 OWA SPA HTML shell - precondition'],
  }, 'nothing to block, so nothing to expect blocked');
});

test('a half-finished removal resumes: blocked, fix installed, only the preCondition left', () => {
  const p = plan(serverOf('every-verdict.json', 'EX-HALF'), 'M2');
  assert.deepEqual(p.steps.map((s) => s.kind), ['backup-config', 'remove-rewrite-rule', 'verify']);
  assert.equal(p.steps[1]!.args.name, 'EEMS M2.1 OWA SPA HTML shell - precondition');
});

test('M1: the inbound rule on Default Web Site', () => {
  const p = plan(serverOf('every-verdict.json', 'EX-M1'), 'M1.1');
  const remove = p.steps.find((s) => s.kind === 'remove-rewrite-rule')!;
  assert.equal(
    remove.powershell,
    "Remove-WebConfigurationProperty -PSPath 'IIS:\\Sites\\Default Web Site' -Filter 'system.webServer/rewrite/rules' -Name '.' -AtElement @{name='EEMS M1.1 PowerShell - inbound'}",
  );
  assert.equal(p.steps.find((s) => s.kind === 'block-mitigation')!.powershell, "Set-ExchangeServer -Identity EX-M1 -MitigationsBlocked @('M1','M1.1')");
});

test('rules in applicationHost.config: server level uses globalRules, a site uses -Location', () => {
  const base = loadState('contracts-example.json').servers[0]!;
  const s: ServerState = {
    ...base,
    MitigationsApplied: ['M1.1'],
    ExSetupVersion: '15.2.1748.46',
    RewriteRules: [
      { Name: 'EEMS M1.1 PowerShell - inbound', Direction: 'inbound', Location: '', ConfigFile: 'applicationHost.config' },
      { Name: "EEMS M1.2 O'Brien - inbound", Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'applicationHost.config' },
    ],
  };
  const p = plan(s, 'M1.1');
  const removes = p.steps.filter((x) => x.kind === 'remove-rewrite-rule');
  assert.equal(
    removes[0]!.powershell,
    "Remove-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/rewrite/globalRules' -Name '.' -AtElement @{name='EEMS M1.1 PowerShell - inbound'}",
  );
  assert.equal(
    removes[1]!.powershell,
    "Remove-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site' -Filter 'system.webServer/rewrite/rules' -Name '.' -AtElement @{name='EEMS M1.2 O''Brien - inbound'}",
  );
  assert.equal(p.steps.filter((x) => x.kind === 'backup-config').length, 2);
  assert.ok(p.warnings.some((w) => /applicationHost\.config/.test(w)));
});

test('app pool and service artefacts: start them (and set a disabled service back to Automatic)', () => {
  const r = applyKnowledgeOverride(kb, JSON.parse(readFileSync(fixture('kb', 'overrides', 'good.json'), 'utf8')));
  assert.ok(r.ok);
  const p = plan(loadState('pool-service.json').servers[0]!, 'M9', r.value);
  assert.deepEqual(p.steps.map((s) => s.kind), ['start-app-pool', 'start-service', 'verify']);
  assert.equal(p.steps[0]!.powershell, "Start-WebAppPool -Name 'MSExchangeTestAppPool'");
  assert.deepEqual(p.steps[1]!.args, { name: 'MSExchangeTestService', startType: 'Automatic' });
  assert.equal(p.steps[1]!.powershell, "Set-Service -Name 'MSExchangeTestService' -StartupType Automatic; Start-Service -Name 'MSExchangeTestService'");
  const after = runPlan(loadState('pool-service.json').servers[0]!, p).state;
  assert.deepEqual(verifyRemoval(p, after, r.value).ok, true);
});

test('plan ids are deterministic: same state same id, changed state new id', () => {
  const a = plan(ex01July(), 'M2.1.0');
  const b = plan(ex01July(), 'M2.1.0');
  assert.equal(a.id, b.id);
  assert.deepEqual(a, b);
  const changed = { ...ex01July(), ExSetupVersion: '15.2.1748.49' };
  assert.notEqual(plan(changed, 'M2.1.0').id, a.id);
  const other = { ...ex01July(), Name: 'EX02' };
  assert.notEqual(plan(other, 'M2.1.0').id, a.id);
});

test('running a plan twice changes nothing the second time, and re-judging shows it done', () => {
  const start = serverOf('every-verdict.json', 'EX-STALE');
  const p = plan(start, 'M2.1.0');
  const once = runPlan(start, p);
  assert.equal(once.changes, 3, 'block + two removals');
  const twice = runPlan(once.state, p);
  assert.equal(twice.changes, 0);
  assert.deepEqual(twice.state, once.state);
  assert.deepEqual(once.state.MitigationsBlocked, ['M2', 'M2.1.0']);
  const after = judgeServer(once.state, kb).find((v) => v.id === 'M2.1.0')!;
  assert.deepEqual([after.verdict, after.removable, after.artefacts], ['blocked', false, []]);
  assert.ok(verifyRemoval(p, once.state, kb).ok);
});

test('a removal stopped half-way is re-planned from what is left', () => {
  const start = serverOf('every-verdict.json', 'EX-STALE');
  const p = plan(start, 'M2.1.0');
  let state = start;
  for (const step of p.steps.slice(0, 3)) state = runStep(state, step).state; // backup, block, first removal
  const check = verifyRemoval(p, state, kb);
  assert.equal(check.ok, false);
  assert.match(check.message, /EEMS M2\.1 OWA SPA HTML shell - precondition/);
  assert.match(check.message, /Run the plan again/);
  const resumed = plan(state, 'M2.1.0');
  assert.deepEqual(resumed.steps.map((s) => s.kind), ['backup-config', 'remove-rewrite-rule', 'verify']);
  assert.ok(verifyRemoval(resumed, runPlan(state, resumed).state, kb).ok);
});

test('verifyRemoval: not blocked, wrong server, unreadable server, organisation plan', () => {
  const start = ex01July();
  const p = plan(start, 'M2.1.0');
  const removedNotBlocked = { ...start, RewriteRules: [] };
  const r = verifyRemoval(p, removedNotBlocked, kb);
  assert.equal(r.ok, false);
  assert.match(r.message, /M2 and M2\.1\.0 are not in MitigationsBlocked/);
  const familyOnly = verifyRemoval(p, { ...start, RewriteRules: [], MitigationsBlocked: ['M2'] }, kb);
  assert.match(familyOnly.message, /M2\.1\.0 is not in MitigationsBlocked/, 'verify checks both IDs the block wrote');
  assert.equal(verifyRemoval(p, { ...removedNotBlocked, Name: 'EX09' }, kb).ok, false);
  const down = verifyRemoval(p, { ...start, Error: 'Access is denied.' }, kb);
  assert.equal(down.ok, false);
  assert.match(down.message, /could not be read/);
  const ok = verifyRemoval(p, { ...start, RewriteRules: [], MitigationsBlocked: ['M2', 'M2.1.0'] }, kb);
  assert.deepEqual(ok.ok, true);
  assert.match(ok.message, /gone from EX01/);
  assert.equal(verifyRemoval(planOrgReenable(), start, kb).ok, false);
});

test('what is not removable is refused with a sentence saying why', () => {
  const active = refusal(serverOf('every-verdict.json', 'EX-ACTIVE'), 'M2.1.0');
  assert.match(active, /still needed/);
  assert.match(active, /Install the update first/);
  const unfixed = refusal(serverOf('every-verdict.json', 'EX-UNFIXED'), 'M2');
  assert.match(unfixed, /exposed to CVE-2026-42897/);
  assert.match(unfixed, /Install the SU first/);
  assert.match(refusal(serverOf('every-verdict.json', 'EX-BLOCKED'), 'M2.1.0'), /blocked/);
  assert.match(refusal(serverOf('every-verdict.json', 'EX-ACTIVE'), 'PING1'), /heartbeat/);
  // Jun26SU: the fix is installed, but Microsoft advises keeping M2 until Jul26SU.
  const june = loadState('contracts-example.json').servers[0]!;
  const keep = refusal(june, 'M2.1.0');
  assert.match(keep, /the fix is installed, but Microsoft advises keeping M2 until the Jul26SU \(15\.2\.1748\.48\)/);
  const juneVerdict = judgeServer(june, kb).find((v) => v.id === 'M2.1.0')!;
  const forgedJune = planRemoval(june, { ...juneVerdict, verdict: 'stale-applied', removable: true }, kb);
  assert.equal(forgedJune.ok, false, 'a forged removable verdict below removableFrom is refused from a fresh judgement');
  const ex01 = ex01July();
  const verdict = judgeServer(ex01, kb).find((v) => v.id === 'M2.1.0')!;
  const down = planRemoval({ ...ex01, Error: 'WinRM failed.' }, verdict, kb);
  assert.ok(!down.ok && /could not be read/.test(down.error));
  const forged = planRemoval(ex01, { ...verdict, verdict: 'active', removable: true }, kb);
  assert.equal(forged.ok, false, 'a verdict that is not stale or orphaned is never planned');
});

test('planOrgReenable: one command, then a check', () => {
  const p = planOrgReenable();
  assert.deepEqual([p.server, p.mitigation], [null, null]);
  assert.deepEqual(p.steps.map((s) => s.kind), ['set-org-mitigations-enabled', 'verify']);
  assert.equal(p.steps[0]!.powershell, 'Set-OrganizationConfig -MitigationsEnabled $true');
  assert.deepEqual(p.steps[0]!.args, { enabled: true });
  assert.deepEqual([p.steps[1]!.server, p.steps[1]!.args], [null, { orgMitigationsEnabled: true }]);
  assertCanonical(p);
  assert.equal(planOrgReenable().id, p.id);
  assert.ok(p.warnings.some((w) => /every mitigation/.test(w)));
});

test('a rule name no host would accept makes the plan refuse with the field named, not a plan that cannot run', () => {
  const base = ex01July();
  const s: ServerState = { ...base, RewriteRules: base.RewriteRules.map((r) => ({ ...r, Location: '../../Windows' })) };
  const verdict = judgeServer(s, kb).find((v) => v.id === 'M2.1.0')!;
  const result = planRemoval(s, verdict, kb);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.error, /^The plan for M2\.1\.0 on EX01 cannot be run: backup-config args\.location: must be an IIS location/);
});

test('every plan of every fixture server follows the step contract', () => {
  let plans = 0;
  for (const file of ['contracts-example.json', 'every-verdict.json', 'pool-service.json']) {
    const knowledge = file === 'pool-service.json' ? (applyKnowledgeOverride(kb, JSON.parse(readFileSync(fixture('kb', 'overrides', 'good.json'), 'utf8'))) as { value: KnowledgeBase }).value : kb;
    for (const server of loadState(file).servers) {
      for (const verdict of judgeServer(server, knowledge)) {
        const result = planRemoval(server, verdict, knowledge);
        if (!result.ok) continue;
        assertCanonical(result.plan);
        plans += 1;
      }
    }
  }
  assert.ok(plans >= 5, `only ${plans} plans were built`);
});
