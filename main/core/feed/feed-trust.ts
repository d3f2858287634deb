/**
 * What verify-feed trusts, as data (feed-trust.json) rather than code: the anchors a signing chain
 * must reach (pinned by SHA-256) and the Extended Key Usages the signing leaf must carry, each with
 * its source and confidence. Feeds signed under a chain this release does not know (the chain of
 * July 2026 differs: eems-domain.md K2) are trusted by adding an anchor in the `feedTrust` section
 * of a knowledge override, without a new release.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { z } from 'zod';
import trustFile from './feed-trust.json' with { type: 'json' };

export const FEED_TRUST_SCHEMA_VERSION = 1;

const sha256Hex = z
  .string()
  .transform((s) => s.replace(/[\s:]/g, '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 fingerprint: 64 hexadecimal digits (colons and spaces allowed)'));
const oid = z.string().regex(/^\d+(\.\d+)+$/, 'expected an object identifier like "1.3.6.1.5.5.7.3.3"');
const confidence = z.enum(['CONFIRMED', '3RD-PARTY', 'INFERRED']);
const source = z.string().min(10, 'say where the fact comes from (at least a sentence)');

/** One Extended Key Usage the signing leaf must carry. */
export const ekuEntrySchema = z.object({ oid, name: z.string().min(1), confidence, source }).strict();

/** One trust anchor: a certificate (root or intermediate) a signing chain may end at. */
export const anchorEntrySchema = z
  .object({
    name: z.string().min(1),
    sha256: sha256Hex,
    confidence,
    source,
    note: z.string().optional(),
    /** The certificate itself, for a chain whose file does not carry it. */
    pem: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'expected a PEM certificate' }).optional(),
    /** EKU OIDs required of a leaf under this anchor instead of the document's leafEkus. */
    leafEkus: z.array(oid).min(1).optional(),
  })
  .strict();

/** feed-trust.json. */
export const feedTrustFileSchema = z
  .object({
    schemaVersion: z.literal(FEED_TRUST_SCHEMA_VERSION),
    dataVersion: z.string().min(1),
    anchors: z.array(anchorEntrySchema).min(1),
    leafEkus: z.array(ekuEntrySchema).min(1),
  })
  .strict();

/** The `feedTrust` section of a knowledge override: anchors added (or replaced by sha256), EKUs replaced. */
export const feedTrustOverrideSchema = z
  .object({
    anchors: z.array(anchorEntrySchema).optional(),
    leafEkus: z.array(ekuEntrySchema).min(1).optional(),
  })
  .strict();

export type EkuEntry = z.infer<typeof ekuEntrySchema>;
export type AnchorEntry = z.infer<typeof anchorEntrySchema>;

/** The trust verify-feed applies. */
export interface FeedTrust {
  anchors: AnchorEntry[];
  leafEkus: EkuEntry[];
  /** dataVersion of feed-trust.json, and whether an override section was applied. */
  versions: { data: string; override: boolean };
}

let shipped: FeedTrust | null = null;

/**
 * The trust shipped with this release (feed-trust.json, validated on first use: a broken data
 * file is a release bug, so it throws).
 */
export function defaultFeedTrust(): FeedTrust {
  if (!shipped) {
    const parsed = feedTrustFileSchema.safeParse(trustFile);
    if (!parsed.success) throw new Error(`feed-trust.json is invalid: ${describe(parsed.error)}`);
    const anchorError = parsed.data.anchors.map(checkPem).find((e) => e !== null);
    if (anchorError) throw new Error(`feed-trust.json is invalid: ${anchorError}`);
    shipped = { anchors: parsed.data.anchors, leafEkus: parsed.data.leafEkus, versions: { data: parsed.data.dataVersion, override: false } };
  }
  return structuredClone(shipped);
}

/**
 * Merge the `feedTrust` section of a knowledge override into a trust (the section alone, e.g.
 * `override.feedTrust`; undefined leaves the trust as it is). An anchor with a known sha256
 * replaces that anchor, a new one is added; `leafEkus` replaces the list. A malformed section is
 * refused whole, with the field at fault ("feedTrust.anchors[0].sha256: ..."), never half-applied.
 */
export function applyFeedTrustOverride(base: FeedTrust, section: unknown): { ok: true; value: FeedTrust } | { ok: false; error: string } {
  if (section === undefined) return { ok: true, value: structuredClone(base) };
  const parsed = feedTrustOverrideSchema.safeParse(section);
  if (!parsed.success) return { ok: false, error: describe(parsed.error, 'feedTrust') };
  const result = structuredClone(base);
  for (const [index, anchor] of (parsed.data.anchors ?? []).entries()) {
    const pemError = checkPem(anchor);
    if (pemError) return { ok: false, error: `feedTrust.anchors[${index}]: ${pemError}` };
    const at = result.anchors.findIndex((a) => a.sha256 === anchor.sha256);
    if (at >= 0) result.anchors[at] = anchor;
    else result.anchors.push(anchor);
  }
  if (parsed.data.leafEkus) result.leafEkus = parsed.data.leafEkus;
  result.versions.override = true;
  return { ok: true, value: result };
}

/** The anchors' certificates given as PEM, for chains whose file does not carry them. */
export function anchorCertificates(trust: FeedTrust): string[] {
  return trust.anchors.flatMap((a) => (a.pem ? [a.pem] : []));
}

/** A PEM given with an anchor must be that anchor: same fingerprint. */
function checkPem(anchor: AnchorEntry): string | null {
  if (!anchor.pem) return null;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(anchor.pem);
  } catch {
    return `the pem of '${anchor.name}' is not a readable certificate`;
  }
  const actual = createHash('sha256').update(cert.raw).digest('hex');
  return actual === anchor.sha256 ? null : `the pem of '${anchor.name}' has the SHA-256 ${actual}, not the sha256 given (${anchor.sha256}); give the fingerprint of that certificate`;
}

function describe(error: z.ZodError, prefix?: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid document';
  const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
  return `${path || '(document)'}: ${issue.message}`;
}
