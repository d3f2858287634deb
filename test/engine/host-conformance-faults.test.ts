/**
 * The lab's faults through both hosts (issue 12): a step that fails at step N of a plan (the lab's
 * fail-run switch, per server or for the organisation) and a server that hangs. The lab host
 * honours them itself; the PowerShell host meets them through the simulated Exchange
 * (main/lab/powershell-sim), where the failing cmdlet throws what the real one throws (IIS's
 * "Cannot write configuration file", Active Directory's refusal) and run-step.ps1's own error path
 * reports it, and where a hung server takes the connection and never answers, so the host's own
 * time-out ends the script. What an admin would notice must be the same through both hosts: which
 * step failed, that nothing was changed by it, that running the plan again resumes, which server
 * did not answer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { planOrgReenable, planRemoval } from '../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../main/core/mitigations/staleness.js';
import type { ActionStep } from '../../main/core/ports.js';
import { createLabHost, type LabHost } from '../../main/lab/lab-host.js';
import type { LabDocument } from '../../main/lab/lab-types.js';
import { collected, labFolders, outcome, runPlan } from '../support/sim-exchange/conformance-lab.js';
import { assertPwsh, createSimPowerShellHost } from '../support/sim-exchange/sim-host.js';

const folders = labFolders('faults-');
let labDir = '';
const hosts: LabHost[] = [];
const labHost = async (dir: string): Promise<LabHost> => {
  const host = await createLabHost(dir);
  hosts.push(host);
  return host;
};
const labJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabDocument;
const allServers = (dir: string) => (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { servers: { Name: string }[] }).servers.map((s) => s.Name);
const runFaultOf = (dir: string, server: string) => labJson(dir).servers.find((s) => s.name === server)!.runFault;

before(async () => {
  assertPwsh();
  labDir = await folders.newLab(30);
});
after(async () => {
  for (const host of hosts) host.close();
  await folders.cleanup();
});

/** A removal plan of the demo whose second step removes a rewrite rule (backup first, then the removal). */
async function removalWithRuleAtStep2(): Promise<{ server: string; steps: ActionStep[]; rule: string; title: string }> {
  const kb = defaultKnowledgeBase();
  const state = await (await labHost(labDir)).collect({ servers: allServers(labDir) });
  for (const server of state.servers) {
    for (const verdict of judgeServer(server, kb).filter((v) => v.removable)) {
      const planned = planRemoval(server, verdict, kb);
      if (!planned.ok) continue;
      const steps = planned.plan.steps;
      if (steps.length >= 3 && steps[0]!.kind === 'backup-config' && steps[1]!.kind === 'remove-rewrite-rule') {
        return { server: server.Name, steps, rule: String(steps[1]!.args.name), title: planned.plan.title };
      }
    }
  }
  throw new Error('The demo at hour 30 has no removal plan that backs up a config file and then removes a rule.');
}

