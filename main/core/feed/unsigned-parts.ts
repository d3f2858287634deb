/**
 * The parts of a definitions file the signature does not cover, judged as EEMS would meet them.
 * The signature covers the canonical form of the root without its Signature: so a Config put into
 * the Signature (its Object or KeyInfo), a declared encoding other than the bytes', or content that
 * only canonicalises to the signed form (a comment, CDATA, a processing instruction, a character
 * reference, a byte-order mark) all pass the signature check. EEMS reads the whole document
 * (INFERRED: .NET's XmlDocument, which keeps comments, CDATA and processing instructions as
 * nodes), so each of these makes the file invalid with its own reason. Microsoft's real file has
 * none of them (CONFIRMED: test/fixtures/real/ocs-ping1-2021-09.xml).
 */
import { countOf } from '../plural.js';
import { DSIG_NS } from './signature-structure.js';
import type { FeedReason } from './feed-types.js';

const TS_NS = 'http://schemas.microsoft.com/xmldsig/timestamp/2003';
const EXC_C14N_NS = 'http://www.w3.org/2001/10/xml-exc-c14n#';

const ds = (name: string) => `${DSIG_NS}|${name}`;

/**
 * The XMLDSig elements and what each may hold (XMLDSig 1.0 for what the feed uses; the Object
 * holds the time-stamp countersignature, CONFIRMED shape of Microsoft's file). Anything else inside
 * the Signature is content nobody signed.
 */
const CHILDREN = new Map<string, readonly string[]>([
  [ds('Signature'), [ds('SignedInfo'), ds('SignatureValue'), ds('KeyInfo'), ds('Object')]],
  [ds('SignedInfo'), [ds('CanonicalizationMethod'), ds('SignatureMethod'), ds('Reference')]],
  [ds('CanonicalizationMethod'), [`${EXC_C14N_NS}|InclusiveNamespaces`]],
  [ds('SignatureMethod'), []],
  [ds('Reference'), [ds('Transforms'), ds('DigestMethod'), ds('DigestValue')]],
  [ds('Transforms'), [ds('Transform')]],
  [ds('Transform'), [`${EXC_C14N_NS}|InclusiveNamespaces`]],
  [`${EXC_C14N_NS}|InclusiveNamespaces`, []],
  [ds('DigestMethod'), []],
  [ds('KeyInfo'), [ds('KeyName'), ds('KeyValue'), ds('X509Data')]],
  [ds('KeyValue'), [ds('RSAKeyValue')]],
  [ds('RSAKeyValue'), [ds('Modulus'), ds('Exponent')]],
  [ds('X509Data'), [ds('X509Certificate'), ds('X509IssuerSerial'), ds('X509SubjectName'), ds('X509SKI')]],
  [ds('X509IssuerSerial'), [ds('X509IssuerName'), ds('X509SerialNumber')]],
  [ds('Object'), [ds('X509Data'), `${TS_NS}|CounterSignature`]],
]);

/** Elements that hold text (base64, names, numbers) and no element. */
const TEXT_ELEMENTS = new Set([
  ds('DigestValue'), ds('SignatureValue'), ds('KeyName'), ds('Modulus'), ds('Exponent'), ds('X509Certificate'),
  ds('X509SubjectName'), ds('X509SKI'), ds('X509IssuerName'), ds('X509SerialNumber'), `${TS_NS}|CounterSignature`,
]);

/** Character references C14N itself writes (white space): they canonicalise to themselves. */
const WHITESPACE_REFERENCE = /^&#(?:x0*(?:9|a|d)|0*(?:9|10|13));$/i;

const keyOf = (e: Element) => `${e.namespaceURI ?? ''}|${e.localName}`;

/** What was found, split by effect: `blocking` reasons stop the signature from being checked at all. */
export interface UnsignedPartsCheck {
  blocking: FeedReason[];
  other: FeedReason[];
}

/**
 * Check the parts of a parsed definitions file that the signature does not cover.
 * `signature` is the one enveloped Signature (signature-structure.ts), `bom` whether the input
 * began with a byte-order mark.
 */
