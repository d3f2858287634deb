import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { X509Certificate, createHash } from 'node:crypto';
import { main } from '../../main/cli/main.js';
import type { CliIo } from '../../main/cli/cli-io.js';
import { fixture } from '../support/paths.js';
import { createTestPki, eocs, signXml, type TestPki } from '../support/test-pki.js';

const realFile = fixture('real', 'ocs-ping1-2021-09.xml');
let dir: string;
let pki: TestPki;

function capture(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

async function run(args: string[]) {
  const io = capture();
  const code = await main(['verify-feed', ...args], io);
  return { code, out: io.out, err: io.err };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eems-verify-feed-'));
  pki = createTestPki();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('--json on the real file at its signing time: one JSON document of the contract, exit 0', async () => {
  const { code, out, err } = await run([realFile, '--at', '2021-09-15T17:00:00Z', '--json']);
  assert.equal(code, 0);
  assert.equal(err, '');
  const doc = JSON.parse(out);
  assert.deepEqual(Object.keys(doc).slice(0, 6), ['verdict', 'reasons', 'signatureValid', 'chain', 'checkedAt', 'configs']);
  assert.equal(doc.verdict, 'valid');
  assert.equal(doc.signatureValid, true);
  assert.equal(doc.checkedAt, '2021-09-15T17:00:00.000Z');
  for (const c of doc.chain) assert.deepEqual(['subject', 'issuer', 'notBefore', 'notAfter', 'sha256'].filter((k) => typeof c[k] !== 'string'), []);
  assert.deepEqual(doc.configs.map((c: { id: string }) => c.id), ['PING1']);
  assert.deepEqual(Object.keys(doc.configs[0].actions[0]).slice(0, 4), ['type', 'scope', 'desc', 'value']);
});

test('--state compares the signed definitions with the servers: what each lacks, what is no longer published', async () => {
  // The contracts.md state: EX01 applies PING1 and M2.1.0; Microsoft's 2021 file publishes PING1 only.
  const { code, out } = await run([realFile, '--at', '2021-09-15T17:00:00Z', '--state', fixture('kb', 'contracts-example.json'), '--json']);
  assert.equal(code, 0);
  const doc = JSON.parse(out);
  assert.deepEqual(doc.servers.map((s: { server: string }) => s.server), ['EX01']);
  const ex01 = doc.servers[0];
  assert.deepEqual(ex01.applied.map((i: { id: string }) => i.id), ['PING1']);
  assert.deepEqual(ex01.noLongerPublished.map((i: { id: string; family: string }) => [i.id, i.family]), [['M2.1.0', 'M2']]);
  assert.deepEqual(ex01.missing, []);
  const human = await run([realFile, '--at', '2021-09-15T17:00:00Z', '--state', fixture('kb', 'contracts-example.json')]);
  assert.match(human.out, /EX01: lacks none; blocked none; applied PING1; applied but no longer published M2\.1\.0/);
  // A tampered file has no signed content: nothing is compared (not "everything is no longer published").
  const tampered = join(dir, 'tampered-for-state.xml');
  await writeFile(tampered, (await readFile(realFile, 'utf8')).replace('Heartbeat probe', 'Heartbeat pr0be'));
  const none = await run([tampered, '--state', fixture('kb', 'contracts-example.json'), '--json']);
  assert.deepEqual(JSON.parse(none.out).servers, []);
  const noneHuman = await run([tampered, '--state', fixture('kb', 'contracts-example.json')]);
  assert.match(noneHuman.out, /No comparison with the servers: the file has no signed definitions to compare/);
});

test('--json on the real file today: invalid with leaf-expired and intermediate-expired, exit 1', async () => {
  const { code, out } = await run([realFile, '--at', '2026-11-27T10:00:00Z', '--json']);
  assert.equal(code, 1);
  const doc = JSON.parse(out);
  assert.equal(doc.verdict, 'invalid');
  assert.deepEqual(doc.reasons.map((r: { code: string }) => r.code), ['leaf-expired', 'intermediate-expired']);
});

test('without --at the check time is now', async () => {
  const before = Date.now();
  const { out } = await run([realFile, '--json']);
  const checked = Date.parse(JSON.parse(out).checkedAt);
  assert.ok(checked >= before - 1000 && checked <= Date.now() + 1000);
});

test('human output names the verdict, each reason sentence, the chain and the configs', async () => {
  const { code, out } = await run([realFile, '--at', '2026-11-27T10:00:00Z']);
  assert.equal(code, 1);
  assert.match(out, /INVALID/);
  assert.match(out, /'Microsoft Exchange XML Signing' expired on 2022-06-09/);
  assert.match(out, /'Microsoft Code Signing PCA 2011' expired on 2026-07-08/);
  assert.match(out, /root\s+Microsoft Root Certificate Authority 2011/);
  assert.match(out, /PING1: EEMS Heartbeat probe/);
});

test('a tampered copy is signature-invalid (exit 1) and shows no definitions', async () => {
  const file = join(dir, 'tampered.xml');
  await writeFile(file, (await readFile(realFile, 'utf8')).replace('Heartbeat probe', 'Heartbeat prob3'));
  const { code, out } = await run([file, '--at', '2021-09-15T17:00:00Z', '--json']);
  assert.equal(code, 1);
  const doc = JSON.parse(out);
  assert.deepEqual(doc.reasons.map((r: { code: string }) => r.code), ['signature-invalid']);
  assert.deepEqual(doc.configs, []);
});

test('--trust-root adds a root: a test-PKI file is valid with it and untrusted-root without', async () => {
  const file = join(dir, 'lab.xml');
  const root = join(dir, 'root.pem');
  await writeFile(file, signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]));
  await writeFile(root, pki.root.certPem);
  const withRoot = await run([file, '--trust-root', root, '--at', '2030-01-01T00:00:00Z', '--json']);
  assert.equal(withRoot.code, 0);
  const without = await run([file, '--at', '2030-01-01T00:00:00Z', '--json']);
  assert.equal(without.code, 1);
  assert.deepEqual(JSON.parse(without.out).reasons.map((r: { code: string }) => r.code), ['untrusted-root']);
});

