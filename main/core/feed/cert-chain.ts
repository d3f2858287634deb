/**
 * The signing certificate chain, checked the way EEMS is documented to check it (issuer, chain,
 * Extended Key Usage, validity): the certificates carried in KeyInfo are only candidates; a chain
 * is built from the leaf through X.509 issuer and signature links up to a root pinned by its
 * SHA-256 fingerprint. Revocation (CRL/OCSP) is not checked: that needs the network (INFERRED
 * that EEMS also checks it; see eems-domain.md section 5).
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { FeedChainEntry, FeedReason } from './feed-types.js';
import { anchorCertificates, defaultFeedTrust, type FeedTrust } from './feed-trust.js';

const MAX_DEPTH = 8;

/** A parsed certificate with what the checks need. */
export interface CandidateCert {
  x509: X509Certificate;
  sha256: string;
  cn: string;
  issuerCn: string;
  notBefore: Date;
  notAfter: Date;
}

/** The outcome of the chain checks. */
export interface ChainCheck {
  /** The leaf the signature must be checked with (null when no usable certificate was found). */
  leaf: CandidateCert | null;
  chain: FeedChainEntry[];
  reasons: FeedReason[];
  /** True when the chain reached a pinned or --trust-root certificate (whatever its dates). */
  anchored: boolean;
}

/** Read a certificate from base64 DER or PEM; null when it is not one. */
export function readCertificate(data: string | Uint8Array): CandidateCert | null {
  try {
    const x509 = new X509Certificate(typeof data === 'string' && !data.includes('-----BEGIN') ? Buffer.from(data.replace(/\s+/g, ''), 'base64') : data);
    return {
      x509,
      sha256: createHash('sha256').update(x509.raw).digest('hex'),
      cn: commonName(x509.subject),
      issuerCn: commonName(x509.issuer),
      // Node 20 has no validFromDate: the text form ("Jun  9 18:44:12 2022 GMT") parses with Date.
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
    };
  } catch {
    return null;
  }
}

/** Every certificate of a PEM bundle (for --trust-root). */
export function readPemBundle(pem: string): CandidateCert[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => readCertificate(b)).filter((c): c is CandidateCert => c !== null);
}

function commonName(dn: string): string {
  const cn = dn.split('\n').find((part) => part.startsWith('CN='));
  return cn ? cn.slice(3) : dn.split('\n').join(', ');
}

/** "2022-06-09" */
function day(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an unreadable date' : date.toISOString().slice(0, 10);
}

