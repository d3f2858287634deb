/**
 * The schema of engine-state.json. A document with a good header but bad fields (a hand edit, a
 * disk fault, a file of another version) used to reach the rules and the views and make every
 * API call fail, at every start. Now every field the engine uses is checked on load: a document
 * that fails is moved aside (by the caller) with the field named, and the engine starts afresh.
 * Objects are loose: fields a later version adds pass through.
 */
import { z } from 'zod';
import { alertSchema } from './journal-records.js';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time');
const strings = z.array(z.string());

const bookmarksSchema = z.looseObject({
  events: z.record(z.string(), z.number().int().nonnegative()),
  logs: z.record(z.string(), z.looseObject({ file: z.string().min(1), offset: z.number().int().nonnegative(), ino: z.number().optional() })),
  forwarded: z.number().int().nonnegative().optional(),
});

const serverMemorySchema = z.looseObject({
  applied: strings,
  blocked: strings,
  seeded: z.boolean(),
  stale: z.record(z.string(), z.string()),
  lastCycleAt: iso.nullable(),
  fetch: z.looseObject({ failures: z.number().int().nonnegative() }),
});

const memorySchema = z.looseObject({
  version: z.literal(1),
  servers: z.record(z.string(), serverMemorySchema),
  conditions: z.record(z.string(), z.string()),
  open: z.record(z.string(), z.looseObject({ alert: alertSchema, until: iso.nullable(), lastSeenAt: iso.optional() })),
});

const serverStateSchema = z.looseObject({
  Name: z.string().min(1),
  MitigationsApplied: strings,
  MitigationsBlocked: strings,
  RewriteRules: z.array(z.looseObject({})),
  AppPools: z.array(z.looseObject({})),
  Services: z.array(z.looseObject({})),
});

const stateSchema = z.looseObject({
  collectedAt: iso,
  organization: z.looseObject({ MitigationsEnabled: z.boolean().nullable() }),
  servers: z.array(serverStateSchema),
});

const heartbeatSchema = z.looseObject({
  from: iso.nullable(),
  days: z.array(z.looseObject({ date: z.string().regex(/^\d{4}-\d\d-\d\d$/), cycles: z.number().int().nonnegative(), hours: z.number().int().nonnegative() })),
});

/** engine-state.json as the engine reads it (missing sections default to empty). */
export const engineStateSchema = z.looseObject({
  format: z.literal('eems-watch-engine-state'),
  version: z.literal(1),
  bookmarks: bookmarksSchema.default({ events: {}, logs: {} }),
  memory: memorySchema.nullable().default(null),
  state: stateSchema.nullable().default(null),
  collectedAt: z.record(z.string(), iso).default({}),
  lastPollAt: iso.nullable().default(null),
  heartbeat: z.record(z.string(), heartbeatSchema).default({}),
});

/** Why a document is not an engine state, naming the first bad field; null when it is one. */
export function engineStateProblem(value: unknown): string | null {
  const parsed = engineStateSchema.safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `field ${issue.path.join('.')}: ` : '';
  return `it is not a usable EEMS Watch engine state document (${where}${issue?.message ?? 'invalid'})`;
}
