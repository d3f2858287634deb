import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SignedXml } from 'xml-crypto';
import { createTestPki, eocs, signXml, TEST_AT, type TestPki } from '../../support/test-pki.js';
import { parseCanonicalXml, parseXmlSafely } from '../../../main/core/feed/safe-xml.js';
import { inspectSignature } from '../../../main/core/feed/signature-structure.js';
import { readConfigs } from '../../../main/core/feed/definitions.js';
import { verifyFeed } from '../../../main/core/feed/verify-feed.js';

let pki: TestPki;

before(() => {
  pki = createTestPki();
});

/** What xml-crypto hands back for a verified file: the canonical signed content. */
function signedContentOf(xml: string): string {
  const parsed = parseXmlSafely(xml);
  assert.ok(parsed.ok);
  const signature = inspectSignature(parsed.doc, parsed.root).signature;
  assert.ok(signature);
  const signed = new SignedXml({ publicCert: pki.leaf.certPem, getCertFromKeyInfo: () => null });
  signed.loadSignature(signature);
  assert.equal(signed.checkSignature(xml), true);
  const [content] = signed.getSignedReferences();
  assert.equal(typeof content, 'string');
  return content as string;
}

test('the canonical content xml-crypto returns parses, and the definitions read from it', () => {
  const content = signedContentOf(signXml(eocs([{ id: 'PING1' }, { id: 'M2', value: 'a &lt; b' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]));
  const parsed = parseCanonicalXml(content);
  assert.ok(parsed.ok);
  assert.equal(parsed.root.localName, 'EOCS');
  assert.deepEqual(readConfigs(parsed.root).map((c) => [c.id, c.actions[0]?.value]), [['PING1', 'DoNothing'], ['M2', 'a < b']]);
  // The enveloped signature is not part of what was signed.
  assert.ok(!content.includes('Signature'));
});

test('comments and CDATA even where the signer put them: the signature holds over the canonical form, the file is still refused', () => {
  const xml = signXml(eocs([{ id: 'PING1', value: '<![CDATA[<rule name="x"/>]]><!-- a note -->' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
  const result = verifyFeed(xml, { at: TEST_AT, extraTrustedRoots: [pki.root.certPem] });
  // The comment is not signed (C14N without comments), so a reader of the raw file sees unsigned content.
  assert.deepEqual(result.reasons.map((r) => r.code), ['non-canonical-content']);
  assert.equal(result.signatureValid, true);
  // What is shown comes from the canonical signed form, where "<!" never remains.
  assert.equal(result.configs[0]?.actions[0]?.value, '<rule name="x"/>');
});

test('anything that is not the canonical form of one element is refused', () => {
  for (const bad of [
    '<!DOCTYPE EOCS [<!ENTITY x "y">]><EOCS>&x;</EOCS>',
    '<EOCS><!-- hidden --></EOCS>',
    '<EOCS><![CDATA[x]]></EOCS>',
    '<EOCS/><EOCS/>',
    '<EOCS/>text',
    ' <EOCS/>',
    '<?xml version="1.0"?><EOCS/>',
    '<EOCS><Config></EOCS>',
    '<EOCS>&undefined;</EOCS>',
    '',
  ]) {
    assert.equal(parseCanonicalXml(bad).ok, false, bad);
  }
});
