import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';
import { createTestPki, eocs, pemBody, signXml, TEST_AT, type TestPki } from '../../support/test-pki.js';
import { FEED_REASON_CODES, verifyFeed, type FeedReasonCode, type FeedVerification } from '../../../main/core/feed/verify-feed.js';

let pki: TestPki;
let trust: string[];
const seen = new Set<FeedReasonCode>();

before(() => {
  pki = createTestPki();
  trust = [pki.root.certPem];
});

/** Verify at the test time with the test root trusted, and remember which codes came up. */
function verify(xml: string | Buffer, extra: { trustRoot?: boolean; maxBytes?: number; maxElements?: number } = {}): FeedVerification {
  const result = verifyFeed(xml, { at: TEST_AT, extraTrustedRoots: extra.trustRoot === false ? [] : trust, maxBytes: extra.maxBytes, maxElements: extra.maxElements });
  for (const r of result.reasons) seen.add(r.code);
  return result;
}

function codes(result: FeedVerification): string[] {
  return result.reasons.map((r) => r.code);
}

function goodChain(): string {
  return signXml(eocs([{ id: 'PING1' }, { id: 'M2', desc: 'Mitigation of CVE-2026-42897.' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
}

/** What an attack must never achieve: a valid verdict, or the attacker's Config being shown. */
function assertRefused(result: FeedVerification, ...expected: FeedReasonCode[]): void {
  assert.equal(result.verdict, 'invalid');
  assert.ok(!result.configs.some((c) => c.id === 'EVIL'), 'the attacker\'s Config was read');
  for (const code of expected) assert.ok(codes(result).includes(code), `expected ${code}, got ${codes(result).join(', ')}`);
}

test('a file signed by a leaf with both EKUs that chains to a trusted root is valid, with its configs', () => {
  const result = verify(goodChain());
  assert.equal(result.verdict, 'valid');
  assert.deepEqual(result.reasons, []);
  assert.deepEqual(result.configs.map((c) => [c.id, c.desc]), [['PING1', 'Test mitigation PING1.'], ['M2', 'Mitigation of CVE-2026-42897.']]);
  assert.deepEqual(result.chain.map((c) => c.role), ['leaf', 'intermediate', 'root']);
  assert.equal(result.chain[2]?.trusted, true);
});

test('RSA-SHA512 is accepted as part of the RSA-SHA256 family', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root], {
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha512',
  });
  assert.equal(verify(xml).verdict, 'valid');
});

test('certificate-order: the chain listed root first is refused, though the signature holds (KeyInfo is not signed)', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.root, pki.intermediate, pki.leaf]);
  const result = verify(xml);
  assert.deepEqual(codes(result), ['certificate-order']);
  assert.equal(result.signatureValid, true);
  assert.match(result.reasons[0]?.message ?? '', /the first certificate is 'EEMS Test Root CA', not the signing certificate 'EEMS Test XML Signing'/);
  // Leaf first but the issuers swapped: still not the order Microsoft signs with.
  assert.deepEqual(codes(verify(signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.root, pki.intermediate]))), ['certificate-order']);
});

test('extra-certificate: a certificate that is no link of the chain, or unreadable, is refused', () => {
  const extra = verify(signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root, pki.foreignRoot]));
  assert.deepEqual(codes(extra), ['extra-certificate']);
  assert.match(extra.reasons[0]?.message ?? '', /certificate 4 \('Attacker Root CA'\) is not part of the signing chain/);
  const garbage = goodChain().replace('</X509Data>', '<X509Certificate>bm90IGEgY2VydGlmaWNhdGU=</X509Certificate></X509Data>');
  assert.deepEqual(codes(verify(garbage)), ['extra-certificate']);
});

test('untrusted-root: the same file without --trust-root, because a root in the file is never trusted by itself', () => {
  const result = verify(goodChain(), { trustRoot: false });
  assert.deepEqual(codes(result), ['untrusted-root']);
  assert.match(result.reasons[0]?.message ?? '', /'EEMS Test Root CA'/);
  // The signature holds, but content from a key that reaches no trusted root is not shown.
  assert.equal(result.signatureValid, true);
  assert.deepEqual(result.configs, []);
});

test('chain-incomplete: the intermediate is missing from X509Data', () => {
  const result = verify(signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf]));
  assert.deepEqual(codes(result), ['chain-incomplete']);
  assert.match(result.reasons[0]?.message ?? '', /'EEMS Test Code Signing PCA'/);
});

