/**
 * The schema of the knowledge base files (builds.json, mitigations.json) and of a knowledge update
 * (an override document, from a file or an https URL). The data is versioned apart from the code:
 * `schemaVersion` says which shape a file has (this module reads shape 2), `dataVersion` and `date`
 * which revision of the facts it holds.
 *
 * Shape 2 (2026-12, eems-domain.md K1): every fact carries its sources, named by id from one source
 * table; per mitigation and CU line, `fixedIn` (the CVE record's fixed build) and `removableFrom`
 * (Microsoft's removal guidance) are lists of claims, so sources that disagree are kept side by side.
 */
import { z } from 'zod';

/** The only file shape this version reads. */
export const KNOWLEDGE_SCHEMA_VERSION = 2;

const buildText = z
  .string()
  .regex(/^\d+\.\d+\.\d+\.\d+$/, 'expected a build like "15.2.1748.46" (Major.Minor.Build.Revision)');

const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like "2026-06-09"');

const productName = z.enum(['Exchange 2013', 'Exchange 2016', 'Exchange 2019', 'Exchange SE']);

const sourceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a source id such as "eomt-42897" (lower-case letters, digits, "-")');

/** One row of the build table: a CU (update null) or an SU/HU on a CU line. */
export const buildEntrySchema = z.object({
  build: buildText,
  product: productName,
  /** "CU15", or "RTM" for Exchange SE. */
  cu: z.string().min(1),
  /** "Jun26SU", "Apr24HU", "Nov24SUv2"; null for the CU itself. */
  update: z.string().min(1).nullable(),
  date: dayText,
  /** learn | third-party | cve-record | user: where the row comes from. */
  source: z.string().optional(),
  note: z.string().optional(),
});

/** One entry of the source table: who says a fact, when, and how far it can be trusted. */
export const sourceEntrySchema = z.object({
  id: sourceId,
  title: z.string().min(1),
  url: z.string().regex(/^https:\/\/\S+$/, 'expected an https:// link').nullable(),
  date: dayText.nullable(),
  confidence: z.enum(['confirmed', 'third-party', 'inferred']),
  note: z.string().optional(),
});

const sourceRefs = z.array(sourceId).min(1, 'must name at least one source of the source table');

/** A condition pattern: one regular expression, or the list of forms Microsoft's tools have used. */
const patternList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const conditionSchema = z.object({ input: z.string().min(1), pattern: patternList });

/**
 * What a mitigation rule does, so a rule applied by EOMT or by hand is recognised by behaviour
 * where its name differs (K7). Every field given must match the rule's reported details.
 */
export const signatureSchema = z.object({
  direction: z.enum(['inbound', 'outbound', 'precondition']),
  /** IIS location the rule must sit at ("Default Web Site/owa"). */
  location: z.string(),
  /** <match>: serverVariable for outbound rules, url for inbound ones. */
  match: z.object({ serverVariable: z.string().optional(), url: z.string().optional(), pattern: z.string().optional() }).optional(),
  action: z.object({ type: z.string().min(1), value: z.string().optional() }).optional(),
  /** Conditions the rule (or, for a preCondition, its <add> items) must hold. */
  conditions: z.array(conditionSchema).optional(),
  /** For an outbound rule: the conditions of the preCondition it names. */
  preCondition: z.array(conditionSchema).optional(),
  sources: sourceRefs,
});

const rewriteRuleArtefact = z.object({
  type: z.literal('rewrite-rule'),
  name: z.string().min(1),
  direction: z.enum(['inbound', 'outbound', 'precondition']),
  /** IIS location as the collection script reports it: "Default Web Site/owa"; "" for server level. */
  location: z.string(),
  configFile: z.enum(['web.config', 'applicationHost.config']),
  /** WebAdministration path, e.g. "IIS:\\Sites\\Default Web Site\\owa". */
  psPath: z.string().optional(),
  /** The config file on disk, for people ("%ExchangeInstallPath%FrontEnd\\HttpProxy\\owa\\web.config"). */
  path: z.string().optional(),
  /** Who writes a rule of this name: EEMS itself, or Microsoft's EOMT script (K7). */
  appliedBy: z.enum(['EEMS', 'EOMT']).default('EEMS'),
  /** A generic name: the rule counts only when its reported behaviour matches a signature. */
  requireBehaviour: z.boolean().optional(),
  /** The tool's own way back (EOMT's -RollbackMitigation), shown as the alternative in a plan. */
  rollback: z.string().optional(),
  sources: sourceRefs.optional(),
  note: z.string().optional(),
});

const appPoolArtefact = z.object({ type: z.literal('app-pool'), name: z.string().min(1), sources: sourceRefs.optional() });
const serviceArtefact = z.object({ type: z.literal('service'), name: z.string().min(1), sources: sourceRefs.optional() });

/** What a mitigation leaves on a server. */
export const artefactSchema = z.discriminatedUnion('type', [rewriteRuleArtefact, appPoolArtefact, serviceArtefact]);

/** One source's word on a build: `build` null is a statement without a build (shown, never decisive). */
export const claimSchema = z.object({
  build: buildText.nullable(),
  sources: sourceRefs,
  /** What the source says, in words. */
  says: z.string().optional(),
});

