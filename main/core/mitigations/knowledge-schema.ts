/**
 * The schema of the knowledge base files (builds.json, mitigations.json) and of a user override
 * document. The data is versioned apart from the code: `schemaVersion` says which shape a file has
 * (this module reads shape 1), `dataVersion` which revision of the facts it holds.
 */
import { z } from 'zod';

/** The only file shape this version reads. */
export const KNOWLEDGE_SCHEMA_VERSION = 1;

const buildText = z
  .string()
  .regex(/^\d+\.\d+\.\d+\.\d+$/, 'expected a build like "15.2.1748.46" (Major.Minor.Build.Revision)');

const productName = z.enum(['Exchange 2013', 'Exchange 2016', 'Exchange 2019', 'Exchange SE']);

/** One row of the build table: a CU (update null) or an SU/HU on a CU line. */
export const buildEntrySchema = z.object({
  build: buildText,
  product: productName,
  /** "CU15", or "RTM" for Exchange SE. */
  cu: z.string().min(1),
  /** "Jun26SU", "Apr24HU", "Nov24SUv2"; null for the CU itself. */
  update: z.string().min(1).nullable(),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like "2026-06-09"'),
  /** learn | third-party | cve-record | user: where the row comes from. */
  source: z.string().optional(),
  note: z.string().optional(),
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
});

const appPoolArtefact = z.object({ type: z.literal('app-pool'), name: z.string().min(1) });
const serviceArtefact = z.object({ type: z.literal('service'), name: z.string().min(1) });

/** What a mitigation leaves on a server. */
export const artefactSchema = z.discriminatedUnion('type', [rewriteRuleArtefact, appPoolArtefact, serviceArtefact]);

/** The first build of one CU line that carries the fix. */
export const fixedBuildSchema = z.object({
  product: productName,
  cu: z.string().min(1),
  build: buildText,
});

/** One mitigation family of the catalogue ("M2": applied as "M2.1.0"). */
export const mitigationEntrySchema = z.object({
  /** The family ID, as MitigationsBlocked takes it: "M2", "PING1". */
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected a family ID like "M2" or "PING1" (no dots)'),
  kind: z.enum(['heartbeat', 'mitigation']),
  /** How MitigationsApplied shows it: "M2.1.x". */
  appliedAs: z.string().min(1),
  cve: z.string().nullable(),
  title: z.string().min(1),
  protectsAgainst: z.string().min(1),
  /** What users lose while it is applied. */
  userImpact: z.string().min(1),
  lowestApplicable: z.string().optional(),
  fixedBy: z.string().optional(),
  artefacts: z.array(artefactSchema),
  fixedBuilds: z.array(fixedBuildSchema),
  rollback: z.array(z.string()),
  links: z.array(z.string()),
});

const version = {
  schemaVersion: z.literal(KNOWLEDGE_SCHEMA_VERSION, {
    error: `this file has another schema version; EEMS Watch reads schemaVersion ${KNOWLEDGE_SCHEMA_VERSION}`,
  }),
  dataVersion: z.string().min(1),
};

/** builds.json */
export const buildsFileSchema = z.object({ ...version, builds: z.array(buildEntrySchema) });
/** mitigations.json */
export const mitigationsFileSchema = z.object({ ...version, mitigations: z.array(mitigationEntrySchema) });

/**
 * A user override: same shape, every section optional, entries partial. An entry whose key
 * (mitigation `id`, build `build`) exists replaces the given fields; a new key adds an entry, which
 * must then be complete.
 */
export const knowledgeOverrideSchema = z.object({
  schemaVersion: version.schemaVersion,
  dataVersion: z.string().min(1).optional(),
  builds: z.array(buildEntrySchema.partial().required({ build: true })).optional(),
  mitigations: z.array(mitigationEntrySchema.partial().required({ id: true })).optional(),
});

export type BuildEntry = z.infer<typeof buildEntrySchema>;
export type Artefact = z.infer<typeof artefactSchema>;
export type FixedBuild = z.infer<typeof fixedBuildSchema>;
export type MitigationEntry = z.infer<typeof mitigationEntrySchema>;
export type ProductName = z.infer<typeof productName>;
export type KnowledgeOverride = z.infer<typeof knowledgeOverrideSchema>;

/** "mitigations[1].fixedBuilds[0].build: expected ..." from a zod error (the first issue). */
export function describeSchemaError(error: z.ZodError, prefix: (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid document';
  return `${formatPath([...prefix, ...issue.path])}: ${issue.message}`;
}

/** A field path as people write it: "mitigations[1].fixedBuilds[0].build". */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(document)' : text;
}