test('chain-incomplete: a signature with no certificate at all', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.leaf, []).replace(/<KeyInfo>[\s\S]*<\/KeyInfo>/, '');
  const result = verify(xml);
  assert.deepEqual(codes(result), ['chain-incomplete']);
  assert.equal(result.signatureValid, false);
});

test('leaf-expired names the certificate and the date', () => {
  const result = verify(signXml(eocs([{ id: 'PING1' }]), pki.expiredLeaf, [pki.expiredLeaf, pki.intermediate, pki.root]));
  assert.deepEqual(codes(result), ['leaf-expired']);
  assert.match(result.reasons[0]?.message ?? '', /the signing certificate 'EEMS Test XML Signing Expired' expired on 2021-01-01/i);
});

test('leaf-not-yet-valid names the certificate and the date', () => {
  const result = verify(signXml(eocs([{ id: 'PING1' }]), pki.notYetValidLeaf, [pki.notYetValidLeaf, pki.intermediate, pki.root]));
  assert.deepEqual(codes(result), ['leaf-not-yet-valid']);
  assert.match(result.reasons[0]?.message ?? '', /'EEMS Test XML Signing Future' is not valid before 2035-01-01/);
});

test('intermediate-expired names the intermediate and the date', () => {
  const result = verify(signXml(eocs([{ id: 'PING1' }]), pki.leafUnderExpiredIntermediate, [pki.leafUnderExpiredIntermediate, pki.expiredIntermediate, pki.root]));
  assert.deepEqual(codes(result), ['intermediate-expired']);
  assert.match(result.reasons[0]?.message ?? '', /the intermediate 'EEMS Test Expired PCA' expired on 2022-01-01/i);
});

test('eku-missing: a plain code-signing certificate lacks Microsoft\'s XML signing EKU', () => {
  const result = verify(signXml(eocs([{ id: 'PING1' }]), pki.wrongEkuLeaf, [pki.wrongEkuLeaf, pki.intermediate, pki.root]));
  assert.deepEqual(codes(result), ['eku-missing']);
  assert.match(result.reasons[0]?.message ?? '', /1\.3\.6\.1\.4\.1\.311\.76\.57\.1\.11/);
});

test('every failing check is reported, not only the first', () => {
  const xml = signXml(eocs([{ id: 'PING1' }]), pki.expiredLeaf, [pki.expiredLeaf, pki.intermediate, pki.root]);
  const result = verify(xml, { trustRoot: false });
  assert.deepEqual(codes(result).sort(), ['leaf-expired', 'untrusted-root']);
});

test('weak-algorithm: RSA-SHA1 and a SHA-1 digest are refused', () => {
  const sha1Sig = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root], { signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' });
  const sha1Digest = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root], { digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1' });
  for (const xml of [sha1Sig, sha1Digest]) {
    const result = verify(xml);
    assert.ok(codes(result).includes('weak-algorithm'));
    assert.equal(result.signatureValid, false);
    assert.deepEqual(result.configs, []);
  }
});

test('signature-invalid: content changed after signing; nothing of it is shown', () => {
  const result = verify(goodChain().replace('Test mitigation PING1.', 'Test mitigation PING2.'));
  assert.deepEqual(codes(result), ['signature-invalid']);
  assert.deepEqual(result.configs, []);
});

test('no-signature, malformed-xml', () => {
  assert.deepEqual(codes(verify(eocs([{ id: 'PING1' }]))), ['no-signature']);
  assert.deepEqual(codes(verify('<EOCS><Config id="PING1"></EOCS>')), ['malformed-xml']);
  assert.deepEqual(codes(verify('<EOCS/><EOCS/>')), ['malformed-xml']);
  assert.deepEqual(codes(verify('not xml at all')), ['malformed-xml']);
  assert.deepEqual(codes(verify(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]))), ['malformed-xml']);
});

test('too-large: over the size limit (default 5 MB) is refused before parsing', () => {
  const big = `<EOCS>${' '.repeat(5 * 1024 * 1024)}</EOCS>`;
  assert.deepEqual(codes(verify(big)), ['too-large']);
  assert.deepEqual(codes(verify(goodChain(), { maxBytes: 1000 })), ['too-large']);
});

