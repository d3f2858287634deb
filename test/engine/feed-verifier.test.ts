/** The feed verifier: definitions files checked in a worker thread with a time limit (issue 14.6). */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../support/paths.js';
import { createTestPki, eocs, signXml, TEST_AT, type TestPki } from '../support/test-pki.js';
import { createFeedVerifier } from '../../main/engine/feed-verifier.js';
import { verifyFeed } from '../../main/core/feed/verify-feed.js';

const real = readFileSync(fixture('real', 'ocs-ping1-2021-09.xml'));
const SIGNED_AT = new Date('2021-09-15T17:00:00Z');
let pki: TestPki;
/** A genuine, signed file of 1,000 Configs (4,017 elements, inside the limit): real work for xml-crypto. */
let heavy: string;

before(() => {
  pki = createTestPki();
  heavy = signXml(eocs(Array.from({ length: 1000 }, (_, i) => ({ id: `M${i}` }))), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
});

/** Event-loop turns taken while `work` runs: a blocked loop takes none. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await work;
  done = true;
  return { value, turns };
}

test('the worker gives exactly what verifyFeed gives: the real 2021 file is valid at its date', async () => {
  const verifier = createFeedVerifier();
  const result = await verifier.verify(real, { at: SIGNED_AT });
  assert.deepEqual(result, verifyFeed(real, { at: SIGNED_AT }));
  assert.equal(result.verdict, 'valid');
  assert.equal(verifier.workersStarted, 1);
});

test('a heavy verification leaves the event loop free: it keeps turning while the worker checks', async () => {
  const verifier = createFeedVerifier();
  const { value, turns } = await turnsDuring(verifier.verify(heavy, { at: TEST_AT, extraTrustedRoots: [pki.root.certPem] }));
  assert.equal(value.verdict, 'valid', JSON.stringify(value.reasons));
  assert.equal(value.configs.length, 1000);
  assert.ok(turns > 10, `the event loop turned ${turns} times during the check`);
});

test('an over-limit file is refused before any crypto: no worker is started, the reason names the limit', async () => {
  const verifier = createFeedVerifier();
  const many = `<EOCS>${'<Config id="M" desc="x"/>'.repeat(36000)}</EOCS>`;
  const result = await verifier.verify(Buffer.from(many), { at: TEST_AT });
  assert.deepEqual(result.reasons.map((r) => r.code), ['too-many-elements']);
  assert.match(result.reasons[0]?.message ?? '', /more than 4,096 elements/);
  const large = await verifier.verify('<EOCS>' + ' '.repeat(6 * 1024 * 1024) + '</EOCS>', { at: TEST_AT });
  assert.deepEqual(large.reasons.map((r) => r.code), ['too-large']);
  assert.equal(verifier.workersStarted, 0);
});

test('a verification past its time limit is stopped and reported as verification-timeout, in a sentence', async () => {
  const verifier = createFeedVerifier({ timeoutMs: 1 });
  const result = await verifier.verify(heavy, { at: TEST_AT, extraTrustedRoots: [pki.root.certPem] });
  assert.equal(result.verdict, 'invalid');
  assert.deepEqual(result.reasons.map((r) => r.code), ['verification-timeout']);
  assert.match(result.reasons[0]?.message ?? '', /took longer than 1 ms and was stopped/);
  assert.deepEqual(result.configs, [], 'nothing is shown from a check that did not finish');
  // The verifier is not left stuck: the next file is checked.
  const after = createFeedVerifier();
  assert.equal((await after.verify(real, { at: SIGNED_AT })).verdict, 'valid');
});

test('verifications queue: with concurrency 1, three files are checked one after the other, each correctly', async () => {
  const verifier = createFeedVerifier({ concurrency: 1 });
  const results = await Promise.all([real, real, real].map((xml) => verifier.verify(xml, { at: SIGNED_AT })));
  assert.deepEqual(results.map((r) => r.verdict), ['valid', 'valid', 'valid']);
  assert.equal(verifier.workersStarted, 3);
});
