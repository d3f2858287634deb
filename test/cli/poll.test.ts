import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../main/cli/main.js';
import { ALERT_KINDS } from '../../main/core/model.js';
import { resolveScriptsDir } from '../../main/engine/hosts/scripts-dir.js';
import { advanceLab, initLab, setLabFault } from '../../main/lab/index.js';
import { fixture } from '../support/paths.js';
import { ensureStandInExecutable, receivedCalls, standIn } from '../fixtures/pshost/stand-in-support.js';
import { withTempDir } from '../support/temp-dir.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('poll', fn);

test('poll --once --json on the demo lab: the contract document, critical exit 2, new alerts only once', () =>
  withDir(async (dir) => {
    const lab = join(dir, 'lab');
    await initLab(lab);
    await advanceLab(lab, 3);
    const { out, io } = capture();
    assert.equal(await main(['poll', '--once', '--lab', lab, '--json'], io), 2);
    const doc = JSON.parse(out.stdout) as { state: { servers: unknown[] }; alerts: { id: string; kind: string; severity: string; server: string | null; new: boolean; diagnosis: { code: string } | null }[]; status: string };
    assert.equal(doc.status, 'critical');
    assert.equal(doc.state.servers.length, 8);
    for (const alert of doc.alerts) {
      for (const field of ['id', 'kind', 'severity', 'server', 'mitigation', 'title', 'body', 'diagnosis']) assert.ok(field in alert, `alert field ${field}`);
      assert.ok((ALERT_KINDS as readonly string[]).includes(alert.kind));
    }
    const kinds = doc.alerts.map((a) => a.kind).sort();
    assert.deepEqual(kinds, ['fetch-error', 'org-mitigations-disabled', 'service-stopped', 'stale-mitigation', 'stale-mitigation', 'stale-mitigation']);
    // EX01 (EEMS rules left), EX03 (still applied), EX07 (EOMT's rules); never EX06 (Jun26SU: keep M2).
    assert.deepEqual(doc.alerts.filter((a) => a.kind === 'stale-mitigation').map((a) => a.server).sort(), ['EX01', 'EX03', 'EX07']);
    assert.equal(doc.alerts.find((a) => a.kind === 'fetch-error')!.diagnosis!.code, 'signing-cert');
    assert.ok(doc.alerts.every((a) => a.new));

    const again = capture();
    assert.equal(await main(['poll', '--once', '--lab', lab, '--json'], again.io), 2, 'the conditions still hold: still critical');
    const second = JSON.parse(again.out.stdout) as typeof doc;
    assert.deepEqual(second.alerts.map((a) => a.id).sort(), doc.alerts.map((a) => a.id).sort());
    assert.ok(second.alerts.every((a) => !a.new), 'nothing is raised twice');
  }));

test('poll --once exit codes: ok 0, warning 1, unknown 3; human output lists the alerts', () =>
  withDir(async (dir) => {
    const quiet = join(dir, 'quiet');
    await initLab(quiet, { scenario: 'quiet', servers: 2 });
    await advanceLab(quiet, 2);
    const ok = capture();
    assert.equal(await main(['poll', '--once', '--lab', quiet], ok.io), 0);
    assert.match(ok.out.stdout, /EEMS status: OK/);
    assert.match(ok.out.stdout, /No open alerts/);

    await setLabFault(quiet, 'EX01', { kind: 'server-mitigations-enabled', enabled: false, by: 'contoso.com/Users/Mallory' });
    const warn = capture();
    assert.equal(await main(['poll', '--once', '--lab', quiet], warn.io), 1);
    assert.match(warn.out.stdout, /\[WARNING\] EX01: Emergency mitigations are turned off on EX01/);

    for (const server of ['EX01', 'EX02']) await setLabFault(quiet, server, { kind: 'unreachable', on: true });
    const unknown = capture();
    assert.equal(await main(['poll', '--once', '--lab', quiet, '--json'], unknown.io), 3, 'no server readable: unknown');
  }));

test('bad arguments and bad config files are one line on stderr with exit 2, naming the field', () =>
  withDir(async (dir) => {
    const bad = capture();
    assert.equal(await main(['poll', '--lab', dir], bad.io), 3);
    assert.match(bad.out.stderr, /--once/);
    const both = capture();
    assert.equal(await main(['poll', '--once'], both.io), 3);
    assert.match(both.out.stderr, /exactly one of --config FILE or --lab DIR/);
    const config = join(dir, 'eems.json');
    await writeFile(config, JSON.stringify({ connection: { mode: 'remote' }, servers: [{ name: 'EX01; Remove-Item C:\\' }] }));
    const field = capture();
    assert.equal(await main(['poll', '--once', '--config', config], field.io), 3);
    assert.match(field.out.stderr, /servers\.0\.name/);
    assert.match(field.out.stderr, /eems\.json/);
    assert.equal(field.out.stderr.trim().split('\n').length, 1);
    const notLab = capture();
    assert.equal(await main(['poll', '--once', '--lab', join(dir, 'nothing')], notLab.io), 3);
    assert.match(notLab.out.stderr, /lab init/);
  }));