test('attack: XXE (external entity) is refused as doctype-forbidden before any parsing', () => {
  const xxe = `<?xml version="1.0"?>\n<!DOCTYPE EOCS [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<EOCS><Config id="EVIL" desc="&xxe;"/></EOCS>`;
  assertRefused(verify(xxe), 'doctype-forbidden');
  assertRefused(verify(xxe.replace('DOCTYPE', 'doctype')), 'doctype-forbidden');
});

test('attack: entity expansion (billion laughs) is refused as doctype-forbidden', () => {
  const entities = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('\n');
  const bomb = `<?xml version="1.0"?>\n<!DOCTYPE EOCS [\n${entities}\n]>\n<EOCS><Config id="EVIL" desc="&lol9;"/></EOCS>`;
  assertRefused(verify(bomb), 'doctype-forbidden');
  // Even a signed document gains nothing from a DOCTYPE.
  const signed = goodChain().replace('<EOCS', '<!DOCTYPE EOCS>\n<EOCS');
  assertRefused(verify(signed), 'doctype-forbidden');
});

test('attack: a second signature is refused as multiple-signatures', () => {
  const good = goodChain();
  const signature = good.slice(good.indexOf('<Signature'), good.indexOf('</EOCS>'));
  assertRefused(verify(good.replace('</EOCS>', `${signature}</EOCS>`)), 'multiple-signatures');
  // An attacker's document signed by the attacker, then wrapped with the genuine signature too.
  const evil = signXml(eocs([{ id: 'EVIL' }]), pki.foreignLeaf, [pki.foreignLeaf, pki.foreignRoot]);
  assertRefused(verify(evil.replace('</EOCS>', `${signature}</EOCS>`)), 'multiple-signatures');
});

test('attack: a wrapped copy of the signed document under an attacker root is refused', () => {
  const good = goodChain().replace(/^<\?xml[^>]*>\s*/, '');
  const wrapped = `<EOCS version="1.0.4"><Config id="EVIL" desc="attacker"><ActionList><Action type="IISUrlRewriteOutbound" scope="Server" desc="x"><Value>evil</Value></Action></ActionList></Config><Wrapper>${good}</Wrapper></EOCS>`;
  assertRefused(verify(wrapped), 'reference-not-root');
});

test('attack: the signature moved to the root with the signed EOCS hidden inside its Object', () => {
  const good = goodChain().replace(/^<\?xml[^>]*>\s*/, '');
  const signature = good.slice(good.indexOf('<Signature'), good.indexOf('</EOCS>'));
  const original = good.replace(signature, '');
  const moved = signature.replace('</Signature>', `<Object>${original}</Object></Signature>`);
  const attack = `<EOCS version="1.0.4"><Config id="EVIL" desc="attacker"/>${moved}</EOCS>`;
  // The signed EOCS (and its Configs) inside the Object is content nobody signed there: refused before xml-crypto.
  assertRefused(verify(attack), 'unsigned-config', 'unknown-signature-element');
});

test('attack: a Reference pointing to a sibling element (URI="#PING1") is refused as reference-not-root', () => {
  const signedPing = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root], { referenceUri: '#PING1' });
  assert.match(signedPing, /URI="#PING1"/);
  const withEvil = signedPing.replace('<EOCS version="1.0.4">', '<EOCS version="1.0.4"><Config id="EVIL" desc="attacker"/>');
  assertRefused(verify(withEvil), 'reference-not-root');
  assertRefused(verify(signedPing), 'reference-not-root');
});

test('attack: a Reference without the enveloped-signature transform is refused', () => {
  const xml = goodChain().replace('<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>', '');
  assert.notEqual(xml, goodChain());
  assertRefused(verify(xml), 'reference-not-root');
});

test('attack: a comment inside the DigestValue is refused', () => {
  const good = goodChain();
  const xml = good.replace(/<DigestValue>(.{6})/, '<DigestValue>$1<!--x-->');
  assert.notEqual(xml, good);
  assertRefused(verify(xml), 'signature-invalid');
  const cdata = good.replace(/<SignatureValue>([^<]+)<\/SignatureValue>/, '<SignatureValue><![CDATA[$1]]></SignatureValue>');
  assert.notEqual(cdata, good);
  assertRefused(verify(cdata), 'signature-invalid');
});

