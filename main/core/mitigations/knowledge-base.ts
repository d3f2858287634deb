/**
 * The knowledge base: Exchange build table, source table and EEMS mitigation catalogue, loaded from
 * the versioned data files next to this module and optionally merged with a knowledge update (an
 * admin's override file or the document at a knowledge URL), so that a new SU, mitigation or piece
 * of Microsoft guidance needs a data file, not a release.
 */
import type { ZodError } from 'zod';
import { applyFeedTrustOverride, defaultFeedTrust, type FeedTrust } from '../feed/feed-trust.js';
import buildsFile from './builds.json' with { type: 'json' };
import mitigationsFile from './mitigations.json' with { type: 'json' };
import {
  type BuildEntry,
  type MitigationEntry,
  type SourceEntry,
  KNOWLEDGE_SCHEMA_VERSION,
  buildEntrySchema,
  buildsFileSchema,
  describeSchemaError,
  formatPath,
  knowledgeOverrideSchema,
  mitigationEntrySchema,
  mitigationsFileSchema,
  sourceEntrySchema,
} from './knowledge-schema.js';

export type {
  Artefact, BuildEntry, Claim, CuLine, MitigationEntry, NewerLine, ProductName, RuleArtefact, RuleSignature, SourceEntry,
} from './knowledge-schema.js';

/** The build table, the source table and the mitigation catalogue, with the data versions they came from. */
export interface KnowledgeBase {
  builds: BuildEntry[];
  sources: SourceEntry[];
  mitigations: MitigationEntry[];
  /**
   * The anchors and leaf EKUs verify-feed trusts: feed-trust.json with the update's `feedTrust`
   * section applied (a feed signed under a chain Microsoft introduced after this release is
   * trusted by adding its anchor in an update, K2).
   */
  feedTrust: FeedTrust;
  versions: {
    schemaVersion: number;
    builds: string;
    mitigations: string;
    /** Publication date of the shipped data (the later of the two files). */
    date: string;
    /** dataVersion of the applied knowledge update, or null when none is applied. */
    override: string | null;
    /** Its date, or null. */
    overrideDate: string | null;
  };
}

let cached: KnowledgeBase | null = null;

/**
 * The knowledge base shipped with this version.
 * The shipped files are validated on first use: a broken data file is a release bug, so it throws.
 */
export function defaultKnowledgeBase(): KnowledgeBase {
  if (cached) return structuredClone(cached);
  const builds = buildsFileSchema.safeParse(buildsFile);
  if (!builds.success) throw new Error(`builds.json is invalid: ${describeSchemaError(builds.error)}`);
  const mitigations = mitigationsFileSchema.safeParse(mitigationsFile);
  if (!mitigations.success) throw new Error(`mitigations.json is invalid: ${describeSchemaError(mitigations.error)}`);
  const kb: KnowledgeBase = {
    builds: builds.data.builds,
    sources: mitigations.data.sources,
    mitigations: mitigations.data.mitigations,
    feedTrust: defaultFeedTrust(),
    versions: {
      schemaVersion: KNOWLEDGE_SCHEMA_VERSION,
      builds: builds.data.dataVersion,
      mitigations: mitigations.data.dataVersion,
      date: [builds.data.date, mitigations.data.date].sort().at(-1)!,
      override: null,
      overrideDate: null,
    },
  };
  const dangling = danglingSource(kb);
  if (dangling) throw new Error(`mitigations.json is invalid: ${dangling}`);
  cached = kb;
  return structuredClone(cached);
}

type OverrideResult = { ok: true; value: KnowledgeBase } | { ok: false; error: string };

/**
 * Merge a knowledge update into a knowledge base, all or nothing: the result is a new knowledge
 * base, `base` is never touched, and any fault refuses the whole document with the path of the field
 * at fault ("mitigations[1].lines[0].fixedIn[0].build: ..."), so a refused update leaves the
 * previous knowledge in force. Entries are keyed by source `id`, mitigation `id` and build `build`:
 * a known key has the given fields replaced (arrays replace whole), an unknown key is added and must
 * be complete. Every source a fact names must be in the merged source table. A `feedTrust` section
 * adds or replaces trust anchors and replaces the leaf EKUs (feed-trust.ts).
 */
