/**
 * One conformance suite, two hosts: the lab host (TypeScript over the lab folder) and the real
 * PowerShell host, which starts the bundled scripts unchanged under PowerShell 7.6.10 against the
 * simulated Exchange (main/lab/powershell-sim) answering from the same lab. Both must give the
 * same state documents, events and bookmarks, and the same plan results; where they differ, one of
 * them is wrong.
 *
 * Verified here: the scripts' syntax, property names, strict mode, argument passing through
 * Invoke-Command (serialised, in a fresh runspace), the shapes of the real Export-Clixml captures
 * (Deserialized ExchangeServer, ServerVersion, MultiValuedProperty, <Nil/> lists, Uri), IIS edits on
 * the real applicationHost.config and OWA web.config. Not verified here: Windows PowerShell 5.1,
 * real WinRM, real IIS configuration (inheritance), real Get-WinEvent (README "What is verified where").
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { planOrgReenable, planRemoval } from '../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../main/core/mitigations/staleness.js';
import type { EemsEvent, StateDocument } from '../../main/core/model.js';
import { createLabHost, type LabHost } from '../../main/lab/lab-host.js';
import { assertPwsh, createSimPowerShellHost, useSimLab } from '../support/sim-exchange/sim-host.js';
import { collected, labFolders, normalise, outcome, runPlan } from '../support/sim-exchange/conformance-lab.js';

const folders = labFolders('conformance-');
const { newLab, copyLab } = folders;
let labDir = '';
let lab: LabHost;
const allServers = () => JSON.parse(readFileSync(join(labDir, 'state.json'), 'utf8')).servers.map((s: { Name: string }) => s.Name) as string[];

before(async () => {
  assertPwsh();
  labDir = await newLab(30);
  lab = await createLabHost(labDir);
  useSimLab(labDir);
});
after(async () => {
  lab?.close();
  await folders.cleanup();
});

describe('the lab host and the PowerShell host read the same organisation alike', () => {
  it('state documents: every server of the demo, field for field', async () => {
    const servers = allServers();
    assert.ok(servers.length >= 6, 'the demo has its six servers');
    const ps = createSimPowerShellHost(labDir, { auditDays: 3650 });
    const viaPs = await collected(ps, servers);
    const viaLab = await collected(lab, servers);
    for (const server of viaPs.servers) assert.equal(server.Error, null, `${server.Name} was read through PowerShell: ${server.Error}`);
    assert.ok(viaLab.servers.some((s) => s.RewriteRules.length > 0), 'rules are part of what is compared');
    for (const name of servers) {
      assert.deepEqual(viaPs.servers.find((s) => s.Name === name), viaLab.servers.find((s) => s.Name === name), `${name} reads the same through both hosts`);
    }
    assert.deepEqual(viaPs.organization, viaLab.organization);
    assert.equal(viaPs.collectedAt, viaLab.collectedAt, 'collectedAt is the lab clock (Get-Date on the simulated host)');
    // K10: what the comparison covers, and where it leads the log reader.
    const legacy = viaPs.servers.find((s) => s.Name === 'EX16-LEGACY');
    assert.equal(legacy?.InternetWebProxy, 'http://10.0.0.10:8080/', 'the proxy came back as a Uri and is its address');
    assert.equal(legacy?.ExchangeInstallPath, 'D:\\Exchange Server\\V15\\', '$env:ExchangeInstallPath read on the server');
    assert.ok(viaPs.servers.some((s) => typeof s.MitigationsAppliedTime === 'string'), 'MitigationsAppliedTime came back as a time from Get-ExchangeServer');
    assert.equal(ps.logLocation('EX16-LEGACY')?.folder, '\\\\ex16-legacy.contoso.com\\D$\\Exchange Server\\V15\\Logging\\MitigationService');
    assert.equal(ps.logLocation('EX01')?.folder, '\\\\ex01.contoso.com\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\MitigationService');
  });

  it('events with bookmarks: the same records, also when read a page at a time', async () => {
    const ps = createSimPowerShellHost(labDir, { maxEvents: 4 });
    let compared = 0;
    for (const server of allServers()) {
      const expected = (await lab.events(server, 0)).map(normalise);
      const pages: unknown[] = [];
      let since = 0;
      for (let page = 0; page < 50; page += 1) {
        const got = await ps.events(server, since);
        if (got.length === 0) break;
        assert.ok(got.length <= 4, 'a page holds at most maxEvents records');
        pages.push(...got.map(normalise));
        since = got[got.length - 1]!.recordId;
      }
      assert.deepEqual(pages, expected, `${server}: the events through PowerShell, page by page, are the lab's`);
      compared += expected.length;
      if (expected.length > 0) {
        const middle = (expected[Math.floor(expected.length / 2)] as EemsEvent).recordId;
        assert.deepEqual((await lab.events(server, middle)).map(normalise).slice(0, 4), (await ps.events(server, middle)).map(normalise), `${server}: after a bookmark`);
      }
    }
    assert.ok(compared >= 10, `events were compared (${compared})`);
  });

  it('a server that does not answer WinRM gets an Error through both hosts; the others are read', async () => {
    const dir = await copyLab(labDir);
    const labCopy = await createLabHost(dir);
    const name = allServers()[1]!;
    await labCopy.setFault(name, { kind: 'unreachable', on: true });
    useSimLab(dir);
    try {
      const ps = createSimPowerShellHost(dir);
      const [viaPs, viaLab] = [await ps.collect({ servers: allServers() }), await labCopy.collect({ servers: allServers() })];
      for (const doc of [viaPs, viaLab]) {
        assert.match(doc.servers.find((s) => s.Name === name)!.Error ?? '', /WinRM/);
        assert.ok(doc.servers.filter((s) => s.Name !== name).every((s) => s.Error === null));
      }
      await assert.rejects(ps.events(name, 0), /WinRM/);
      await assert.rejects(labCopy.events(name, 0), /WinRM|reached/);
    } finally {
      useSimLab(labDir);
      labCopy.close();
    }
  });
});

describe('plans run alike through both hosts', () => {
  it('every removable mitigation of the demo: the same step results, the same organisation after, a real web.config edited and backed up', async () => {
    const kb = defaultKnowledgeBase();
    const labCopy = await copyLab(labDir);
    const psCopy = await copyLab(labDir);
    const viaLab = await createLabHost(labCopy);
    const state = await viaLab.collect({ servers: allServers() });
    const plans = state.servers.flatMap((server) =>
      judgeServer(server, kb).filter((v) => v.removable).map((verdict) => planRemoval(server, verdict, kb)),
    );
    assert.ok(plans.length >= 1, 'the demo at hour 30 has a removable mitigation');
    useSimLab(psCopy);
    try {
      const ps = createSimPowerShellHost(psCopy);
      for (const planned of plans) {
        assert.ok(planned.ok, planned.ok ? '' : planned.error);
        const steps = planned.plan.steps;
        const [a, b] = [await runPlan(viaLab, steps), await runPlan(ps, steps)];
        assert.deepEqual(outcome(b), outcome(a), `${planned.plan.title}: ${b.map((r) => r.message).join(' | ')}`);
        assert.ok(b.every((r) => r.ok), `every step succeeded through PowerShell: ${b.map((r) => r.message).join(' | ')}`);
        assert.ok(b.some((r) => r.changed), 'the plan changed something');
        for (const result of b.filter((r) => r.backupPath)) {
          const backup = await readFile(result.backupPath!, 'utf8');
          assert.match(backup, /<configuration/, 'the backup is a copy of the real config file');
        }
        // Run again: nothing left to do, through either host.
        const [again, againLab] = [await runPlan(ps, steps.filter((s) => s.kind !== 'backup-config')), await runPlan(viaLab, steps.filter((s) => s.kind !== 'backup-config'))];
        assert.deepEqual(outcome(again), outcome(againLab), 'a second run reports the same through both hosts');
        assert.ok(again.every((r) => r.changed === false), `a second run changes nothing: ${again.map((r) => r.message).join(' | ')}`);
      }
      const servers = allServers();
      const labAfter = await createLabHost(psCopy);
      assert.deepEqual(await collected(ps, servers), await collected(labAfter, servers), 'after the plans, the PowerShell copy reads the same through both hosts');
      const [x, y] = [await collected(viaLab, servers), await collected(labAfter, servers)];
      assert.deepEqual(y.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]), x.servers.map((s) => [s.Name, s.MitigationsBlocked, s.RewriteRules]), 'both copies end with the same blocks and rules');
      labAfter.close();
    } finally {
      useSimLab(labDir);
      viaLab.close();
    }
  });

  it("the organisation's re-enable: Set-OrganizationConfig through a remote session, never the snap-in (K8)", async () => {
    const labCopy = await copyLab(labDir);
    const psCopy = await copyLab(labDir);
    const calls = join(psCopy, 'sim-calls.txt');
    const viaLab = await createLabHost(labCopy);
    useSimLab(psCopy, calls);
    try {
      const ps = createSimPowerShellHost(psCopy);
      const steps = planOrgReenable().steps;
      const [a, b] = [await runPlan(viaLab, steps), await runPlan(ps, steps)];
      assert.deepEqual(outcome(b), outcome(a), b.map((r) => r.message).join(' | '));
      assert.ok(b.every((r) => r.ok) && b[0]!.changed, 'MitigationsEnabled was set and verified');
      const log = await readFile(calls, 'utf8');
      assert.match(log, /New-PSSession http:\/\/[^ ]+\/PowerShell\/ Microsoft\.Exchange/);
      assert.doesNotMatch(log, /Add-PSSnapin/);
      const after = (await createLabHost(psCopy)).collect({ servers: [] });
      assert.equal((await after).organization.MitigationsEnabled, true);
    } finally {
      useSimLab(labDir);
      viaLab.close();
    }
  });
});

describe('hostile data passes through the real scripts as data', () => {
  it('rule names, audit callers and event texts with quotes, $(), backticks, semicolons, newlines and non-ASCII come back byte for byte; nothing runs', async () => {
    const dir = await copyLab(labDir);
    const canary = join(dir, 'CANARY');
    // Newlines in free text; not in the rule name a step acts on (the host refuses control characters there).
    const payload = (tag: string, newline = '\n') => `${tag} '"; $(New-Item -ItemType File -Path '${canary}') \`$(whoami) ; Remove-Item x ‘’‛ “” é中${newline}${'$'}{env:PATH} @(1)|calc`;
    const statePath = join(dir, 'state.json');
    const doc = JSON.parse(await readFile(statePath, 'utf8')) as StateDocument;
    const target = doc.servers[0]!;
    const ruleName = payload('EEMS M2.1 rule', ' ');
    target.RewriteRules.push({
      Name: ruleName, Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config', Enabled: true, PreCondition: null,
      Match: { ServerVariable: 'RESPONSE_X', Url: null, Pattern: payload('pattern') }, Conditions: [], Action: { Type: 'Rewrite', Value: payload('value') },
    });
    target.AuditEntries = [...(target.AuditEntries ?? []), {
      Caller: payload('contoso.com/Users/'), CmdletName: 'Set-ExchangeServer', ObjectModified: target.Name,
      Parameters: { MitigationsBlocked: payload('M2') }, RunDate: '2026-06-16T10:00:00.000Z',
    }];
    await writeFile(statePath, JSON.stringify(doc));
    const events = join(dir, 'servers', target.Name, 'events.jsonl');
    await appendFile(events, `${JSON.stringify({ recordId: 99_999_999, eventId: 1008, level: 'Error', time: '2026-06-16T10:00:00.000Z', machine: `${target.Name}.contoso.com`, provider: 'MSExchange Mitigation Service', message: payload('message') })}\n`);
    const labCopy = await createLabHost(dir);
    useSimLab(dir);
    try {
      const ps = createSimPowerShellHost(dir, { auditDays: 3650 });
      const viaPs = await collected(ps, [target.Name]);
      const viaLab = await collected(labCopy, [target.Name]);
      assert.deepEqual(viaPs.servers[0], viaLab.servers[0]);
      assert.ok(viaPs.servers[0]!.RewriteRules.some((r) => r.Name === ruleName), 'the hostile rule name came back byte for byte');
      const last = (await ps.events(target.Name, 99_999_998))[0];
      assert.equal(last?.message, payload('message'));
      const removal = await ps.run({
        kind: 'remove-rewrite-rule', server: target.Name, args: { name: ruleName, direction: 'outbound', location: 'Default Web Site/owa', configFile: 'web.config' },
        description: 'remove the hostile rule', powershell: '',
      });
      assert.ok(removal.ok && removal.changed, removal.message);
      const webConfig = await readFile(join(dir, 'sim-servers', target.Name, 'Exchange Server/V15/FrontEnd/HttpProxy/owa/web.config'), 'utf8');
      assert.ok(!webConfig.includes('Remove-Item x'), 'the rule is gone from the real web.config');
      assert.equal(existsSync(canary), false, 'nothing in the data ran');
    } finally {
      useSimLab(labDir);
      labCopy.close();
    }
  });
});