test("attack: the attacker's self-signed certificate first in KeyInfo, ahead of the genuine chain", () => {
  const evil = signXml(eocs([{ id: 'EVIL' }]), pki.selfSigned, [pki.selfSigned, pki.leaf, pki.intermediate, pki.root]);
  const result = verify(evil);
  assertRefused(result, 'untrusted-root');
  assert.equal(result.chain[0]?.subject, 'Microsoft Exchange XML Signing');
  assert.match(result.reasons[0]?.message ?? '', /self-signed certificate 'Microsoft Exchange XML Signing'/);
  assert.deepEqual(result.configs, []);
});

test('attack: an attacker chain to a foreign root, even with the real Microsoft root added to KeyInfo', () => {
  const realXml = readFileSync(fixture('real', 'ocs-ping1-2021-09.xml'), 'utf8');
  const msRoot = [...realXml.matchAll(/<X509Certificate>([^<]+)<\/X509Certificate>/g)][2]?.[1] ?? '';
  const evil = signXml(eocs([{ id: 'EVIL' }]), pki.foreignLeaf, [pki.foreignLeaf, pki.foreignRoot]);
  assertRefused(verify(evil), 'untrusted-root');
  const withMsRoot = evil.replace('</X509Data>', `<X509Certificate>${msRoot}</X509Certificate></X509Data>`);
  // Adding the pinned root changes KeyInfo only (not signed content); the chain still cannot reach it.
  assertRefused(verify(withMsRoot), 'untrusted-root');
});

test('attack: genuine certificates in KeyInfo with a signature made by another key', () => {
  const evil = signXml(eocs([{ id: 'EVIL' }]), pki.foreignLeaf, [pki.leaf, pki.intermediate, pki.root]);
  assertRefused(verify(evil), 'signature-invalid');
});

test('attack: an RSAKeyValue in KeyInfo is never used as the key', () => {
  const evil = signXml(eocs([{ id: 'EVIL' }]), pki.foreignLeaf, [pki.leaf, pki.intermediate, pki.root]);
  const foreignKey = pemBody(pki.foreignLeaf.certPem);
  const withKeyValue = evil.replace('<KeyInfo>', `<KeyInfo><KeyValue><RSAKeyValue><Modulus>${foreignKey.slice(0, 40)}</Modulus><Exponent>AQAB</Exponent></RSAKeyValue></KeyValue>`);
  assertRefused(verify(withKeyValue), 'signature-invalid');
});

test('too-many-elements and too-deep: refused from the raw text and the tree, before any signature work', () => {
  const many = `<EOCS>${'<Config id="M" desc="x"/>'.repeat(5000)}</EOCS>`;
  const result = verify(many);
  assert.deepEqual(codes(result), ['too-many-elements']);
  assert.match(result.reasons[0]?.message ?? '', /more than 4,096 elements/);
  assert.deepEqual(result.chain, [], 'no certificate was even read');
  assert.deepEqual(codes(verify(goodChain(), { maxElements: 10 })), ['too-many-elements']);
  const deep = `<EOCS>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</EOCS>`;
  assert.deepEqual(codes(verify(deep)), ['too-deep']);
  // A genuine file is well inside both limits.
  assert.equal(verify(goodChain()).verdict, 'valid');
});

test('encoding-mismatch: UTF-8 bytes that declare another encoding', () => {
  const declared = goodChain().replace('encoding="utf-8"', 'encoding="utf-16"');
  const result = verify(Buffer.from(declared, 'utf8'));
  assert.deepEqual(codes(result), ['encoding-mismatch']);
  assert.equal(result.signatureValid, true, 'the declaration is outside what was signed');
  assert.equal(verify(goodChain().replace('encoding="utf-8"', 'encoding="UTF-8"')).verdict, 'valid');
  assert.equal(verify(goodChain().replace(' encoding="utf-8"', '')).verdict, 'valid', 'no encoding declared means UTF-8');
});

/**
 * The ten modified files of issue 14.9: each was reported valid because the change sat where the
 * signature does not look, or canonicalised back to the signed form. Each now has its own reason.
 */