export function applyKnowledgeOverride(base: KnowledgeBase, override: unknown): OverrideResult {
  const parsed = knowledgeOverrideSchema.safeParse(withoutPrototypeKeys(override));
  if (!parsed.success) return { ok: false, error: describeSchemaError(parsed.error) };
  const doc = parsed.data;
  const result = structuredClone(base);

  const merged =
    mergeList(result.sources, doc.sources ?? [], 'sources', (s) => s.id, (e) => String(e.id), sourceEntrySchema, 'source') ??
    mergeList(result.mitigations, doc.mitigations ?? [], 'mitigations', (m) => m.id.toUpperCase(), (e) => String(e.id).toUpperCase(), mitigationEntrySchema, 'mitigation') ??
    mergeList(result.builds, doc.builds ?? [], 'builds', (b) => b.build, (e) => String(e.build), buildEntrySchema, 'build', { source: 'user' });
  if (merged) return { ok: false, error: merged };
  const dangling = danglingSource(result);
  if (dangling) return { ok: false, error: dangling };
  const trust = applyFeedTrustOverride(result.feedTrust, doc.feedTrust);
  if (!trust.ok) return { ok: false, error: trust.error };
  result.feedTrust = trust.value;

  result.versions.override = doc.dataVersion ?? 'unversioned';
  result.versions.overrideDate = doc.date ?? null;
  return { ok: true, value: result };
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A copy of a parsed JSON document without "__proto__", "constructor" and "prototype" keys at any
 * depth: JSON.parse makes them own keys, and they are never knowledge, so they neither refuse the
 * document (the schema is strict about unknown keys) nor reach a merged entry.
 */
function withoutPrototypeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (!PROTOTYPE_KEYS.has(key)) out[key] = withoutPrototypeKeys(item);
  return out;
}

interface Parser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: ZodError };
}

/** Merge `entries` into `list` in place by key; the first fault as a sentence, or null. */
function mergeList<T extends object>(
  list: T[],
  entries: Record<string, unknown>[],
  section: string,
  keyOf: (item: T) => string,
  keyOfEntry: (entry: Record<string, unknown>) => string,
  schema: Parser<T>,
  what: string,
  defaults: Record<string, unknown> = {},
): string | null {
  for (const [index, entry] of entries.entries()) {
    const key = keyOfEntry(entry);
    const at = list.findIndex((item) => keyOf(item) === key);
    const mergedEntry = at >= 0 ? { ...list[at], ...entry } : { ...defaults, ...entry };
    const checked = schema.safeParse(mergedEntry);
    if (!checked.success) return describeMergeError(checked.error, mergedEntry, [section, index], `${what} '${String(entry.id ?? entry.build)}'`);
    if (at >= 0) list[at] = checked.data;
    else list.push(checked.data);
  }
  return null;
}

/** A missing field of a new entry says so plainly; any other fault keeps the schema's words. */
function describeMergeError(error: ZodError, merged: Record<string, unknown>, prefix: (string | number)[], what: string): string {
  const issue = error.issues[0];
  if (issue && issue.path.length === 1 && merged[String(issue.path[0])] === undefined) {
    return `${formatPath([...prefix, ...issue.path])}: required, because ${what} is not in the knowledge base yet (a new entry must be complete)`;
  }
  return describeSchemaError(error, prefix);
}

/** The first fact that names a source the source table lacks, as a sentence with its path; or null. */
function danglingSource(kb: KnowledgeBase): string | null {
  const known = new Set(kb.sources.map((s) => s.id));
  for (const [m, entry] of kb.mitigations.entries()) {
    const refs: [(string | number)[], string[] | undefined][] = [
      ...entry.impact.map((x, i): [(string | number)[], string[]] => [['impact', i, 'sources'], x.sources]),
      ...entry.artefacts.map((a, i): [(string | number)[], string[] | undefined] => [['artefacts', i, 'sources'], a.sources]),
      ...entry.signatures.map((s, i): [(string | number)[], string[]] => [['signatures', i, 'sources'], s.sources]),
      ...entry.newerLines.map((n, i): [(string | number)[], string[]] => [['newerLines', i, 'sources'], n.sources]),
      ...entry.lines.flatMap((line, l) => [
        ...line.fixedIn.map((c, i): [(string | number)[], string[]] => [['lines', l, 'fixedIn', i, 'sources'], c.sources]),
        ...line.removableFrom.map((c, i): [(string | number)[], string[]] => [['lines', l, 'removableFrom', i, 'sources'], c.sources]),
      ]),
    ];
    for (const [path, ids] of refs) {
      const missing = (ids ?? []).find((id) => !known.has(id));
      if (missing) return `${formatPath(['mitigations', m, ...path])}: names the source '${missing}', which is not in the source table (add it under "sources")`;
    }
  }
  return null;
}

/** A source of the table by id (every id a fact names is checked to exist when the knowledge loads). */
export function sourceById(kb: KnowledgeBase, id: string): SourceEntry | null {
  return kb.sources.find((s) => s.id === id) ?? null;
}

/**
 * True when `id` belongs to `family`: "M2" matches "M2", "M2.1" and "M2.1.0", never "M21.0".
 * Case-insensitive, because admins type block lists by hand.
 */
export function familyMatches(family: string, id: string): boolean {
  const f = family.trim().toUpperCase();
  const i = id.trim().toUpperCase();
  return i === f || i.startsWith(`${f}.`);
}

/**
 * The catalogue entry for a family or applied ID ("M2", "M2.1.0", "PING1"), or null when unknown.
 * The most specific family wins if an override adds one with a dot-free longer name.
 */
export function findMitigation(kb: KnowledgeBase, id: string): MitigationEntry | null {
  let best: MitigationEntry | null = null;
  for (const entry of kb.mitigations) {
    if (familyMatches(entry.id, id) && (!best || entry.id.length > best.id.length)) best = entry;
  }
  return best;
}