describe('a step that fails at step N: the same failure through both hosts, nothing changed, the plan resumes', () => {
  it('a removal with a fault at step 2: step 1 applied, step 2 fails and changes nothing, the fault is used up, a second run succeeds', async () => {
    const { server, steps, rule, title } = await removalWithRuleAtStep2();
    const [labCopy, psCopy] = [await folders.copyLab(labDir), await folders.copyLab(labDir)];
    const viaLab = await labHost(labCopy);
    const ps = createSimPowerShellHost(psCopy);
    for (const dir of [labCopy, psCopy]) await (await labHost(dir)).setFault(server, { kind: 'fail-run', atStep: 2 });

    const [a, b] = [await runPlan(viaLab, steps), await runPlan(ps, steps)];
    assert.deepEqual(outcome(b), outcome(a), `${title}: ${b.map((r) => r.message).join(' | ')}`);
    assert.equal(b.length, 2, 'the plan stopped at its second step');
    assert.ok(b[0]!.ok && b[0]!.changed && b[0]!.backupPath, `step 1 (the backup) was applied: ${b[0]!.message}`);
    assert.match(await readFile(b[0]!.backupPath!, 'utf8'), /<configuration/, 'the backup is a real copy of the config file');
    assert.equal(b[1]!.ok, false);
    assert.equal(b[1]!.changed, false);
    assert.match(b[1]!.message, /Cannot write configuration file/, 'the admin reads what IIS said, through run-step.ps1');
    assert.match(b[1]!.message, /Filename: \\\\\?\\[A-Z]:\\.*\\(web\.config|applicationHost\.config) Error: Cannot write/, `and which file it could not write, as the server names it: ${b[1]!.message}`);

    // Nothing was changed by step 2: the rule is still there, through both hosts, and in the real file.
    const servers = allServers(labDir);
    const [afterPs, afterLab] = [await collected(ps, servers), await collected(await labHost(labCopy), servers)];
    const rulesOf = (doc: typeof afterPs) => doc.servers.find((s) => s.Name === server)!.RewriteRules.map((r) => r.Name);
    assert.ok(rulesOf(afterPs).includes(rule), `${rule} is still on ${server}, read through PowerShell`);
    assert.ok(rulesOf(afterLab).includes(rule), `${rule} is still on ${server}, read through the lab host`);
    assert.deepEqual(afterPs.servers, (await collected(await labHost(psCopy), servers)).servers, 'the PowerShell copy reads the same through both hosts');
    assert.deepEqual(
      afterPs.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]),
      afterLab.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]),
      'both copies hold the same organisation after the failure',
    );
    // The switch is used up, the same way in both labs.
    assert.equal(runFaultOf(psCopy, server), null, 'the fault was consumed in lab.json through the simulated Exchange');
    assert.deepEqual(runFaultOf(psCopy, server), runFaultOf(labCopy, server));

    // Run the plan again: it resumes and succeeds, through both hosts alike.
    const [again, againLab] = [await runPlan(ps, steps), await runPlan(viaLab, steps)];
    assert.deepEqual(outcome(again), outcome(againLab), again.map((r) => r.message).join(' | '));
    assert.ok(again.every((r) => r.ok), `the second run succeeded: ${again.map((r) => r.message).join(' | ')}`);
    assert.ok(again[1]!.changed, 'the second run removed the rule');
    const [donePs, doneLab] = [await collected(ps, servers), await collected(await labHost(labCopy), servers)];
    assert.ok(!rulesOf(donePs).includes(rule) && !rulesOf(doneLab).includes(rule), `${rule} is gone from ${server} in both copies`);
    assert.deepEqual(
      donePs.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]),
      doneLab.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]),
      'both copies end with the same blocks and rules',
    );

    // Idempotent from here: a run without the backup changes nothing; a switch beyond the plan's end
    // is counted step by step in lab.json the same way by both hosts, and fails nothing.
    const rest = steps.filter((s) => s.kind !== 'backup-config');
    for (const dir of [labCopy, psCopy]) await (await labHost(dir)).setFault(server, { kind: 'fail-run', atStep: rest.length + 1 });
    const [third, thirdLab] = [await runPlan(ps, rest), await runPlan(viaLab, rest)];
    assert.deepEqual(outcome(third), outcome(thirdLab));
    assert.ok(third.every((r) => r.ok && !r.changed), `a third run changes nothing: ${third.map((r) => r.message).join(' | ')}`);
    assert.deepEqual(runFaultOf(psCopy, server), { atStep: rest.length + 1, seen: rest.length, message: null }, 'every step was counted once');
    assert.deepEqual(runFaultOf(psCopy, server), runFaultOf(labCopy, server));
  });

  it("the organisation's re-enable with an organisation-wide fault: the same failure, MitigationsEnabled unchanged, then it succeeds", async () => {
    const [labCopy, psCopy] = [await folders.copyLab(labDir), await folders.copyLab(labDir)];
    const viaLab = await labHost(labCopy);
    const ps = createSimPowerShellHost(psCopy);
    const steps = planOrgReenable().steps;
    assert.equal((await viaLab.collect({ servers: [] })).organization.MitigationsEnabled, false, 'the demo at hour 30 has mitigations off for the organisation');
    for (const dir of [labCopy, psCopy]) await (await labHost(dir)).setFault(null, { kind: 'fail-run', atStep: 1 });

    const [a, b] = [await runPlan(viaLab, steps), await runPlan(ps, steps)];
    assert.deepEqual(outcome(b), outcome(a), b.map((r) => r.message).join(' | '));
    assert.deepEqual(outcome(b), [{ ok: false, changed: false, backup: false }], 'the first step failed and the plan stopped');
    assert.match(b[0]!.message, /Active Directory operation failed/, 'the admin reads what Set-OrganizationConfig said, through run-step.ps1');
    for (const [dir, name] of [[psCopy, 'PowerShell'], [labCopy, 'lab']] as const) {
      assert.equal(labJson(dir).orgRunFault, null, `the organisation's fault was consumed (${name} copy)`);
      assert.equal((await collected(createSimPowerShellHost(dir), allServers(dir).slice(0, 1))).organization.MitigationsEnabled, false, `MitigationsEnabled is still False (${name} copy, read through PowerShell)`);
    }

    const [again, againLab] = [await runPlan(ps, steps), await runPlan(viaLab, steps)];
    assert.deepEqual(outcome(again), outcome(againLab), again.map((r) => r.message).join(' | '));
    assert.ok(again.every((r) => r.ok) && again[0]!.changed, `the second run set and verified MitigationsEnabled: ${again.map((r) => r.message).join(' | ')}`);
    assert.equal((await collected(ps, allServers(psCopy).slice(0, 1))).organization.MitigationsEnabled, true);
    assert.equal((await collected(await labHost(labCopy), [])).organization.MitigationsEnabled, true);

    // A fault at the verify step (a step that writes nothing) fails it through both hosts too.
    for (const dir of [labCopy, psCopy]) await (await labHost(dir)).setFault(null, { kind: 'fail-run', atStep: 2 });
    const [third, thirdLab] = [await runPlan(ps, steps), await runPlan(viaLab, steps)];
    assert.deepEqual(outcome(third), outcome(thirdLab), third.map((r) => r.message).join(' | '));
    assert.deepEqual(outcome(third), [{ ok: true, changed: false, backup: false }, { ok: false, changed: false, backup: false }]);
    assert.equal(labJson(psCopy).orgRunFault, null);
  });
});