const MODIFIED_FILES: Array<{ name: string; change: (good: string) => string; codes: string[]; signatureValid: boolean }> = [
  { name: 'a Config inside the Signature\'s Object', change: (g) => g.replace('</KeyInfo>', '</KeyInfo><Object><Config id="EVIL" desc="attacker"/></Object>'), codes: ['unsigned-config'], signatureValid: false },
  { name: 'a Config inside KeyInfo', change: (g) => g.replace('<KeyInfo>', '<KeyInfo><Config id="EVIL" desc="attacker"/>'), codes: ['unsigned-config'], signatureValid: false },
  { name: 'an unknown element inside the Signature', change: (g) => g.replace('</KeyInfo>', '</KeyInfo><Object><Rule name="EVIL"/></Object>'), codes: ['unknown-signature-element'], signatureValid: false },
  { name: 'the certificates reordered', change: (g) => reorderCertificates(g), codes: ['certificate-order'], signatureValid: true },
  { name: 'encoding="utf-16" declared over UTF-8 bytes', change: (g) => g.replace('encoding="utf-8"', 'encoding="utf-16"'), codes: ['encoding-mismatch'], signatureValid: true },
  { name: 'a comment', change: (g) => g.replace('<Config id="PING1"', '<!-- apply EVIL --><Config id="PING1"'), codes: ['non-canonical-content'], signatureValid: true },
  { name: 'a CDATA section', change: (g) => g.replace('<Value>DoNothing</Value>', '<Value><![CDATA[DoNothing]]></Value>'), codes: ['non-canonical-content'], signatureValid: true },
  { name: 'a character reference', change: (g) => g.replace('id="PING1"', 'id="&#x50;ING1"'), codes: ['non-canonical-content'], signatureValid: true },
  { name: 'a byte-order mark', change: (g) => `\uFEFF${g}`, codes: ['non-canonical-content'], signatureValid: true },
  // C14N keeps processing instructions, so this one also breaks the digest; it is still named.
  { name: 'a processing instruction', change: (g) => g.replace('<Config id="PING1"', '<?eems apply="EVIL"?><Config id="PING1"'), codes: ['signature-invalid', 'non-canonical-content'], signatureValid: false },
];

/** The same signed file with its first two certificates swapped (KeyInfo is outside the signed content). */
function reorderCertificates(good: string): string {
  const certs = [...good.matchAll(/<X509Certificate>[^<]*<\/X509Certificate>/g)].map((m) => m[0]);
  assert.ok(certs.length >= 2, 'the test file carries a chain');
  return good.replace(`${certs[0]}${certs[1]}`, `${certs[1]}${certs[0]}`);
}

for (const modified of MODIFIED_FILES) {
  test(`issue 14.9, ${modified.name}: the file is refused as ${modified.codes.join(' + ')}`, () => {
    const good = goodChain();
    const xml = modified.change(good);
    assert.notEqual(xml, good, 'the change applies to the test file');
    const result = verify(Buffer.from(xml, 'utf8'));
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(codes(result), modified.codes, JSON.stringify(result.reasons));
    assert.equal(result.signatureValid, modified.signatureValid);
    assert.ok(!result.configs.some((c) => c.id === 'EVIL'), 'nothing unsigned is shown as a definition');
  });
}

test('unsigned-config and unknown-signature-element: content put into the Signature, where nothing is signed', () => {
  const good = goodChain();
  const inKeyInfo = good.replace('<KeyInfo>', '<KeyInfo><Config id="EVIL" desc="attacker"/>');
  assertRefused(verify(inKeyInfo), 'unsigned-config');
  const inObject = good.replace('</KeyInfo>', '</KeyInfo><Object><Config id="EVIL" desc="attacker"/></Object>');
  assertRefused(verify(inObject), 'unsigned-config');
  const unknown = good.replace('</KeyInfo>', '</KeyInfo><Object><Rule name="EVIL"/></Object>');
  const result = verify(unknown);
  assertRefused(result, 'unknown-signature-element');
  assert.equal(result.signatureValid, false, 'not handed to xml-crypto');
  assertRefused(verify(good.replace('<SignatureValue>', 'EVIL<SignatureValue>')), 'unknown-signature-element');
});

test('every reason code of contracts.md came up in the tests above (runs last)', () => {
  // verification-timeout comes from the engine's worker (test/engine/feed-verifier.test.ts), not from core.
  const missing = FEED_REASON_CODES.filter((c) => !seen.has(c) && c !== 'verification-timeout');
  assert.deepEqual(missing, [], `reason codes never produced: ${missing.join(', ')}`);
});
