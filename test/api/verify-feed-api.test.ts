/** The verifyFeed API method runs off the main thread: other requests are answered meanwhile (issue 14.6). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiService, FeedVerificationView } from '../../main/api/eems-api.js';
import { createTestPki, eocs, signXml } from '../support/test-pki.js';
import { startLabStack, type LabStack } from '../headless/support/serve-lab.js';

let stack: LabStack;
let api: ApiService;
let heavy: string;

before(async () => {
  stack = await startLabStack({ hours: 2 });
  api = stack.running.service;
  const pki = createTestPki();
  heavy = signXml(eocs(Array.from({ length: 1000 }, (_, i) => ({ id: `M${i}` }))), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
});
after(async () => stack?.close());

test('while a heavy verifyFeed runs, getOverview and getSettings answer first', async () => {
  const order: string[] = [];
  const verify = api.call('verifyFeed', { xml: heavy }).then((r) => {
    order.push('verifyFeed');
    return r;
  });
  const others = [
    api.call('getOverview', {}).then((r) => order.push(`getOverview:${r.ok}`)),
    api.call('getSettings', {}).then((r) => order.push(`getSettings:${r.ok}`)),
  ];
  await Promise.all(others);
  assert.deepEqual([...order].sort(), ['getOverview:true', 'getSettings:true'], 'both answered before the verification finished');
  const result = await verify;
  assert.ok(result.ok);
  const view = result.value as FeedVerificationView;
  // The test root is not trusted here, but the signature was checked in full.
  assert.equal(view.signatureValid, true);
  assert.deepEqual(view.reasons.map((r) => r.code), ['untrusted-root']);
  assert.deepEqual(order.at(-1), 'verifyFeed');
});

test('an over-limit file through the API is refused with its reason, not an error', async () => {
  const result = await api.call('verifyFeed', { xml: `<EOCS>${'<Config id="M" desc="x"/>'.repeat(5000)}</EOCS>` });
  assert.ok(result.ok);
  assert.deepEqual((result.value as FeedVerificationView).reasons.map((r) => r.code), ['too-many-elements']);
});
