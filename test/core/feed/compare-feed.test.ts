import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareFeedWithState } from '../../../main/core/feed/compare-feed.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { FeedConfig } from '../../../main/core/feed/feed-types.js';
import type { ServerState, StateDocument } from '../../../main/core/model.js';

function config(id: string, desc = ''): FeedConfig {
  return { id, desc, actions: [], attributes: {} };
}

function server(name: string, applied: string[], blocked: string[] = [], error: string | null = null): ServerState {
  return { Name: name, MitigationsApplied: applied, MitigationsBlocked: blocked, RewriteRules: [], AppPools: [], Services: [], Error: error };
}

function state(...servers: ServerState[]): StateDocument {
  return { collectedAt: '2026-11-27T10:00:00Z', organization: { MitigationsEnabled: true }, servers };
}

const kb = defaultKnowledgeBase();

test('a published family matches the applied version ("M2" vs "M2.1.0"); an unpublished one is named', () => {
  const published = [config('PING1', 'Heartbeat'), config('M2', 'OWA CSP')];
  const result = compareFeedWithState(published, state(server('EX01', ['PING1', 'M2.1.0']), server('EX02', ['PING1']), server('EX03', ['PING1', 'M1.1.0', 'M2.1.0'])), kb);
  const [ex01, ex02, ex03] = result.servers;
  assert.deepEqual(ex01?.missing, []);
  assert.deepEqual(ex01?.applied.map((m) => m.id), ['PING1', 'M2']);
  assert.deepEqual(ex02?.missing.map((m) => m.id), ['M2']);
  assert.deepEqual(ex03?.noLongerPublished.map((m) => [m.id, m.family]), [['M1.1.0', 'M1']]);
});

test('a family is not confused with a longer one ("M2" never matches "M21.0")', () => {
  const result = compareFeedWithState([config('M2')], state(server('EX01', ['M21.0'])), kb);
  assert.deepEqual(result.servers[0]?.missing.map((m) => m.id), ['M2']);
  assert.deepEqual(result.servers[0]?.noLongerPublished.map((m) => m.id), ['M21.0']);
});

test('a published mitigation the admin blocked is listed as blocked, not missing', () => {
  const result = compareFeedWithState([config('PING1'), config('M2')], state(server('EX01', ['PING1'], ['M2'])), kb);
  assert.deepEqual(result.servers[0]?.missing, []);
  assert.deepEqual(result.servers[0]?.blocked.map((m) => m.id), ['M2']);
});

test('a server that could not be read is not compared, and says why', () => {
  const result = compareFeedWithState([config('PING1')], state(server('EX09', [], [], 'Access denied')), kb);
  assert.equal(result.servers[0]?.error, 'Access denied');
  assert.deepEqual(result.servers[0]?.missing, []);
});
