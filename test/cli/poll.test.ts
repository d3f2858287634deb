import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../main/cli/main.js';
import { ALERT_KINDS } from '../../main/core/model.js';
import { advanceLab, initLab, setLabFault } from '../../main/lab/index.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'eems-poll-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('poll --once --json on the demo lab: the contract document, critical exit 2, new alerts only once', () =>
  withDir(async (dir) => {
    const lab = join(dir, 'lab');
    await initLab(lab);
    await advanceLab(lab, 3);
    const { out, io } = capture();
    assert.equal(await main(['poll', '--once', '--lab', lab, '--json'], io), 2);
    const doc = JSON.parse(out.stdout) as { state: { servers: unknown[] }; alerts: { id: string; kind: string; severity: string; new: boolean; diagnosis: { code: string } | null }[]; status: string };
    assert.equal(doc.status, 'critical');
    assert.equal(doc.state.servers.length, 6);
    for (const alert of doc.alerts) {
      for (const field of ['id', 'kind', 'severity', 'server', 'mitigation', 'title', 'body', 'diagnosis']) assert.ok(field in alert, `alert field ${field}`);
      assert.ok((ALERT_KINDS as readonly string[]).includes(alert.kind));
    }
    const kinds = doc.alerts.map((a) => a.kind).sort();
    assert.deepEqual(kinds, ['fetch-error', 'org-mitigations-disabled', 'service-stopped', 'stale-mitigation', 'stale-mitigation']);
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
    assert.equal(await main(['poll', '--lab', dir], bad.io), 2);
    assert.match(bad.out.stderr, /--once/);
    const both = capture();
    assert.equal(await main(['poll', '--once'], both.io), 2);
    assert.match(both.out.stderr, /exactly one of --config FILE or --lab DIR/);
    const config = join(dir, 'eems.json');
    await writeFile(config, JSON.stringify({ connection: { mode: 'remote' }, servers: [{ name: 'EX01; Remove-Item C:\\' }] }));
    const field = capture();
    assert.equal(await main(['poll', '--once', '--config', config], field.io), 2);
    assert.match(field.out.stderr, /servers\.0\.name/);
    assert.match(field.out.stderr, /eems\.json/);
    assert.equal(field.out.stderr.trim().split('\n').length, 1);
    const notLab = capture();
    assert.equal(await main(['poll', '--once', '--lab', join(dir, 'nothing')], notLab.io), 2);
    assert.match(notLab.out.stderr, /lab init/);
  }));
