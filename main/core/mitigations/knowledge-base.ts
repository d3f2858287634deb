/**
 * The knowledge base: Exchange build table plus EEMS mitigation catalogue, loaded from the versioned
 * data files next to this module and optionally merged with a user override, so that a new SU or
 * mitigation needs a data file, not a release.
 */
import type { ZodError } from 'zod';
import buildsFile from './builds.json' with { type: 'json' };
import mitigationsFile from './mitigations.json' with { type: 'json' };
import {
  type BuildEntry,
  type MitigationEntry,
  KNOWLEDGE_SCHEMA_VERSION,
  buildEntrySchema,
  buildsFileSchema,
  describeSchemaError,
  formatPath,
  knowledgeOverrideSchema,
  mitigationEntrySchema,
  mitigationsFileSchema,
} from './knowledge-schema.js';

export type { Artefact, BuildEntry, FixedBuild, MitigationEntry, ProductName } from './knowledge-schema.js';

/** The build table and the mitigation catalogue, with the data versions they came from. */
export interface KnowledgeBase {
  builds: BuildEntry[];
  mitigations: MitigationEntry[];
  versions: {
    schemaVersion: number;
    builds: string;
    mitigations: string;
    /** dataVersion of the applied override, or null when none is applied. */
    override: string | null;
  };
}

let cached: KnowledgeBase | null = null;

/**
 * The knowledge base shipped with this version.
 * The shipped files are validated on first use: a broken data file is a release bug, so it throws.
 */
export function defaultKnowledgeBase(): KnowledgeBase {
  if (cached) return cloneKnowledge(cached);
  const builds = buildsFileSchema.safeParse(buildsFile);
  if (!builds.success) throw new Error(`builds.json is invalid: ${describeSchemaError(builds.error)}`);
  const mitigations = mitigationsFileSchema.safeParse(mitigationsFile);
  if (!mitigations.success) throw new Error(`mitigations.json is invalid: ${describeSchemaError(mitigations.error)}`);
  cached = {
    builds: builds.data.builds,
    mitigations: mitigations.data.mitigations,
    versions: {
      schemaVersion: KNOWLEDGE_SCHEMA_VERSION,
      builds: builds.data.dataVersion,
      mitigations: mitigations.data.dataVersion,
      override: null,
    },
  };
  return cloneKnowledge(cached);
}

function cloneKnowledge(kb: KnowledgeBase): KnowledgeBase {
  return structuredClone(kb);
}

type OverrideResult = { ok: true; value: KnowledgeBase } | { ok: false; error: string };

/**
 * Merge a user override document into a knowledge base.
 * Entries are keyed by mitigation `id` and build `build`: a known key has the given fields replaced
 * (arrays replace whole), an unknown key is added and must be complete. A malformed document is
 * refused with the path of the field at fault ("mitigations[1].fixedBuilds[0].build: ...").
 */
export function applyKnowledgeOverride(base: KnowledgeBase, override: unknown): OverrideResult {
  const parsed = knowledgeOverrideSchema.safeParse(override);
  if (!parsed.success) return { ok: false, error: describeSchemaError(parsed.error) };
  const doc = parsed.data;
  const result = cloneKnowledge(base);

  for (const [index, entry] of (doc.mitigations ?? []).entries()) {
    const at = result.mitigations.findIndex((m) => m.id.toUpperCase() === entry.id.toUpperCase());
    const merged = at >= 0 ? { ...result.mitigations[at], ...entry } : entry;
    const checked = mitigationEntrySchema.safeParse(merged);
    if (!checked.success) return { ok: false, error: describeMergeError(checked.error, merged, ['mitigations', index], `mitigation '${entry.id}'`) };
    if (at >= 0) result.mitigations[at] = checked.data;
    else result.mitigations.push(checked.data);
  }

  for (const [index, entry] of (doc.builds ?? []).entries()) {
    const at = result.builds.findIndex((b) => b.build === entry.build);
    const merged = at >= 0 ? { ...result.builds[at], ...entry } : { source: 'user', ...entry };
    const checked = buildEntrySchema.safeParse(merged);
    if (!checked.success) return { ok: false, error: describeMergeError(checked.error, merged, ['builds', index], `build '${entry.build}'`) };
    if (at >= 0) result.builds[at] = checked.data;
    else result.builds.push(checked.data);
  }

  result.versions.override = doc.dataVersion ?? 'unversioned';
  return { ok: true, value: result };
}

/** A missing field of a new entry says so plainly; any other fault keeps the schema's words. */
function describeMergeError(
  error: ZodError,
  merged: Record<string, unknown>,
  prefix: (string | number)[],
  what: string,
): string {
  const issue = error.issues[0];
  if (issue && issue.path.length === 1 && merged[String(issue.path[0])] === undefined) {
    return `${formatPath([...prefix, ...issue.path])}: required, because ${what} is not in the knowledge base yet (a new entry must be complete)`;
  }
  return describeSchemaError(error, prefix);
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