/** The two facts for one CU line, each a list of claims. */
export const cuLineSchema = z
  .object({
    product: productName,
    cu: z.string().min(1),
    /** The CVE record's fixed build (and whoever else reports the code fix). */
    fixedIn: z.array(claimSchema.extend({ build: buildText })).min(1, 'must name the fixed build and its source'),
    /** Microsoft's removal guidance; empty: none known, so the mitigation is never offered for removal. */
    removableFrom: z.array(claimSchema),
  })
  .superRefine((line, ctx) => {
    const builds = [...line.fixedIn, ...line.removableFrom].map((c) => c.build).filter((b): b is string => b !== null);
    const lineOf = (b: string) => b.split('.').slice(0, 3).join('.');
    if (new Set(builds.map(lineOf)).size > 1) ctx.addIssue({ code: 'custom', message: 'every build of one CU line must share Major.Minor.Build', path: ['removableFrom'] });
  });

/** Whether a CU line newer than every listed line of its product counts as fixed / removable, and who says so. */
export const newerLineSchema = z.object({
  product: productName,
  fixed: z.boolean(),
  removable: z.boolean(),
  sources: sourceRefs,
  says: z.string().optional(),
});

/** One mitigation family of the catalogue ("M2": applied as "M2.1.0"). */
export const mitigationEntrySchema = z
  .object({
    /** The family ID, as MitigationsBlocked takes it: "M2", "PING1". */
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected a family ID like "M2" or "PING1" (no dots)'),
    kind: z.enum(['heartbeat', 'mitigation']),
    /** How MitigationsApplied shows it: "M2.1.x". */
    appliedAs: z.string().min(1),
    cve: z.string().nullable(),
    title: z.string().min(1),
    protectsAgainst: z.string().min(1),
    /** What users lose while it is applied, in one paragraph. */
    userImpact: z.string().min(1),
    /** The same, fact by fact, with sources. */
    impact: z.array(z.object({ text: z.string().min(1), sources: sourceRefs })).default([]),
    lowestApplicable: z.string().optional(),
    /** The update that fixes the flaw, in words ("June 2026 SU (Jun26SU)"). */
    fixedBy: z.string().optional(),
    /** The update from which Microsoft's guidance lets the mitigation go ("July 2026 SU (Jul26SU)"). */
    removableBy: z.string().optional(),
    artefacts: z.array(artefactSchema),
    signatures: z.array(signatureSchema).default([]),
    lines: z.array(cuLineSchema),
    newerLines: z.array(newerLineSchema).default([]),
    rollback: z.array(z.string()),
    links: z.array(z.string()),
  })
  .superRefine((entry, ctx) => {
    if (entry.kind === 'heartbeat' && entry.lines.length > 0) ctx.addIssue({ code: 'custom', message: 'a heartbeat has no fixed builds', path: ['lines'] });
  });

const version = {
  schemaVersion: z.literal(KNOWLEDGE_SCHEMA_VERSION, {
    error: `this file has another schema version; EEMS Watch reads schemaVersion ${KNOWLEDGE_SCHEMA_VERSION} (2026-12: fixedIn and removableFrom per CU line, each with its sources)`,
  }),
  dataVersion: z.string().min(1).max(64),
  /** When this revision of the facts was published. */
  date: dayText,
};

/** builds.json */
export const buildsFileSchema = z.object({ ...version, builds: z.array(buildEntrySchema) });
/** mitigations.json */
export const mitigationsFileSchema = z.object({ ...version, sources: z.array(sourceEntrySchema), mitigations: z.array(mitigationEntrySchema) });

/**
 * A knowledge update (an admin's override file, or the document at a knowledge URL): same shape,
 * every section optional, entries partial. An entry whose key (mitigation `id`, build `build`, source
 * `id`) exists replaces the given fields; a new key adds an entry, which must then be complete.
 */
export const knowledgeOverrideSchema = z
  .object({
    $comment: z.string().optional(),
    schemaVersion: version.schemaVersion,
    dataVersion: version.dataVersion.optional(),
    date: dayText.optional(),
    sources: z.array(z.looseObject({ id: sourceId })).optional(),
    builds: z.array(z.looseObject({ build: buildText })).optional(),
    mitigations: z.array(z.looseObject({ id: z.string() })).optional(),
    /** Anchors added and leaf EKUs replaced for verify-feed; checked by feed-trust.ts's own schema. */
    feedTrust: z.unknown().optional(),
  })
  .strict();

export type BuildEntry = z.infer<typeof buildEntrySchema>;
export type SourceEntry = z.infer<typeof sourceEntrySchema>;
export type Artefact = z.infer<typeof artefactSchema>;
export type RuleArtefact = z.infer<typeof rewriteRuleArtefact>;
export type RuleSignature = z.infer<typeof signatureSchema>;
export type Claim = z.infer<typeof claimSchema>;
export type CuLine = z.infer<typeof cuLineSchema>;
export type NewerLine = z.infer<typeof newerLineSchema>;
export type MitigationEntry = z.infer<typeof mitigationEntrySchema>;
export type ProductName = z.infer<typeof productName>;
export type KnowledgeOverride = z.infer<typeof knowledgeOverrideSchema>;

/** "mitigations[1].lines[0].fixedIn[0].build: expected ..." from a zod error (the first issue). */
export function describeSchemaError(error: z.ZodError, prefix: (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid document';
  return `${formatPath([...prefix, ...issue.path])}: ${issue.message}`;
}

/** A field path as people write it: "mitigations[1].lines[0].fixedIn[0].build". */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(document)' : text;
}
