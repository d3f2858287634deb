/**
 * Parsing of hostile XML: the size is checked first, any DOCTYPE is refused before a parser sees
 * the text (no DTD, so no external entity and no entity expansion), every parser warning or error
 * is fatal, and the document must have exactly one root element.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { FeedReason } from './feed-types.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_ELEMENTS, countStartTags, elementDepth } from './xml-bounds.js';

/** The default size limit: the real feed is ~19 KB, so 5 MB leaves room for many mitigations. */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

export type SafeParseResult =
  | {
      ok: true;
      /** The text without its byte-order mark. */
      text: string;
      doc: Document;
      root: Element;
      /** The input began with a byte-order mark (dropped from `text`; the signature never covers it). */
      bom: boolean;
    }
  | { ok: false; reason: FeedReason };

/** Limits on the work a document may cause (xml-bounds.ts). */
export interface XmlLimits {
  maxElements?: number;
  maxDepth?: number;
}

/** The input as text: UTF-8 only (the feed is served as utf-8); a BOM is dropped and reported. */
function decode(input: string | Uint8Array): { text: string; bom: boolean } | null {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? { text: input.slice(1), bom: true } : { text: input, bom: false };
  try {
    const bom = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf;
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input), bom };
  } catch {
    return null;
  }
}

function isUtf16(input: string | Uint8Array): boolean {
  return typeof input !== 'string' && ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff));
}

function byteLength(input: string | Uint8Array): number {
  return typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
}

/**
 * Parse a document safely.
 * A DOCTYPE (or an ENTITY declaration) anywhere in the text is refused: strict on purpose, since a
 * definitions file has no reason to carry one, and a scan of the raw text cannot be fooled by
 * where a parser would start to expand entities.
 */
export function parseXmlSafely(input: string | Uint8Array, maxBytes = DEFAULT_MAX_BYTES, limits: XmlLimits = {}): SafeParseResult {
  const size = byteLength(input);
  if (size > maxBytes) {
    return fail('too-large', `The file is larger than the ${formatSize(maxBytes)} limit; a mitigation definitions file is far smaller (the real one is about 19 KB), so it was not parsed.`);
  }
  if (isUtf16(input)) {
    return fail('malformed-xml', 'The file is UTF-16 text (as PowerShell 5.1\'s Out-File writes it), but the endpoint serves UTF-8 and the check judges the bytes as served: save the response as it came, e.g. Invoke-WebRequest <url> -UseBasicParsing -OutFile mitigations.xml.');
  }
  const decoded = decode(input);
  if (decoded === null) return fail('malformed-xml', 'The file is not valid UTF-8 text, so it is not a mitigation definitions XML.');
  const { text, bom } = decoded;
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    return fail('doctype-forbidden', 'The file declares a DOCTYPE or entities, which a mitigation definitions XML never does (this is how XXE and entity-expansion attacks work); it was not parsed.');
  }
  if (text.trim() === '') return fail('malformed-xml', 'The file is empty, so it is not a mitigation definitions XML.');
  if (!text.includes('<')) return fail('malformed-xml', 'The file holds no XML element at all, so it is not a mitigation definitions XML.');
  // The parser drops text outside the root element silently; a feed never has any.
  if (!/^\s*</.test(text) || !/>\s*$/.test(text)) {
    return fail('malformed-xml', 'The XML has text before or after its root element, so it is not a mitigation definitions XML.');
  }
  const maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (countStartTags(text, maxElements) > maxElements) {
    return fail('too-many-elements', `The file has more than ${maxElements.toLocaleString('en-US')} elements; a mitigation definitions file has a few dozen (the real one 27), and checking the signature of so many would take minutes, so it was not checked.`);
  }
  const problems: string[] = [];
  const record = (msg: string) => {
    const line = String(msg).split('\n')[0] ?? String(msg);
    problems.push(line.replace(/^\[xmldom \w+\]\s*/, ''));
  };
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(text, 'text/xml') as unknown as Document;
  } catch (error) {
    return fail('malformed-xml', `The XML cannot be read: ${firstLine(error)}.`);
  }
  if (problems.length > 0) return fail('malformed-xml', `The XML cannot be read: ${problems[0]}.`);
  const roots: Element[] = [];
  for (let node = doc.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) roots.push(node as Element);
    else if (node.nodeType === 3 && (node.nodeValue ?? '').trim() !== '') return fail('malformed-xml', 'The XML has text outside its root element.');
  }
  if (roots.length !== 1 || !roots[0]) {
    return fail('malformed-xml', `The XML must have exactly one root element; it has ${roots.length}.`);
  }
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (elementDepth(roots[0], maxDepth) > maxDepth) {
    return fail('too-deep', `The elements of the file are nested more than ${maxDepth} deep; a mitigation definitions file nests 6 deep, so it was not checked.`);
  }
  return { ok: true, text, doc, root: roots[0], bom };
}

/**
 * Parse the canonical XML that xml-crypto returns for a verified reference (getSignedReferences).
 * Canonical XML of an element never holds "<!": comments are dropped for URI="", CDATA becomes
 * escaped text and a DOCTYPE cannot occur inside an element. So one indexOf replaces the size,
 * UTF-8 and DOCTYPE scans that raw input needs (this is the second full parse of a verification,
 * and it costs as much as the first); parser warnings stay fatal and one root is still required.
 */
export function parseCanonicalXml(canonical: string): { ok: true; root: Element } | { ok: false } {
  if (canonical.includes('<!') || !canonical.startsWith('<')) return { ok: false };
  let failed = false;
  const record = () => {
    failed = true;
  };
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(canonical, 'text/xml') as unknown as Document;
  } catch {
    return { ok: false };
  }
  // Canonical XML of one element is that element alone: nothing before or after it.
  const root = doc.firstChild;
  if (failed || !root || root.nodeType !== 1 || root.nextSibling) return { ok: false };
  return { ok: true, root: root as Element };
}

function fail(code: FeedReason['code'], message: string): SafeParseResult {
  return { ok: false, reason: { code, message } };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).replace(/\.$/, '');
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/** Element children of a node (DOM without xpath: keeps the reading explicit). */
export function childElements(node: Node): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) out.push(child as Element);
  }
  return out;
}

/** Element children with this local name (and namespace, when given). */
export function childrenNamed(node: Node, localName: string, ns?: string): Element[] {
  return childElements(node).filter((e) => e.localName === localName && (ns === undefined || e.namespaceURI === ns));
}

/** Every descendant element with this local name and namespace (document order). */
export function descendantsNamed(node: Node, localName: string, ns: string): Element[] {
  const out: Element[] = [];
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop() as Node;
    const kids = childElements(current);
    for (let i = kids.length - 1; i >= 0; i -= 1) {
      const kid = kids[i] as Element;
      stack.push(kid);
    }
    if (current !== node && current.nodeType === 1) {
      const e = current as Element;
      if (e.localName === localName && e.namespaceURI === ns) out.push(e);
    }
  }
  return out;
}