test('--knowledge with a feedTrust anchor trusts a feed signed under that chain; a wrong anchor refuses the update (exit 2)', async () => {
  const file = join(dir, 'anchored.xml');
  await writeFile(file, signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]));
  const sha256 = createHash('sha256').update(new X509Certificate(pki.root.certPem).raw).digest('hex');
  const update = join(dir, 'trust-update.json');
  const source = 'The test PKI of this run, standing in for a chain Microsoft introduced after this release.';
  await writeFile(update, JSON.stringify({ schemaVersion: 2, dataVersion: 'trust-1', feedTrust: { anchors: [{ name: pki.root.name, sha256, confidence: 'INFERRED', source }] } }));
  const trusted = await run([file, '--knowledge', update, '--at', '2030-01-01T00:00:00Z', '--json']);
  assert.equal(trusted.code, 0, trusted.out + trusted.err);
  assert.equal(JSON.parse(trusted.out).chain.at(-1).sha256, sha256);

  await writeFile(update, JSON.stringify({ schemaVersion: 2, feedTrust: { anchors: [{ name: pki.root.name, sha256: sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')), confidence: 'INFERRED', source, pem: pki.root.certPem }] } }));
  const refused = await run([file, '--knowledge', update, '--at', '2030-01-01T00:00:00Z', '--json']);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /knowledge override .*trust-update\.json: feedTrust\.anchors\[0\]: the pem of .* has the SHA-256 /);
});

test('bad input is one line on stderr and exit 2, no stack trace', async () => {
  const cases = [
    [join(dir, 'missing.xml')],
    [realFile, '--at', 'yesterday'],
    [],
    [realFile, '--trust-root', realFile],
    [realFile, '--frobnicate'],
  ];
  for (const args of cases) {
    const { code, out, err } = await run(args);
    assert.equal(code, 2, `args ${args.join(' ')}`);
    assert.equal(out, '');
    assert.equal(err.trim().split('\n').length, 1);
    assert.doesNotMatch(err, /\n\s+at /);
  }
});

test('a hostile file is a verdict, not a crash: doctype-forbidden with exit 1', async () => {
  const file = join(dir, 'xxe.xml');
  await writeFile(file, '<?xml version="1.0"?><!DOCTYPE EOCS [<!ENTITY x SYSTEM "file:///etc/passwd">]><EOCS>&x;</EOCS>');
  const { code, out } = await run([file, '--json']);
  assert.equal(code, 1);
  assert.deepEqual(JSON.parse(out).reasons.map((r: { code: string }) => r.code), ['doctype-forbidden']);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('--fetch through a proxy that refuses connections prints the proxy diagnosis and exits 1', async () => {
  const port = await closedPort();
  const { code, out } = await run(['--fetch', '--url', `https://127.0.0.1:${port}/getexchangemitigations`, '--proxy', `http://127.0.0.1:${port}`, '--timeout', '5', '--json']);
  assert.equal(code, 1);
  const doc = JSON.parse(out);
  assert.equal(doc.verdict, 'invalid');
  assert.equal(doc.fetch.ok, false);
  assert.equal(doc.fetch.diagnosis.code, 'proxy');
});

test('unreadable input exits 2 as the help says, with the next step: a missing file, a folder, a path through a file', async () => {
  for (const [path, why] of [[join(dir, 'missing.xml'), 'no such file'], [dir, 'it is a folder']] as const) {
    const { code, out, err } = await run([path]);
    assert.equal(code, 2, `${path}: ${err}`);
    assert.equal(out, '');
    assert.match(err, new RegExp(`cannot read .*: ${why}\\. Give the path of a mitigation definitions XML file\\.`));
  }
  // A path through a file (ENOTDIR): unreadable even as root, unlike a chmod 000 file.
  const throughFile = join(realFile, 'x');
  const notDir = await run([throughFile, '--json']);
  assert.equal(notDir.code, 2, notDir.err);
  assert.equal(notDir.out, '');
  assert.match(notDir.err, /cannot read .*: a part of the path is a file, not a folder\. Give the path/);
  assert.doesNotMatch(notDir.err, /ENOTDIR|\n\s+at /);
  const badRoot = await run([realFile, '--trust-root', join(dir, 'missing.pem')]);
  assert.equal(badRoot.code, 2);
});