/**
 * powershellPath for a test: the stand-in, behind a two-line shim. The stand-in reads its control
 * file from the folder of the script it is given, which here is the project's own bundled scripts
 * folder; the shim records the arguments it got and hands the stand-in the same script name in the
 * test's folder, so the control file and the call records stay in the test's temp folder.
 */
async function standInShim(dir: string): Promise<string> {
  ensureStandInExecutable();
  const shim = join(dir, 'powershell');
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  await writeFile(
    shim,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${quote(join(dir, 'shim-argv.txt'))}\n` +
      `last=""; for a in "$@"; do last="$a"; done\n` +
      `exec ${quote(standIn)} -NoProfile -NonInteractive -ExecutionPolicy Bypass -File ${quote(dir)}/"$(basename "$last")"\n`,
  );
  await chmod(shim, 0o755);
  return shim;
}

test('poll --once --config with connection.mode local runs the PowerShell host (a stand-in) end to end', () =>
  withDir(async (dir) => {
    const logs = join(dir, 'logs', 'EX01');
    await mkdir(logs, { recursive: true });
    await copyFile(fixture('samples', 'mitigation-service.log'), join(logs, 'MitigationService_20260610-1.LOG'));
    const crashAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const watson = {
      recordId: 4711, eventId: 4999, level: 'Error', time: crashAt, machine: 'ex01.contoso.com', provider: 'MSExchange Common',
      message: 'Watson report about to be sent for process id: 7303, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.046, MSExchangeMitigation, Microsoft.Exchange.Mitigation.Service, M.E.M.S.M.MitigationEngine.FetchMitigations, System.OutOfMemoryException, 5bd5, 15.02.1748.046.',
    };
    await writeFile(join(dir, 'stand-in-control.json'), JSON.stringify({
      'collect-state.ps1': { mode: 'state', stateFile: fixture('pshost', 'state-two-servers.json') },
      'read-events.ps1': { mode: 'envelope', envelope: { ok: true, result: [watson] } },
    }));
    const config = join(dir, 'eems.json');
    await writeFile(config, JSON.stringify({
      connection: { mode: 'local', powershellPath: await standInShim(dir), callTimeoutSeconds: 30 },
      servers: [{ name: 'EX01', fqdn: 'ex01.contoso.com', logFolder: logs }, { name: 'EX02', logFolder: join(dir, 'logs', 'EX02') }],
    }));
    const data = join(dir, 'data');
    const { out, io } = capture();
    const code = await main(['poll', '--once', '--config', config, '--data', data, '--json'], io);
    assert.equal(out.stderr, '');
    const doc = JSON.parse(out.stdout) as { state: { servers: { Name: string; Service: { Status: string } }[] }; alerts: { kind: string; server: string | null; new: boolean; diagnosis: { code: string } | null }[]; status: string };
    assert.equal(code, 2, 'critical: exit 2');
    assert.equal(doc.status, 'critical');
    assert.deepEqual(doc.state.servers.map((s) => [s.Name, s.Service.Status]), [['EX01', 'Running'], ['EX02', 'Stopped']]);
    const kinds = doc.alerts.map((a) => `${a.kind} ${a.server ?? '-'}`).sort();
    assert.ok(kinds.includes('service-stopped EX02'), kinds.join());
    assert.ok(kinds.includes('service-crashed EX01'), 'the event came through read-events.ps1');
    assert.ok(kinds.includes('heartbeat-missed EX01'), 'the log folder was read: its last check was months ago while the service runs');
    assert.ok(doc.alerts.every((a) => a.new));

    // The host ran only the bundled scripts, with the fixed flags and the request on stdin.
    const argv = (await readFile(join(dir, 'shim-argv.txt'), 'utf8')).trim().split('\n');
    const bundled = resolveScriptsDir();
    for (const line of argv) assert.match(line, /^-NoProfile -NonInteractive -ExecutionPolicy Bypass -File /);
    assert.ok(argv.some((line) => line.endsWith(join(bundled, 'collect-state.ps1'))));
    assert.ok(argv.some((line) => line.endsWith(join(bundled, 'read-events.ps1'))));
    const calls = receivedCalls(dir);
    const asked = calls.filter((c) => c.script?.endsWith('collect-state.ps1')).flatMap((c) => (JSON.parse(c.stdin) as { servers: string[] }).servers);
    assert.deepEqual(asked.sort(), ['EX01', 'EX02'], 'each server collected once, its name passed as data on stdin');

    // A second run: the same conditions, nothing new; events are asked for after the saved RecordId.
    const again = capture();
    assert.equal(await main(['poll', '--once', '--config', config, '--data', data, '--json'], again.io), 2);
    const second = JSON.parse(again.out.stdout) as typeof doc;
    assert.ok(second.alerts.every((a) => !a.new), 'nothing is raised twice');
    const sinces = receivedCalls(dir).filter((c) => c.script?.endsWith('read-events.ps1')).map((c) => (JSON.parse(c.stdin) as { sinceRecordId: number }).sinceRecordId);
    assert.ok(sinces.includes(4711), `the EX01 bookmark was kept: ${sinces.join()}`);
  }));
