import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';
import { verifyFeed } from '../../../main/core/feed/verify-feed.js';

const real = readFileSync(fixture('real', 'ocs-ping1-2021-09.xml'), 'utf8');
const SIGNED_AT = new Date('2021-09-15T17:00:00Z');

test("Microsoft's real PING1 file is valid at the time it was signed, with config PING1", () => {
  const result = verifyFeed(real, { at: SIGNED_AT });
  assert.equal(result.verdict, 'valid');
  assert.deepEqual(result.reasons, []);
  assert.equal(result.signatureValid, true);
  assert.equal(result.checkedAt, '2021-09-15T17:00:00.000Z');
  assert.deepEqual(result.configs.map((c) => c.id), ['PING1']);
  assert.deepEqual(result.configs[0]?.actions.map((a) => [a.type, a.scope, a.value]), [['DoNothing', 'Server', 'DoNothing']]);
  assert.deepEqual(result.chain.map((c) => c.subject), ['Microsoft Exchange XML Signing', 'Microsoft Code Signing PCA 2011', 'Microsoft Root Certificate Authority 2011']);
  assert.equal(result.chain[2]?.sha256, '847df6a78497943f27fc72eb93f9a637320a02b561d0a91b09e87a7807ed7c61');
  assert.equal(result.chain[0]?.notAfter, '2022-06-09T18:44:12.000Z');
});

test('today the real file is invalid: the leaf AND the intermediate have expired, both reported', () => {
  const result = verifyFeed(real, { at: new Date('2026-11-27T10:00:00Z') });
  assert.equal(result.verdict, 'invalid');
  assert.deepEqual(result.reasons.map((r) => r.code), ['leaf-expired', 'intermediate-expired']);
  assert.match(result.reasons[0]?.message ?? '', /the signing certificate 'Microsoft Exchange XML Signing' expired on 2022-06-09/i);
  assert.match(result.reasons[1]?.message ?? '', /the intermediate 'Microsoft Code Signing PCA 2011' expired on 2026-07-08/i);
  // The signature itself still holds, so the signed definitions are shown.
  assert.equal(result.signatureValid, true);
  assert.deepEqual(result.configs.map((c) => c.id), ['PING1']);
});

test('between the two expiries only the leaf is reported', () => {
  const result = verifyFeed(real, { at: new Date('2023-01-01T00:00:00Z') });
  assert.deepEqual(result.reasons.map((r) => r.code), ['leaf-expired']);
});

test('one changed character in the Config desc makes the real file signature-invalid, with no configs shown', () => {
  const tampered = real.replace('EEMS Heartbeat probe.', 'EEMS Heartbeat probe!');
  assert.notEqual(tampered, real);
  const result = verifyFeed(tampered, { at: SIGNED_AT });
  assert.equal(result.verdict, 'invalid');
  assert.deepEqual(result.reasons.map((r) => r.code), ['signature-invalid']);
  assert.equal(result.signatureValid, false);
  assert.deepEqual(result.configs, []);
});

test('every single-letter change anywhere in the signed content is refused', () => {
  const end = real.indexOf('<Signature');
  const start = real.indexOf('<EOCS');
  let checked = 0;
  for (let i = start; i < end; i += 1) {
    const ch = real[i] as string;
    if (!/[A-Za-z0-9]/.test(ch)) continue;
    const swapped = ch === ch.toUpperCase() ? (/[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch.toLowerCase()) : ch.toUpperCase();
    const result = verifyFeed(real.slice(0, i) + swapped + real.slice(i + 1), { at: SIGNED_AT });
    assert.equal(result.verdict, 'invalid', `a change at offset ${i} was accepted`);
    assert.equal(result.signatureValid, false, `offset ${i}`);
    assert.deepEqual(result.configs, []);
    checked += 1;
  }
  assert.ok(checked > 200, `only ${checked} positions checked`);
});

test('a changed DigestValue or SignatureValue is signature-invalid', () => {
  const digest = real.replace('osOMhLEcCwGbZjhu2Ih6HGtADL5VdBuoapMN+QodZNk=', 'psOMhLEcCwGbZjhu2Ih6HGtADL5VdBuoapMN+QodZNk=');
  const value = real.replace('<SignatureValue>jI7j3nqX', '<SignatureValue>jI7j3nqY');
  for (const xml of [digest, value]) {
    const result = verifyFeed(xml, { at: SIGNED_AT });
    assert.deepEqual(result.reasons.map((r) => r.code), ['signature-invalid']);
  }
});
