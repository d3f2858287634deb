/**
 * The one contract for the arguments of plan steps (ActionStep.args): removal-plan.ts builds them,
 * the PowerShell host checks them before run-step.ps1 reads them, the lab reads them to simulate
 * the step. Every kind has exactly one shape; unknown keys are refused, so a producer that drifts
 * (a renamed or extra field) fails loudly in the tests instead of being guessed at by a host.
 */
import { z } from 'zod';
import type { ActionStep, ActionStepKind } from '../ports.js';

/** Mitigation IDs as EEMS writes them: "PING1", "M1", "M2.1.0". */
export const mitigationIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,31}$/, 'must be a mitigation ID such as M2.1.0: letters, digits, ".", "_" and "-" only');

/** IIS application pool and Windows service names ("MSExchangeOWAAppPool", "MSExchangeMitigation"). */
export const iisOrServiceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, 'must be an app pool or service name: letters, digits, spaces, ".", "_" and "-" only');

/** IIS locations: "Default Web Site/owa", or "Server" / "" for applicationHost.config itself. */
export const iisLocationSchema = z
  .string()
  .regex(/^(|[A-Za-z0-9][A-Za-z0-9 ._/-]{0,255})$/, 'must be an IIS location such as "Default Web Site/owa"');

/**
 * Rule names are free text in IIS, so they are not narrowed: they travel only as data (the script
 * matches them with -AtElement @{ name = ... }). Control characters are still refused.
 */
export const ruleNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** The file a rewrite rule lives in. */
export const configFileSchema = z.enum(['web.config', 'applicationHost.config'], 'must be web.config or applicationHost.config');

/** Where in the rewrite section a rule sits: inbound rules, outbound rules, outbound preConditions. */
export const ruleDirectionSchema = z.enum(['inbound', 'outbound', 'precondition'], 'must be inbound, outbound or precondition');

const enabledSchema = z.boolean('must be true or false');

/** The arguments each step kind takes: the only keys producers write and hosts read. */
export const stepArgsSchemas = {
  /** Copy the config file holding the rules at `location` before it is changed. */
  'backup-config': z.strictObject({ location: iisLocationSchema, configFile: configFileSchema }),
  /**
   * `mitigationsBlocked` is the complete new MitigationsBlocked list as the plan saw it; hosts ADD
   * these IDs to the list they find (Set-ExchangeServer replaces the whole value), so a block
   * added by someone else since the plan was made is kept. `mitigation` is the family blocked.
   */
  'block-mitigation': z
    .strictObject({ mitigation: mitigationIdSchema, mitigationsBlocked: z.array(mitigationIdSchema, 'must be a list of mitigation IDs').min(1, 'must name at least one mitigation ID') })
    .refine((a) => a.mitigationsBlocked.some((id) => id.toUpperCase() === a.mitigation.toUpperCase()), {
      message: 'must contain the mitigation the step blocks',
      path: ['mitigationsBlocked'],
    }),
  /**
   * Take IDs off MitigationsBlocked (`remove`: the family and/or exact IDs); every other blocked ID
   * stays. Hosts read the list they find and write it back without these.
   */
  'unblock-mitigation': z.strictObject({
    mitigation: mitigationIdSchema,
    remove: z.array(mitigationIdSchema, 'must be a list of mitigation IDs').min(1, 'must name at least one mitigation ID'),
  }),
  /** One rule, found by name in the file itself (`location` "" = server level of applicationHost.config). */
  'remove-rewrite-rule': z.strictObject({
    name: ruleNameSchema,
    direction: ruleDirectionSchema,
    location: iisLocationSchema,
    configFile: configFileSchema,
  }),
  'start-app-pool': z.strictObject({ name: iisOrServiceNameSchema }),
  /** `startType` when the mitigation left the service Disabled (INFERRED: Exchange services run Automatic). */
  'start-service': z.strictObject({ name: iisOrServiceNameSchema, startType: z.enum(['Automatic', 'Manual'], 'must be Automatic or Manual').optional() }),
  'set-org-mitigations-enabled': z.strictObject({ enabled: enabledSchema }),
  'set-server-mitigations-enabled': z.strictObject({ enabled: enabledSchema }),
  /**
   * What must hold after the plan: `absentRules` rewrite rules gone, `expectBlocked` IDs in
   * MitigationsBlocked, `orgMitigationsEnabled` the organisation's value (a verify step without a
   * server checks only that one).
   */
  'verify': z.strictObject({
    mitigation: mitigationIdSchema.optional(),
    absentRules: z.array(ruleNameSchema, 'must be a list of rule names').optional(),
    expectBlocked: z.array(mitigationIdSchema, 'must be a list of mitigation IDs').optional(),
    orgMitigationsEnabled: enabledSchema.optional(),
  }),
} satisfies Record<ActionStepKind, z.ZodType>;

/** The typed arguments of one step kind. */
export type StepArgs<K extends ActionStepKind> = z.infer<(typeof stepArgsSchemas)[K]>;

/** A step with its arguments checked and typed, discriminated by kind. */
export type ParsedStep = { [K in ActionStepKind]: { kind: K; server: string | null; args: StepArgs<K> } }[ActionStepKind];

/** The first problem as a sentence; a key of another shape is named before what it displaced. */
function describeIssue(kind: ActionStepKind, args: unknown, issues: z.core.$ZodIssue[]): string {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (!issue) return 'args: are not valid.';
  const where = `args${issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('')}`;
  if (issue.code === 'unrecognized_keys') return `${where}: ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} ${issue.keys.length > 1 ? 'are not arguments' : 'is not an argument'} of ${kind}.`;
  let value: unknown = args;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (value === undefined && issue.code === 'invalid_type') return `${where}: is missing; a ${kind} step needs it.`;
  return `${where}: ${issue.message}.`;
}

/** Whether a step acts on the organisation (no server): the org switch, and a verify without a server. */
export function isOrganisationStep(step: Pick<ActionStep, 'kind' | 'server'>): boolean {
  return step.kind === 'set-org-mitigations-enabled' || (step.kind === 'verify' && step.server === null);
}

/**
 * Check a step's arguments against its kind's one shape. On refusal, `error` is a sentence naming
 * the field ("args.mitigationsBlocked[0]: must be a mitigation ID ..."); the caller adds what to do.
 */
export function parseStepArgs(step: Pick<ActionStep, 'kind' | 'server' | 'args'>): { ok: true; step: ParsedStep } | { ok: false; error: string } {
  const kind = step.kind as string;
  if (!Object.hasOwn(stepArgsSchemas, kind)) return { ok: false, error: `kind: ${JSON.stringify(kind)} is not a step kind EEMS Watch knows.` };
  const parsed = stepArgsSchemas[step.kind].safeParse(step.args ?? {});
  if (!parsed.success) return { ok: false, error: describeIssue(step.kind, step.args, parsed.error.issues) };
  if (step.kind === 'verify' && step.server === null) {
    const a = parsed.data as StepArgs<'verify'>;
    if (a.orgMitigationsEnabled === undefined) return { ok: false, error: 'args.orgMitigationsEnabled: a verify step without a server must say which organisation value to check.' };
    if (a.absentRules !== undefined || a.expectBlocked !== undefined) return { ok: false, error: 'server: a verify step that checks rules or MitigationsBlocked must name its server.' };
  } else if (!isOrganisationStep(step) && step.server === null) {
    return { ok: false, error: `server: a ${step.kind} step must name its server.` };
  }
  return { ok: true, step: { kind: step.kind, server: step.server, args: parsed.data } as ParsedStep };
}
