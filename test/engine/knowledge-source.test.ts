import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findMitigation } from '../../main/core/mitigations/knowledge-base.js';
import { nameBuild, parseBuild } from '../../main/core/mitigations/builds.js';
import { knowledgeBehind } from '../../main/core/mitigations/knowledge-age.js';
import { loadKnowledgeSource, watchKnowledgeSource, type LoadedKnowledge } from '../../main/engine/knowledge-source.js';
import type { ServerState } from '../../main/core/model.js';
import { fixture } from '../support/paths.js';
import { createTestPki } from '../support/test-pki.js';
import { withTempDir } from '../support/temp-dir.js';

const NOW = () => new Date('2026-12-05T10:00:00Z');
const good = readFileSync(fixture('kb', 'overrides', 'good.json'), 'utf8');
const bad = readFileSync(fixture('kb', 'overrides', 'bad-fixed-build.json'), 'utf8');
let server: Server;
let origin = '';
let ca: string[] = [];
let served = 0;

before(async () => {
  const pki = createTestPki();
  ca = [pki.root.certPem];
  server = createServer({ key: pki.tlsServer.keyPem, cert: pki.tlsServer.certPem + pki.intermediate.certPem }, (req, res) => {
    served += 1;
    if (req.url === '/good.json') return res.end(good);
    if (req.url === '/bad.json') return res.end(bad);
    if (req.url === '/huge.json') return res.end(`{"schemaVersion":2,"$comment":"${'x'.repeat(300_000)}"}`);
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/good.json' });
      return res.end();
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

test('no update set: the built-in knowledge with its version and date', async () => {
  const { kb, info } = await loadKnowledgeSource({ now: NOW });
  assert.deepEqual([info.source, info.location, info.lastError, info.version, info.date], ['built-in', null, null, kb.versions.mitigations, kb.versions.date]);
});

test('an https URL update is applied all at once and named with its version and date', async () => {
  const { kb, info } = await loadKnowledgeSource({ url: `${origin}/good.json`, now: NOW, ca });
  assert.equal(info.lastError, null, info.lastError ?? '');
  assert.deepEqual([info.source, info.location], ['url', `${origin}/good.json`]);
  assert.match(info.version, /\+ test-override-1$/);
  assert.ok(findMitigation(kb, 'M9'), 'the new mitigation is in force');
  assert.equal(nameBuild(parseBuild('15.2.1748.57')!, kb).label, 'Exchange 2019 CU15 Dec26SU');
});

test('a refused update leaves the previous knowledge in force and says why, with the field at fault', async () => {
  const previous = await loadKnowledgeSource({ url: `${origin}/good.json`, now: NOW, ca });
  const refused = await loadKnowledgeSource({ url: `${origin}/bad.json`, now: NOW, ca }, previous);
  assert.equal(refused.kb, previous.kb, 'nothing of the bad update was applied');
  assert.match(refused.info.lastError!, /mitigations\[1\]\.lines\[0\]\.fixedIn\[0\]\.build: expected a build/);
  assert.match(refused.info.lastError!, /previous update .* stays in force/);
  const fromStart = await loadKnowledgeSource({ url: `${origin}/bad.json`, now: NOW, ca });
  assert.deepEqual([fromStart.info.source, findMitigation(fromStart.kb, 'M9')], ['built-in', null]);
  assert.match(fromStart.info.lastError!, /built-in knowledge stays in force/);
});

test('http, redirects, oversized bodies and an untrusted certificate are refused', async () => {
  const cases: [Parameters<typeof loadKnowledgeSource>[0], RegExp][] = [
    [{ url: `http://127.0.0.1:1/good.json`, now: NOW }, /only https:\/\/ URLs/],
    [{ url: `${origin}/moved`, now: NOW, ca }, /could not be read/],
    [{ url: `${origin}/huge.json`, now: NOW, ca, maxBytes: 100_000 }, /more than the 100000 bytes/],
    [{ url: `${origin}/good.json`, now: NOW }, /could not be read/],
    [{ url: `${origin}/missing.json`, now: NOW, ca }, /HTTP 404/],
  ];
  for (const [options, reason] of cases) {
    const r = await loadKnowledgeSource(options);
    assert.equal(r.info.source, 'built-in', String(options.url));
    assert.match(r.info.lastError ?? '', reason, String(options.url));
  }
  assert.ok(served >= 3);
});

test('a file update: applied, or refused whole when it is not JSON', async () => {
  await withTempDir('kb-file', async (dir) => {
    const file = join(dir, 'update.json');
    await writeFile(file, good);
    const ok = await loadKnowledgeSource({ file, now: NOW });
    assert.deepEqual([ok.info.source, ok.info.lastError], ['file', null]);
    await writeFile(file, '{ "schemaVersion": 2, ');
    const broken = await loadKnowledgeSource({ file, now: NOW }, ok);
    assert.equal(broken.kb, ok.kb);
    assert.match(broken.info.lastError!, /not valid JSON/);
  });
});

test('the knowledge is behind when a watched server runs a build the table does not know', async () => {
  const { kb } = await loadKnowledgeSource({ now: NOW });
  const at = (ExSetupVersion: string): ServerState => ({ Name: `EX-${ExSetupVersion}`, ExSetupVersion, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null });
  assert.equal(knowledgeBehind([at('15.2.1748.53'), at('15.2.2562.53')], kb), null);
  const behind = knowledgeBehind([at('15.2.1748.53'), at('15.2.1748.57')], kb)!;
  assert.match(behind, /EX-15\.2\.1748\.57 \(15\.2\.1748\.57\) runs a build the build table does not know yet/);
  const updated = await loadKnowledgeSource({ url: `${origin}/good.json`, now: NOW, ca });
  assert.equal(knowledgeBehind([at('15.2.1748.57')], updated.kb), null, 'the update adds the row');
});

test('a changed update file is read again without a restart; an unchanged one is not read; a broken one keeps what is in force', async () => {
  await withTempDir('kb-watch', async (dir) => {
    const file = join(dir, 'update.json');
    await writeFile(file, good);
    const initial = await loadKnowledgeSource({ file, now: NOW });
    const changes: LoadedKnowledge[] = [];
    const watch = watchKnowledgeSource({ file, now: NOW, initial, onChange: (l) => changes.push(l), checkEveryMs: 3_600_000 });
    try {
      assert.equal(await watch.check(), false, 'nothing changed: nothing read');
      assert.equal(changes.length, 0);
      const next = JSON.parse(good) as { dataVersion: string; mitigations: Array<{ id: string; userImpact?: string }> };
      next.dataVersion = 'test-override-2';
      next.mitigations[0]!.userImpact = 'Second edition: OWA add-ins stop working.';
      await writeFile(file, JSON.stringify(next));
      assert.equal(await watch.check(), true);
      assert.match(watch.current().info.version, /\+ test-override-2$/);
      assert.equal(findMitigation(watch.current().kb, 'M2')?.userImpact, 'Second edition: OWA add-ins stop working.');
      assert.deepEqual(changes.map((c) => c.info.version), [watch.current().info.version]);

      await writeFile(file, '{ "schemaVersion": 2, ');
      assert.equal(await watch.check(), true);
      assert.equal(watch.current().kb, changes[0]!.kb, 'the second edition stays in force');
      assert.match(watch.current().info.lastError!, /not valid JSON\. The previous update \(.*test-override-2\) stays in force; .*read again within a minute of a change/);
    } finally {
      watch.stop();
    }
  });
});

test('a knowledge URL is fetched again only after six hours', async () => {
  let now = new Date('2026-12-05T10:00:00Z');
  const clock = () => now;
  const initial = await loadKnowledgeSource({ url: `${origin}/good.json`, now: clock, ca });
  const watch = watchKnowledgeSource({ url: `${origin}/good.json`, now: clock, ca, initial, onChange: () => undefined, checkEveryMs: 3_600_000 });
  try {
    const before = served;
    now = new Date('2026-12-05T15:59:00Z');
    assert.equal(await watch.check(), false);
    assert.equal(served, before, 'not fetched before six hours');
    now = new Date('2026-12-05T16:00:00Z');
    assert.equal(await watch.check(), true);
    assert.equal(served, before + 1);
    assert.equal(watch.current().info.lastError, null);
  } finally {
    watch.stop();
  }
});

test('a feedTrust section that is wrong refuses the whole update: none of its mitigations apply either', async () => {
  const doc = { ...JSON.parse(good), feedTrust: { anchors: [{ name: 'x', sha256: 'abc', confidence: 'CONFIRMED', source: 'nowhere in particular' }] } };
  await withTempDir('kb-trust', async (dir) => {
    const file = join(dir, 'update.json');
    await writeFile(file, JSON.stringify(doc));
    const r = await loadKnowledgeSource({ file, now: NOW });
    assert.match(r.info.lastError ?? '', /feedTrust\.anchors\[0\]\.sha256/);
    assert.equal(findMitigation(r.kb, 'M9'), null);
  });
});