export function inspectUnsignedParts(text: string, doc: Document, signature: Element | null, bom: boolean): UnsignedPartsCheck {
  const blocking = signature ? inspectSignatureContent(signature) : [];
  const other: FeedReason[] = [];
  const declared = declaredEncoding(text);
  if (declared !== null && !/^utf-?8$/i.test(declared)) {
    other.push({ code: 'encoding-mismatch', message: `The file declares encoding="${declared}", but its bytes are UTF-8 (as the endpoint serves them and as they were checked): a reader that follows the declaration reads other characters than were signed. Microsoft's file declares utf-8.` });
  }
  const found = nonCanonicalConstructs(text, doc, signature);
  if (bom) found.unshift('a byte-order mark before the XML declaration');
  if (found.length > 0) {
    other.push({ code: 'non-canonical-content', message: `The file holds ${found.join(', ')}: content the signature does not see (it only covers the canonical form), and that no genuine definitions file has. The file was changed after it was signed.` });
  }
  return { blocking, other };
}

/** The encoding of the XML declaration, or null when there is no declaration or no encoding. */
function declaredEncoding(text: string): string | null {
  const declaration = /^<\?xml\s[^>]*?\?>/.exec(text)?.[0];
  if (!declaration) return null;
  return /\sencoding\s*=\s*(["'])([^"']*)\1/.exec(declaration)?.[2] ?? null;
}

/** Comments, CDATA sections and processing instructions outside the Signature, and character references anywhere. */
function nonCanonicalConstructs(text: string, doc: Document, signature: Element | null): string[] {
  const counts = { comment: 0, cdata: 0, pi: 0 };
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child === signature) continue; // its own structure check refuses these there
      if (child.nodeType === 8) counts.comment += 1;
      else if (child.nodeType === 4) counts.cdata += 1;
      else if (child.nodeType === 7 && !(node === doc && child === doc.firstChild && (child as ProcessingInstruction).target === 'xml')) counts.pi += 1;
      else if (child.nodeType === 1) stack.push(child);
    }
  }
  let references = 0;
  for (const match of text.matchAll(/&#[0-9a-z]{0,12};?/gi)) if (!WHITESPACE_REFERENCE.test(match[0])) references += 1;
  const found: string[] = [];
  if (counts.comment > 0) found.push(countOf(counts.comment, 'comment'));
  if (counts.cdata > 0) found.push(countOf(counts.cdata, 'CDATA section'));
  if (counts.pi > 0) found.push(countOf(counts.pi, 'processing instruction'));
  if (references > 0) found.push(countOf(references, 'character reference') + ' (e.g. "&#x50;" for "P")');
  return found;
}

/** Walk the Signature: a Config anywhere in it, or any element or text XMLDSig does not put there. */
function inspectSignatureContent(signature: Element): FeedReason[] {
  const configs: string[] = [];
  const unknown: string[] = [];
  const stack: Array<{ element: Element; path: string }> = [{ element: signature, path: 'Signature' }];
  while (stack.length > 0) {
    const { element, path } = stack.pop()!;
    const allowed = CHILDREN.get(keyOf(element)) ?? [];
    const holdsText = TEXT_ELEMENTS.has(keyOf(element));
    for (let child = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 3 && !holdsText && (child.nodeValue ?? '').trim() !== '') unknown.push(`text in ${path}`);
      if (child.nodeType !== 1) continue;
      const e = child as Element;
      const where = `${path}/${e.localName}`;
      if (e.localName === 'Config') configs.push(where);
      else if (!allowed.includes(keyOf(e))) unknown.push(`<${e.tagName}> in ${path}`);
      // Looked into whatever it is: a Config may sit inside an unknown element too.
      stack.push({ element: e, path: where });
    }
  }
  const reasons: FeedReason[] = [];
  if (configs.length > 0) {
    reasons.push({ code: 'unsigned-config', message: `The file holds a Config outside the signed content (${configs.slice(0, 3).join(', ')}${configs.length > 3 ? ', ...' : ''}): the signature does not cover it, yet a reader of the whole document would see it. Nothing of it is shown.` });
  }
  if (unknown.length > 0) {
    reasons.push({ code: 'unknown-signature-element', message: `The signature holds what an XML signature never holds (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}): content nobody signed was added to it. The signature was not checked.` });
  }
  return reasons;
}
