/**
 * verifyFeed: checks a mitigation definitions XML as EEMS does (contracts.md, verify-feed) and
 * says which check failed. The key is never taken from the document: xml-crypto gets the leaf
 * this module validated as `publicCert`, and the definitions are read only from the canonical
 * XML that `getSignedReferences()` returns after `checkSignature() === true`.
 */
import { createHash, createVerify, type KeyLike } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { parseCanonicalXml, parseXmlSafely } from './safe-xml.js';
import { inspectSignature } from './signature-structure.js';
import { checkCertificateChain, checkCertificateList, readCertificate, readPemBundle, type CandidateCert } from './cert-chain.js';
import { readConfigs } from './definitions.js';
import { inspectUnsignedParts } from './unsigned-parts.js';
import type { FeedConfig, FeedReason, FeedVerification, VerifyFeedOptions } from './feed-types.js';

export type { FeedVerification, FeedReason, FeedConfig, FeedAction, FeedChainEntry, FeedReasonCode, VerifyFeedOptions } from './feed-types.js';
export { FEED_REASON_CODES } from './feed-types.js';
export { applyFeedTrustOverride, defaultFeedTrust, type FeedTrust } from './feed-trust.js';

/** More certificates than any real chain carries: beyond this, the rest are ignored. */
const MAX_CANDIDATES = 16;

/** RSA-SHA384, which xml-crypto 6 does not register by default (part of the accepted family). */
class RsaSha384 {
  getSignature(): string {
    throw new Error('EEMS Watch only verifies signatures; it never signs.');
  }
  verifySignature(material: string, key: KeyLike, signatureValue: string): boolean {
    return createVerify('RSA-SHA384').update(material).verify(key, signatureValue, 'base64');
  }
  getAlgorithmName(): string {
    return 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384';
  }
}

class Sha384 {
  getHash(xml: string): string {
    return createHash('sha384').update(xml, 'utf8').digest('base64');
  }
  getAlgorithmName(): string {
    return 'http://www.w3.org/2001/04/xmldsig-more#sha384';
  }
}

/**
 * Verify a mitigation definitions XML.
 * Every failed check is reported (not just the first). `at` defaults to now: callers that need
 * a reproducible answer (tests, the CLI's --at) pass it.
 */
export function verifyFeed(xml: string | Uint8Array, options: VerifyFeedOptions = {}): FeedVerification {
  const at = options.at ?? new Date();
  const result: FeedVerification = { verdict: 'invalid', reasons: [], signatureValid: false, chain: [], checkedAt: at.toISOString(), configs: [] };
  const parsed = parseXmlSafely(xml, options.maxBytes, { maxElements: options.maxElements, maxDepth: options.maxDepth });
  if (!parsed.ok) return { ...result, reasons: [parsed.reason] };

  const structure = inspectSignature(parsed.doc, parsed.root);
  const unsigned = inspectUnsignedParts(parsed.text, parsed.doc, structure.signature, parsed.bom);
  result.reasons.push(...structure.reasons, ...unsigned.blocking);
  if (!structure.signature) return { ...result, reasons: [...result.reasons, ...unsigned.other] };

  const candidates = structure.certificates
    .slice(0, MAX_CANDIDATES)
    .map((text) => readCertificate(text))
    .filter((c): c is CandidateCert => c !== null);
  const extraRoots = (options.extraTrustedRoots ?? []).flatMap((pem) => readPemBundle(pem));
  const chain = checkCertificateChain(candidates, at, extraRoots, options.trust);
  result.chain = chain.chain;

  // A malformed signature, or one holding foreign content, is never handed to xml-crypto.
  if (structure.reasons.length === 0 && unsigned.blocking.length === 0 && chain.leaf) {
    const checked = checkSignatureWith(parsed.text, structure.signature, chain.leaf);
    if (checked.ok) {
      result.signatureValid = true;
      // Content signed by a key that chains to no trusted root is of unknown origin: not shown.
      // An expired or wrong-EKU Microsoft chain still shows what the file would apply.
      if (chain.anchored) result.configs = checked.configs;
    } else {
      result.reasons.push(checked.reason);
    }
  }
  result.reasons.push(...chain.reasons, ...checkCertificateList(structure.certificates, chain), ...unsigned.other);
  result.verdict = result.signatureValid && result.reasons.length === 0 ? 'valid' : 'invalid';
  return result;
}

type SignatureOutcome = { ok: true; configs: FeedConfig[] } | { ok: false; reason: FeedReason };

/** Run xml-crypto with the validated leaf, then read the definitions from the signed bytes only. */
function checkSignatureWith(text: string, signature: Element, leaf: CandidateCert): SignatureOutcome {
  const invalid: SignatureOutcome = {
    ok: false,
    reason: { code: 'signature-invalid', message: `The signature does not match the content: the file was changed after it was signed, or it was not signed with the key of '${leaf.cn}'.` },
  };
  let signedReferences: string[];
  try {
    // getCertFromKeyInfo returning null: xml-crypto would otherwise prefer a key from KeyInfo.
    const signed = new SignedXml({ publicCert: leaf.x509.toString(), getCertFromKeyInfo: () => null });
    signed.SignatureAlgorithms['http://www.w3.org/2001/04/xmldsig-more#rsa-sha384'] = RsaSha384 as never;
    signed.HashAlgorithms['http://www.w3.org/2001/04/xmldsig-more#sha384'] = Sha384;
    signed.loadSignature(signature);
    if (signed.checkSignature(text) !== true) return invalid;
    signedReferences = signed.getSignedReferences();
  } catch {
    return invalid;
  }
  if (signedReferences.length !== 1 || typeof signedReferences[0] !== 'string') return invalid;
  // The canonical form is no larger than the input and holds no DOCTYPE: parse it again, strictly.
  const content = parseCanonicalXml(signedReferences[0]);
  if (!content.ok) return invalid;
  return { ok: true, configs: readConfigs(content.root) };
}
