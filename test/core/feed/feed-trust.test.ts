import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';
import { createTestPki, eocs, signXml, TEST_AT, type TestCert, type TestPki } from '../../support/test-pki.js';
import { applyFeedTrustOverride, defaultFeedTrust, verifyFeed, type FeedTrust } from '../../../main/core/feed/verify-feed.js';

let pki: TestPki;

before(() => {
  pki = createTestPki();
});

function sha256(cert: TestCert): string {
  return createHash('sha256').update(new X509Certificate(cert.certPem).raw).digest('hex');
}

/** The shipped trust plus the feedTrust section of an override; a refused section fails the test. */
function withOverride(section: unknown): FeedTrust {
  const merged = applyFeedTrustOverride(defaultFeedTrust(), section);
  assert.ok(merged.ok, merged.ok ? '' : merged.error);
  return merged.value;
}

const anchor = (cert: TestCert, extra: Record<string, unknown> = {}) => ({
  name: cert.name,
  sha256: sha256(cert),
  confidence: 'INFERRED',
  source: 'The test PKI built by test/support/test-pki.ts for this run.',
  ...extra,
});

test('the shipped trust pins Microsoft Root Certificate Authority 2011 and both EKUs, each with its source', () => {
  const trust = defaultFeedTrust();
  assert.deepEqual(trust.anchors.map((a) => [a.name, a.sha256, a.confidence]), [
    ['Microsoft Root Certificate Authority 2011', '847df6a78497943f27fc72eb93f9a637320a02b561d0a91b09e87a7807ed7c61', 'CONFIRMED'],
  ]);
  assert.deepEqual(trust.leafEkus.map((e) => e.oid), ['1.3.6.1.5.5.7.3.3', '1.3.6.1.4.1.311.76.57.1.11']);
  for (const fact of [...trust.anchors, ...trust.leafEkus]) assert.ok(fact.source.length > 20, `${fact.name} carries its source`);
});

test('the real 2021 file still verifies at its date under the data-driven trust, and not under a trust without its anchor', () => {
  const real = readFileSync(fixture('real', 'ocs-ping1-2021-09.xml'), 'utf8');
  const at = new Date('2021-09-15T17:00:00Z');
  assert.equal(verifyFeed(real, { at, trust: defaultFeedTrust() }).verdict, 'valid');
  const other = withOverride({ anchors: [anchor(pki.root)] });
  other.anchors = other.anchors.filter((a) => a.name !== 'Microsoft Root Certificate Authority 2011');
  const result = verifyFeed(real, { at, trust: other });
  assert.deepEqual(result.reasons.map((r) => r.code), ['untrusted-root']);
});

test('a second anchor from the override trusts a feed signed under another chain, with no --trust-root', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
  assert.deepEqual(verifyFeed(xml, { at: TEST_AT }).reasons.map((r) => r.code), ['untrusted-root']);
  const trust = withOverride({ anchors: [anchor(pki.root)] });
  assert.equal(trust.anchors.length, 2, 'added beside the Microsoft root, not instead of it');
  const result = verifyFeed(xml, { at: TEST_AT, trust });
  assert.equal(result.verdict, 'valid', JSON.stringify(result.reasons));
  assert.equal(result.chain.at(-1)?.sha256, sha256(pki.root));
});

test('an anchor given with its PEM completes a chain whose file carries only the leaf', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf]);
  assert.notEqual(verifyFeed(xml, { at: TEST_AT }).verdict, 'valid');
  const trust = withOverride({ anchors: [anchor(pki.intermediate, { pem: pki.intermediate.certPem })] });
  assert.equal(verifyFeed(xml, { at: TEST_AT, trust }).verdict, 'valid');
});

test('an anchor may require its own leaf EKUs: a leaf with Code Signing alone passes under it only', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.wrongEkuLeaf, [pki.wrongEkuLeaf, pki.intermediate, pki.root]);
  const strict = verifyFeed(xml, { at: TEST_AT, trust: withOverride({ anchors: [anchor(pki.root)] }) });
  assert.deepEqual(strict.reasons.map((r) => r.code), ['eku-missing']);
  const own = withOverride({ anchors: [anchor(pki.root, { leafEkus: ['1.3.6.1.5.5.7.3.3'] })] });
  assert.equal(verifyFeed(xml, { at: TEST_AT, trust: own }).verdict, 'valid');
});

test('--trust-root keeps working beside the data-driven trust', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
  assert.equal(verifyFeed(xml, { at: TEST_AT, extraTrustedRoots: [pki.root.certPem] }).verdict, 'valid');
});

test('a malformed feedTrust section is refused whole, naming the field and what to write', () => {
  const bad = applyFeedTrustOverride(defaultFeedTrust(), { anchors: [{ ...anchor(pki.root), sha256: 'abc' }] });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /^feedTrust\.anchors\[0\]\.sha256: expected a SHA-256 fingerprint/);
  const mismatch = applyFeedTrustOverride(defaultFeedTrust(), { anchors: [anchor(pki.root, { pem: pki.foreignRoot.certPem })] });
  assert.match(mismatch.ok ? '' : mismatch.error, /has the SHA-256 [0-9a-f]{64}, not the sha256 given/);
  const unknown = applyFeedTrustOverride(defaultFeedTrust(), { anchor: [] });
  assert.equal(unknown.ok, false);
  // Colons and upper case, as certificate viewers print fingerprints, are accepted.
  const printed = sha256(pki.root).toUpperCase().match(/../g)!.join(':');
  const merged = applyFeedTrustOverride(defaultFeedTrust(), { anchors: [anchor(pki.root, { sha256: printed })] });
  assert.ok(merged.ok && merged.value.anchors[1]?.sha256 === sha256(pki.root));
});

test('no override leaves the shipped trust as it is, and the shipped trust cannot be changed through a result', () => {
  const same = applyFeedTrustOverride(defaultFeedTrust(), undefined);
  assert.ok(same.ok && same.value.versions.override === false && same.value.anchors.length === 1);
  const trust = defaultFeedTrust();
  trust.anchors.length = 0;
  assert.equal(defaultFeedTrust().anchors.length, 1);
});
