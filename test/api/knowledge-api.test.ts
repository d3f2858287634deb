import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiService, KnowledgeView } from '../../main/api/eems-api.js';
import type { Settings } from '../../main/engine/settings/settings-schema.js';
import { startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;
before(async () => {
  stack = await startLabStack({ hours: 2 });
  api = stack.running.service;
});
after(async () => stack?.close());

test('getKnowledge: the version and date in force, where it came from, no warning while the table knows every build', async () => {
  const r = await api.call('getKnowledge', {});
  assert.ok(r.ok, JSON.stringify(r));
  const k = r.value as KnowledgeView;
  assert.deepEqual([k.source, k.location, k.lastError, k.warning], ['built-in', null, null, null]);
  assert.match(k.version, /^\d{4}\.\d+\.\d+$/);
  assert.match(k.date, /^\d{4}-\d{2}-\d{2}$/);
});

test('the knowledge source cannot be changed through the API (only in the settings file on disk)', async () => {
  for (const settings of [{ knowledgeUrl: 'https://attacker.example/kb.json' }, { knowledgeOverrideFile: '/tmp/evil.json' }]) {
    const r = await api.call('updateSettings', { settings });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'bad-request');
    assert.match(!r.ok ? r.error.message : '', /Knowledge-base (update URL|override file) cannot be changed from the Settings view, because .*; change it in the settings file /);
  }
  const current = await api.call('getSettings', {});
  assert.ok(current.ok);
  const saved = current.value as Settings;
  assert.deepEqual([saved.knowledgeUrl, saved.knowledgeOverrideFile], [null, null]);
  // Sending the unchanged values (a whole settings form) is fine.
  const same = await api.call('updateSettings', { settings: { knowledgeUrl: null, knowledgeOverrideFile: null } });
  assert.ok(same.ok, JSON.stringify(same));
});