function isIssuedBy(cert: CandidateCert, issuer: CandidateCert): boolean {
  try {
    return cert.x509.checkIssued(issuer.x509) && cert.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** Subject equals issuer and the certificate verifies with its own key (OpenSSL's checkIssued also wants keyCertSign). */
function isSelfSigned(cert: CandidateCert): boolean {
  try {
    return cert.x509.subject === cert.x509.issuer && cert.x509.verify(cert.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * Pick the leaf: the first end-entity candidate that issued no other candidate. Whatever is picked,
 * the signature is checked with this key and the chain from it must reach the pinned root, so an
 * injected certificate can only make the verdict invalid.
 */
function pickLeaf(candidates: CandidateCert[]): CandidateCert | null {
  const endEntities = candidates.filter((c) => !c.x509.ca && !candidates.some((o) => o !== c && isIssuedBy(o, c)));
  return endEntities[0] ?? candidates[0] ?? null;
}

interface BuiltChain {
  certs: CandidateCert[];
  anchored: boolean;
  /** A certificate whose name matched as issuer but which is not a CA. */
  notCa: CandidateCert | null;
}

/** Walk from the leaf to an issuer, preferring trusted roots, until a trusted or self-signed certificate. */
function buildChain(leaf: CandidateCert, pool: CandidateCert[], trusted: Set<string>): BuiltChain {
  const certs = [leaf];
  let notCa: CandidateCert | null = null;
  let current = leaf;
  while (certs.length <= MAX_DEPTH) {
    if (trusted.has(current.sha256)) return { certs, anchored: true, notCa };
    if (isSelfSigned(current)) return { certs, anchored: false, notCa };
    const issuers = pool.filter((c) => !certs.includes(c) && isIssuedBy(current, c));
    const usable = issuers.filter((c) => c.x509.ca);
    if (issuers.length > 0 && usable.length === 0) notCa = issuers[0] ?? null;
    const next = usable.find((c) => trusted.has(c.sha256)) ?? usable[0];
    if (!next) return { certs, anchored: false, notCa };
    certs.push(next);
    current = next;
  }
  return { certs, anchored: false, notCa };
}

/**
 * Check the candidates from KeyInfo at time `at`: build leaf -> ... -> pinned root, check every
 * certificate's validity and the leaf's EKU. Every failed check is one reason.
 */
export function checkCertificateChain(candidates: CandidateCert[], at: Date, extraRoots: CandidateCert[] = [], trust: FeedTrust = defaultFeedTrust()): ChainCheck {
  const reasons: FeedReason[] = [];
  const leaf = pickLeaf(candidates);
  if (!leaf) {
    reasons.push({ code: 'chain-incomplete', message: 'The signature carries no readable X.509 certificate in KeyInfo/X509Data, so no chain to the Microsoft root can be built.' });
    return { leaf: null, chain: [], reasons, anchored: false };
  }
  const anchors = anchorCertificates(trust).map((pem) => readCertificate(pem)).filter((c): c is CandidateCert => c !== null);
  const trusted = new Set([...trust.anchors.map((a) => a.sha256), ...extraRoots.map((r) => r.sha256)]);
  const built = buildChain(leaf, [...extraRoots, ...anchors, ...candidates], trusted);
  const last = built.certs[built.certs.length - 1] as CandidateCert;
  if (!built.anchored) {
    if (isSelfSigned(last)) {
      const what = last === leaf ? 'self-signed certificate' : 'root';
      reasons.push({ code: 'untrusted-root', message: `The chain ends at the ${what} '${last.cn}' (SHA-256 ${last.sha256}), which is not a trusted anchor (${anchorNames(trust)}) nor a --trust-root; a root carried in the file is never trusted by itself.` });
    } else if (built.notCa) {
      reasons.push({ code: 'chain-incomplete', message: `The issuer of '${last.cn}' found in the file, '${built.notCa.cn}', is not a certification authority (no CA flag), so the chain stops there.` });
    } else {
      reasons.push({ code: 'chain-incomplete', message: `The issuer of '${last.cn}' ('${last.issuerCn}') is not in the file nor trusted, so the chain stops at '${last.cn}' and cannot reach the Microsoft root.` });
    }
  }
  built.certs.forEach((cert, index) => checkValidity(cert, index, built, at, reasons));
  checkEku(leaf, requiredEkus(trust, built), reasons);
  const chain = built.certs.map((cert, index) => toEntry(cert, index, built, trusted));
  return { leaf, chain, reasons, anchored: built.anchored };
}

function checkValidity(cert: CandidateCert, index: number, built: BuiltChain, at: Date, reasons: FeedReason[]): void {
  const isLeaf = index === 0;
  const isAnchor = built.anchored && index === built.certs.length - 1 && !isLeaf;
  const expired = !(at.getTime() <= cert.notAfter.getTime());
  const early = !(at.getTime() >= cert.notBefore.getTime());
  if (isLeaf) {
    if (expired) reasons.push({ code: 'leaf-expired', message: `The signing certificate '${cert.cn}' expired on ${day(cert.notAfter)} (checked at ${at.toISOString()}).` });
    if (early) reasons.push({ code: 'leaf-not-yet-valid', message: `The signing certificate '${cert.cn}' is not valid before ${day(cert.notBefore)} (checked at ${at.toISOString()}).` });
    return;
  }
  if (isAnchor) {
    if (expired || early) reasons.push({ code: 'untrusted-root', message: `The root '${cert.cn}' is only valid from ${day(cert.notBefore)} to ${day(cert.notAfter)}, not at ${at.toISOString()}.` });
    return;
  }
  // The contract has no "intermediate-not-yet-valid": a not-yet-valid intermediate is reported
  // under intermediate-expired with a sentence that says which it is.
  if (expired) reasons.push({ code: 'intermediate-expired', message: `The intermediate '${cert.cn}' expired on ${day(cert.notAfter)} (checked at ${at.toISOString()}).` });
  if (early) reasons.push({ code: 'intermediate-expired', message: `The intermediate '${cert.cn}' is not valid before ${day(cert.notBefore)} (checked at ${at.toISOString()}).` });
}

function anchorNames(trust: FeedTrust): string {
  return trust.anchors.map((a) => a.name).join(', ') || 'none configured';
}

/** The EKUs a leaf must carry: the reached anchor's own list when it has one, else the trust's. */
function requiredEkus(trust: FeedTrust, built: BuiltChain): { oid: string; name: string }[] {
  const end = built.certs[built.certs.length - 1] as CandidateCert;
  const own = built.anchored ? trust.anchors.find((a) => a.sha256 === end.sha256)?.leafEkus : undefined;
  if (!own) return trust.leafEkus;
  return own.map((oid) => trust.leafEkus.find((e) => e.oid === oid) ?? { oid, name: oid });
}

function checkEku(leaf: CandidateCert, required: { oid: string; name: string }[], reasons: FeedReason[]): void {
  // In Node, X509Certificate.keyUsage lists the Extended Key Usage OIDs (undefined: no EKU extension).
  const ekus = leaf.x509.keyUsage ?? [];
  const missing = required.filter((e) => !ekus.includes(e.oid));
  if (missing.length > 0) {
    reasons.push({ code: 'eku-missing', message: `The signing certificate '${leaf.cn}' lacks the Extended Key Usage ${missing.map((m) => m.name).join(' and ')} that EEMS requires of the XML signing certificate.` });
  }
}

function toEntry(cert: CandidateCert, index: number, built: BuiltChain, trusted: Set<string>): FeedChainEntry {
  const isRoot = index > 0 && (trusted.has(cert.sha256) || isSelfSigned(cert));
  return {
    subject: cert.cn,
    issuer: cert.issuerCn,
    notBefore: isoOrText(cert.notBefore, cert.x509.validFrom),
    notAfter: isoOrText(cert.notAfter, cert.x509.validTo),
    sha256: cert.sha256,
    subjectDn: cert.x509.subject.split('\n').join(', '),
    issuerDn: cert.x509.issuer.split('\n').join(', '),
    role: index === 0 ? 'leaf' : isRoot ? 'root' : 'intermediate',
    trusted: trusted.has(cert.sha256),
  };
}

function isoOrText(date: Date, text: string): string {
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/**
 * The certificates of KeyInfo as the file lists them, held against the chain that was built.
 * Microsoft's file lists the signing certificate first, then each issuer in turn (leaf, PCA 2011,
 * root: CONFIRMED from the 2021 file), and EEMS judges "the leaf certificate" of the response
 * (INFERRED from the July 2026 error text: the first one). So a list in another order is
 * `certificate-order`, and a certificate that is unreadable or belongs to no link of the chain is
 * `extra-certificate`: both are changes in a part the signature does not cover.
 */
export function checkCertificateList(texts: readonly string[], check: ChainCheck): FeedReason[] {
  if (!check.leaf || texts.length === 0) return [];
  const inChain = new Set(check.chain.map((c) => c.sha256));
  const listed = texts.slice(0, MAX_LISTED).map((text) => readCertificate(text));
  const misplaced: string[] = [];
  const extra: string[] = [];
  if (texts.length > MAX_LISTED) extra.push(`more than ${MAX_LISTED} certificates`);
  listed.forEach((cert, i) => {
    if (!cert) extra.push(`certificate ${i + 1} is not a readable X.509 certificate`);
    else if (!inChain.has(cert.sha256)) extra.push(`certificate ${i + 1} ('${cert.cn}') is not part of the signing chain`);
  });
  const first = listed[0];
  if (first && first.sha256 !== check.leaf.sha256) misplaced.push(`the first certificate is '${first.cn}', not the signing certificate '${check.leaf.cn}'`);
  for (let i = 0; i + 1 < listed.length; i += 1) {
    const [cert, next] = [listed[i], listed[i + 1]];
    if (cert && next && inChain.has(cert.sha256) && inChain.has(next.sha256) && !isIssuedBy(cert, next)) {
      misplaced.push(`certificate ${i + 2} ('${next.cn}') did not issue certificate ${i + 1} ('${cert.cn}')`);
    }
  }
  const reasons: FeedReason[] = [];
  if (misplaced.length > 0) {
    reasons.push({ code: 'certificate-order', message: `The certificates in KeyInfo are not in the order Microsoft signs with (the signing certificate first, then each issuer): ${misplaced.join('; ')}. The file was changed after it was signed.` });
  }
  if (extra.length > 0) {
    reasons.push({ code: 'extra-certificate', message: `KeyInfo carries what no genuine definitions file carries: ${extra.join('; ')}. The file was changed after it was signed.` });
  }
  return reasons;
}

/** More certificates than this in KeyInfo are not even read. */
const MAX_LISTED = 32;