describe('a hung server through the PowerShell host', () => {
  it("the host's own time-out ends the call to the hung server and names it; the other servers are read in the same poll", async () => {
    const dir = await folders.copyLab(labDir);
    const viaLab = await labHost(dir);
    const servers = allServers(dir);
    const hung = servers[2]!;
    await viaLab.setFault(hung, { kind: 'hung', on: true });
    // Shorter than the scripts' own 20 s connection time-out, so the host's time-out ends the call.
    const ps = createSimPowerShellHost(dir, { timeoutMs: 8_000 });
    const patient = createSimPowerShellHost(dir);
    // A poll reads the hung server in a call of its own (the poller's retry batch), side by side with
    // the others; those go through a host with the default time-out, so a busy test machine cannot
    // make them time out too.
    const [hungDoc, othersDoc] = await Promise.all([ps.collect({ servers: [hung] }), collected(patient, servers.filter((s) => s !== hung))]);

    const reported = hungDoc.servers.find((s) => s.Name === hung);
    assert.ok(reported, 'the hung server is in the result');
    assert.match(reported.Error ?? '', new RegExp(`^${hung}: `), 'the error names the server');
    assert.match(reported.Error ?? '', /did not finish within 8 seconds and was stopped/, reported.Error ?? '');
    assert.deepEqual(reported.RewriteRules, [], 'nothing of the hung server was made up');
    assert.equal(othersDoc.servers.length, servers.length - 1);
    for (const server of othersDoc.servers) assert.equal(server.Error, null, `${server.Name} was read: ${server.Error}`);
    const viaLabOthers = await collected(viaLab, servers.filter((s) => s !== hung));
    assert.deepEqual(othersDoc.servers, viaLabOthers.servers, 'the other servers read the same through both hosts');
    // (AbortSignal.timeout's timer would not keep the test's event loop alive.)
    const giveUp = new AbortController();
    const timer = setTimeout(() => giveUp.abort(), 200);
    await assert.rejects(viaLab.collect({ servers: [hung] }, { signal: giveUp.signal }), /hung/, 'the lab host does not answer for it either');
    clearTimeout(timer);

    // A step on the hung server: the same time-out, nothing run; the fault switches are untouched.
    const step: ActionStep = { kind: 'verify', server: hung, channel: 'exchange', args: { expectBlocked: [] }, description: 'verify', powershell: '' };
    const result = await ps.run(step);
    assert.equal(result.ok, false);
    assert.equal(result.changed, false);
    assert.match(result.message, /did not finish within 8 seconds and was stopped/, result.message);
    await assert.rejects(ps.events(hung, 0), (error: Error) => error.message.startsWith(`${hung}: `) && /did not finish within/.test(error.message));
    assert.ok(existsSync(join(dir, 'lab.json')));
  });
});
