/**
 * The verify-feed document (contracts.md, "eems-watch verify-feed") and the reason codes a
 * mitigation definitions XML can fail with. Field names and codes are public: never rename them.
 */
import type { FeedTrust } from './feed-trust.js';

export const FEED_REASON_CODES = [
  'malformed-xml',
  'doctype-forbidden',
  'too-large',
  'no-signature',
  'multiple-signatures',
  'reference-not-root',
  'signature-invalid',
  'untrusted-root',
  'chain-incomplete',
  'leaf-expired',
  'leaf-not-yet-valid',
  'intermediate-expired',
  'eku-missing',
  'weak-algorithm',
  // Added 2026-12 (issues 14.6 and 14.9): bounds checked before any crypto, and changes in the parts
  // the signature does not cover, which EEMS still reads.
  'too-many-elements',
  'too-deep',
  'unsigned-config',
  'unknown-signature-element',
  'encoding-mismatch',
  'non-canonical-content',
  'certificate-order',
  'extra-certificate',
  'verification-timeout',
] as const;
export type FeedReasonCode = (typeof FEED_REASON_CODES)[number];

/** One failed check, as a sentence that names the certificate or element and the date. */
export interface FeedReason {
  code: FeedReasonCode;
  message: string;
}

/** One certificate of the chain that was built (leaf first). */
export interface FeedChainEntry {
  /** The common name (CN), or the whole subject when there is none. */
  subject: string;
  issuer: string;
  /** ISO 8601 UTC. */
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER certificate, lowercase hex. */
  sha256: string;
  /** Added fields: the full distinguished names and the certificate's role in the chain. */
  subjectDn: string;
  issuerDn: string;
  role: 'leaf' | 'intermediate' | 'root';
  /** True for the certificate that matched a pinned or --trust-root fingerprint. */
  trusted: boolean;
}

/** One Action of a Config (the text of its <Value>, CDATA included). */
export interface FeedAction {
  /** "" when the attribute or element is absent. */
  type: string;
  scope: string;
  desc: string;
  value: string;
  /** Added field: every other attribute (INFERRED formats of real mitigations carry more, e.g. site). */
  attributes: Record<string, string>;
}

/** One Config (one mitigation) of the definitions. */
export interface FeedConfig {
  id: string;
  /** "" when absent. */
  desc: string;
  actions: FeedAction[];
  /** Added field: every other attribute of <Config> (e.g. the INFERRED version/minVersion). */
  attributes: Record<string, string>;
}

/** The verify-feed --json document. */
export interface FeedVerification {
  verdict: 'valid' | 'invalid';
  reasons: FeedReason[];
  signatureValid: boolean;
  chain: FeedChainEntry[];
  /** ISO 8601 UTC: the time the certificates were checked at. */
  checkedAt: string;
  /** Only what the signature covers, and only when the signature itself is valid. */
  configs: FeedConfig[];
}

/** Options of verifyFeed. */
export interface VerifyFeedOptions {
  /** The check time for certificate validity (default: now). */
  at?: Date;
  /** PEM certificates trusted as roots in addition to the pinned Microsoft root. */
  extraTrustedRoots?: string[];
  /** Size limit in bytes (default 5 MB). */
  maxBytes?: number;
  /** Element count limit, checked before any parse (default 4,096: xml-bounds.ts). */
  maxElements?: number;
  /** Nesting depth limit (default 32). */
  maxDepth?: number;
  /** Anchors and required EKUs (default: feed-trust.json, with no override). */
  trust?: FeedTrust;
}
