/**
 * A knowledge update is taken without a restart (issue 11.2): the running stack reads the file
 * again when it changes, the verdict views and the version shown follow at once, a broken edit
 * keeps what was in force, and the update's feedTrust decides what verifyFeed trusts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SettingsPort } from '../../main/api/api-service.js';
import type { FeedVerificationView, KnowledgeView, Overview } from '../../main/api/eems-api.js';
import { createEemsRuntime, type EemsRuntime } from '../../main/api/runtime.js';
import { defaultSettings, parseSettings, type Settings } from '../../main/engine/settings/settings-schema.js';
import { advanceLab, initLab } from '../../main/lab/index.js';
import { fixture } from '../support/paths.js';
import { createTestPki, eocs, signXml } from '../support/test-pki.js';

let root = '';
let updateFile = '';
let runtime: EemsRuntime;
const said: string[] = [];

function memorySettings(initial: Settings): SettingsPort {
  let current = initial;
  return {
    get: () => current,
    update(next) {
      const parsed = parseSettings(next);
      if (parsed.ok) current = parsed.value;
      return parsed;
    },
  };
}

async function m2Impacts(): Promise<string[]> {
  const r = await runtime.service.call('getOverview', {});
  assert.ok(r.ok, JSON.stringify(r));
  const impacts = (r.value as Overview).servers.flatMap((s) => s.mitigations.filter((m) => m.id === 'M2').map((m) => m.userImpact ?? ''));
  assert.ok(impacts.length > 0, 'the demo lab has M2 applied somewhere');
  return [...new Set(impacts)];
}

async function knowledge(): Promise<KnowledgeView> {
  const r = await runtime.service.call('getKnowledge', {});
  assert.ok(r.ok, JSON.stringify(r));
  return r.value as KnowledgeView;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'eems-kb-reload-'));
  const labDir = join(root, 'lab');
  await initLab(labDir, { scenario: 'demo' });
  await advanceLab(labDir, 2);
  updateFile = join(root, 'knowledge-update.json');
  await writeFile(updateFile, JSON.stringify({ schemaVersion: 2, dataVersion: 'reload-0', mitigations: [{ id: 'M2', userImpact: 'First text of the update.' }] }));
  const settings = parseSettings({ ...defaultSettings(), knowledgeOverrideFile: updateFile, connection: { ...defaultSettings().connection, mode: 'lab', labDir } });
  assert.ok(settings.ok, settings.ok ? '' : settings.error);
  runtime = await createEemsRuntime({
    settings: memorySettings(settings.value),
    dataDir: join(root, 'data'),
    notifier: null,
    labHourSeconds: 0,
    // The test looks with check(); the timer must not race it.
    knowledgeCheckMs: 3_600_000,
    say: (line) => said.push(line),
  });
  await runtime.engine.pollNow();
});
after(async () => {
  await runtime?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

test('an edited update file is in force after the next look, with no restart: version and verdict texts follow', async () => {
  const first = await knowledge();
  assert.deepEqual([first.source, first.location, first.lastError], ['file', updateFile, null]);
  assert.match(first.version, /\+ reload-0$/);
  assert.deepEqual(await m2Impacts(), ['First text of the update.']);

  // Unchanged file: nothing is read again.
  assert.equal(await runtime.knowledgeWatch.check(), false);

  await writeFile(updateFile, await readFile(fixture('kb', 'overrides', 'good.json'), 'utf8'));
  assert.equal(await runtime.knowledgeWatch.check(), true);
  const second = await knowledge();
  assert.match(second.version, /\+ test-override-1$/);
  assert.equal(second.lastError, null);
  assert.deepEqual(await m2Impacts(), ['Changed by the override: OWA add-ins stop working.']);
});

test('a broken edit keeps the knowledge in force and says why, in the view and on the log', async () => {
  const before = await knowledge();
  await writeFile(updateFile, '{"schemaVersion": 2, "mitigations": [ broken');
  await runtime.knowledgeWatch.check();
  const after = await knowledge();
  assert.equal(after.version, before.version, 'the previous update stays in force');
  assert.match(after.lastError ?? '', /knowledge-update\.json/);
  assert.match(after.lastError ?? '', /the file is read again within a minute of a change/);
  assert.ok(said.some((line) => line === after.lastError), 'the refusal is said once on the log');
  assert.deepEqual(await m2Impacts(), ['Changed by the override: OWA add-ins stop working.']);
});

test("verifyFeed trusts a chain the update's feedTrust anchors, and only while the update says so", async () => {
  const pki = createTestPki();
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
  const verify = async () => {
    const r = await runtime.service.call('verifyFeed', { xml });
    assert.ok(r.ok, JSON.stringify(r));
    return (r.value as FeedVerificationView).reasons.map((reason) => reason.code);
  };
  assert.deepEqual(await verify(), ['untrusted-root']);

  const sha256 = createHash('sha256').update(new X509Certificate(pki.root.certPem).raw).digest('hex');
  const source = 'The test PKI of this run, standing in for a chain Microsoft introduces after this release.';
  await writeFile(updateFile, JSON.stringify({ schemaVersion: 2, dataVersion: 'trust-1', feedTrust: { anchors: [{ name: pki.root.name, sha256, confidence: 'INFERRED', source }] } }));
  assert.equal(await runtime.knowledgeWatch.check(), true);
  assert.deepEqual(await verify(), [], 'valid under the anchor the update added');

  await writeFile(updateFile, JSON.stringify({ schemaVersion: 2, dataVersion: 'trust-2' }));
  await runtime.knowledgeWatch.check();
  assert.deepEqual(await verify(), ['untrusted-root'], 'the anchor left with the update that brought it');
});
