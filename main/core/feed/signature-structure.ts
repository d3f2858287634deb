/**
 * The shape a mitigation definitions signature must have before it is even checked: exactly one
 * XMLDSig Signature, enveloped (a child of the root), one SignedInfo, one Reference with URI=""
 * and the enveloped-signature transform, RSA with SHA-256/384/512 only, and no comment or
 * processing instruction inside (a comment in a DigestValue is ignored by textContent readers).
 */
import { childElements, childrenNamed, descendantsNamed } from './safe-xml.js';
import type { FeedReason } from './feed-types.js';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Canonicalizations accepted for SignedInfo and as Reference transforms (comments never signed). */
export const ALLOWED_C14N = ['http://www.w3.org/TR/2001/REC-xml-c14n-20010315', 'http://www.w3.org/2001/10/xml-exc-c14n#'];
/** The RSA-SHA256 family. */
export const ALLOWED_SIGNATURE_METHODS = [
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
];
export const ALLOWED_DIGEST_METHODS = [
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
];

/** What the structure check found. */
export interface SignatureStructure {
  /** The one Signature element, or null when there is none or more than one. */
  signature: Element | null;
  /** Base64 X509Certificate texts of KeyInfo/X509Data, in document order. */
  certificates: string[];
  /** Failed checks; when not empty the signature is not checked at all. */
  reasons: FeedReason[];
}

function algorithmOf(parent: Element, name: string): { count: number; algorithm: string | null } {
  const found = childrenNamed(parent, name, DSIG_NS);
  const first = found[0];
  return { count: found.length, algorithm: first && first.hasAttribute('Algorithm') ? first.getAttribute('Algorithm') : null };
}

function hasCommentOrPi(node: Node): boolean {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop() as Node;
    for (let child = current.firstChild; child; child = child.nextSibling) {
      // 8 comment, 7 processing instruction, 4 CDATA: none belongs in a genuine signature.
      if (child.nodeType === 8 || child.nodeType === 7 || child.nodeType === 4) return true;
      if (child.nodeType === 1) stack.push(child);
    }
  }
  return false;
}

/** Inspect the signature of a parsed document. */
export function inspectSignature(doc: Document, root: Element): SignatureStructure {
  const signatures = descendantsNamed(doc, 'Signature', DSIG_NS);
  if (signatures.length === 0) {
    return { signature: null, certificates: [], reasons: [{ code: 'no-signature', message: 'The file carries no XML signature (no <Signature> in the XMLDSig namespace); EEMS never applies unsigned definitions.' }] };
  }
  if (signatures.length > 1) {
    return { signature: null, certificates: [], reasons: [{ code: 'multiple-signatures', message: `The file carries ${signatures.length} XML signatures; the definitions are signed exactly once, so a second one is a sign of tampering (signature wrapping).` }] };
  }
  const signature = signatures[0] as Element;
  const reasons: FeedReason[] = [];
  if (signature.parentNode !== root) {
    reasons.push({ code: 'reference-not-root', message: `The signature is not a direct child of the root element <${root.localName}>, so it does not envelop the whole document (a moved or wrapped signature).` });
  }
  if (hasCommentOrPi(signature)) {
    reasons.push({ code: 'signature-invalid', message: 'The signature contains a comment, processing instruction or CDATA section (e.g. inside a DigestValue), which a genuine signature never does; it was not accepted.' });
  }
  const signedInfos = childrenNamed(signature, 'SignedInfo', DSIG_NS);
  if (signedInfos.length !== 1) {
    reasons.push({ code: 'signature-invalid', message: `The signature must have exactly one SignedInfo; it has ${signedInfos.length}.` });
  } else {
    checkSignedInfo(signedInfos[0] as Element, reasons);
  }
  return { signature, certificates: readCertificates(signature), reasons };
}

function checkSignedInfo(signedInfo: Element, reasons: FeedReason[]): void {
  const c14n = algorithmOf(signedInfo, 'CanonicalizationMethod');
  if (c14n.count !== 1 || !c14n.algorithm || !ALLOWED_C14N.includes(c14n.algorithm)) {
    reasons.push({ code: 'signature-invalid', message: `The SignedInfo canonicalization '${c14n.algorithm ?? 'missing'}' is not accepted (only C14N 1.0 and exclusive C14N, without comments).` });
  }
  const method = algorithmOf(signedInfo, 'SignatureMethod');
  if (method.count !== 1 || !method.algorithm || !ALLOWED_SIGNATURE_METHODS.includes(method.algorithm)) {
    reasons.push({ code: 'weak-algorithm', message: `The signature algorithm '${method.algorithm ?? 'missing'}' is not accepted: only RSA with SHA-256, SHA-384 or SHA-512 (the feed uses rsa-sha256).` });
  }
  const references = childrenNamed(signedInfo, 'Reference', DSIG_NS);
  if (references.length !== 1) {
    reasons.push({ code: 'reference-not-root', message: `The signature must hold exactly one Reference, covering the whole document; it holds ${references.length}.` });
    return;
  }
  checkReference(references[0] as Element, reasons);
}

function checkReference(reference: Element, reasons: FeedReason[]): void {
  const uri = reference.hasAttribute('URI') ? reference.getAttribute('URI') : null;
  if (uri !== '') {
    reasons.push({ code: 'reference-not-root', message: `The signature's Reference points to ${uri === null ? 'nothing (no URI)' : `'${uri}'`} instead of the whole document (URI=""), so content outside it would not be covered.` });
  }
  const transformsNodes = childrenNamed(reference, 'Transforms', DSIG_NS);
  const transforms = transformsNodes.length === 1 ? childrenNamed(transformsNodes[0] as Element, 'Transform', DSIG_NS).map((t) => t.getAttribute('Algorithm') ?? '') : [];
  if (transformsNodes.length > 1) reasons.push({ code: 'reference-not-root', message: 'The Reference has more than one Transforms list.' });
  if (!transforms.includes(ENVELOPED)) {
    reasons.push({ code: 'reference-not-root', message: 'The Reference lacks the enveloped-signature transform, so it cannot cover the document that holds it.' });
  }
  const unknown = transforms.filter((t) => t !== ENVELOPED && !ALLOWED_C14N.includes(t));
  if (unknown.length > 0) {
    reasons.push({ code: 'signature-invalid', message: `The Reference uses the transform '${unknown[0]}', which is not accepted (only enveloped-signature and C14N).` });
  }
  const digest = algorithmOf(reference, 'DigestMethod');
  if (digest.count !== 1 || !digest.algorithm || !ALLOWED_DIGEST_METHODS.includes(digest.algorithm)) {
    reasons.push({ code: 'weak-algorithm', message: `The digest algorithm '${digest.algorithm ?? 'missing'}' is not accepted: only SHA-256, SHA-384 or SHA-512.` });
  }
  if (childrenNamed(reference, 'DigestValue', DSIG_NS).length !== 1) {
    reasons.push({ code: 'signature-invalid', message: 'The Reference must have exactly one DigestValue.' });
  }
}

/** The X509Certificate texts of Signature/KeyInfo/X509Data only (not the timestamp certificates in Object). */
function readCertificates(signature: Element): string[] {
  const out: string[] = [];
  for (const keyInfo of childrenNamed(signature, 'KeyInfo', DSIG_NS)) {
    for (const data of childrenNamed(keyInfo, 'X509Data', DSIG_NS)) {
      for (const cert of childElements(data)) {
        if (cert.localName === 'X509Certificate' && cert.namespaceURI === DSIG_NS) out.push(cert.textContent ?? '');
      }
    }
  }
  return out;
}
