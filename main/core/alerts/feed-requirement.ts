/**
 * Can this server still use the mitigation files Microsoft publishes? Since July 2026 the EM
 * service cannot use a configuration file unless Exchange runs the June 2026 update or newer
 * (eems-domain.md K2): mitigations already applied keep working, new ones never arrive. That is
 * true of a server from its build alone, before any 1008 shows it, so it is a standing warning.
 *
 * Which update is the June 2026 one of each CU line comes from data: feed-requirements.json names
 * the update label, the knowledge base's build table holds the build of each line.
 */
import { z } from 'zod';
import requirementsFile from './feed-requirements.json' with { type: 'json' };
import { compareBuilds, formatBuild, nameBuild, parseBuild, productOf, sameCuLine, serverBuild, type ExchangeBuild } from '../mitigations/builds.js';
import type { KnowledgeBase } from '../mitigations/knowledge-base.js';
import type { ServerState } from '../model.js';

const requirementSchema = z.object({
  id: z.string().min(1),
  /** An update label of the build table ("Jun26SU"). */
  minimumUpdate: z.string().min(1),
  minimumUpdateName: z.string().min(1),
  /** YYYY-MM-DD (UTC): from this day on the requirement holds. */
  effectiveFrom: z.string().regex(/^\d{4}-\d\d-\d\d$/),
  effectiveFromNote: z.string().optional(),
  statement: z.string().min(1),
  /** What the 1008 / log text reads like on such a server. */
  symptom: z.string().min(1),
  source: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d\d-\d\d$/).nullable(),
  confidence: z.enum(['confirmed', 'third-party', 'inferred']),
  url: z.string().url().nullable(),
});

const fileSchema = z.object({ schemaVersion: z.literal(1), dataVersion: z.string().min(1), requirements: z.array(requirementSchema).min(1) });

/** One requirement of feed-requirements.json. */
export type FeedRequirement = z.infer<typeof requirementSchema>;

/** The shipped requirements. A broken data file is a release bug: it throws on first use. */
export function feedRequirements(): FeedRequirement[] {
  const parsed = fileSchema.safeParse(requirementsFile);
  if (!parsed.success) throw new Error(`feed-requirements.json is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.requirements;
}

/** Why a server cannot use the current mitigation files. */
export interface FeedShortfall {
  requirement: FeedRequirement;
  /** The server's build, "15.2.1748.43", and its name, "2019 CU15 Feb26SU". */
  build: string;
  buildName: string;
  /** The minimum build of the server's CU line, or null when its CU line got no such update. */
  required: string | null;
  /** "2019 CU15 Jun26SU", or null with `required`. */
  requiredName: string | null;
  /** ISO time the requirement took effect: when the problem began for a server already below. */
  since: string;
}

function minimumBuilds(kb: KnowledgeBase, label: string): ExchangeBuild[] {
  const wanted = label.toLowerCase();
  return kb.builds.filter((row) => row.update?.toLowerCase() === wanted).flatMap((row) => parseBuild(row.build) ?? []);
}

/**
 * Where a build stands against the minimum builds: below the one of its CU line; on a CU line
 * older than every line that got the update (no such update exists for it: below); on a newer line
 * (a later CU, not in the table yet: fine). A product that got the update on no line is below
 * (Exchange 2013). null: no judgement (an unknown product).
 */
function standing(build: ExchangeBuild, minimums: ExchangeBuild[]): { below: boolean; required: ExchangeBuild | null } | null {
  if (productOf(build) === 'unknown') return null;
  const line = minimums.find((m) => sameCuLine(m, build));
  if (line) return { below: compareBuilds(build, line) < 0, required: line };
  const sameProduct = minimums.filter((m) => productOf(m) === productOf(build));
  if (sameProduct.length === 0) return { below: true, required: null };
  return { below: sameProduct.some((m) => compareBuilds(m, build) > 0), required: null };
}

/**
 * The requirement this server's build fails now, or null (fine, not in effect yet, or the build is
 * not known to the SU level: AdminDisplayVersion shows only the CU, so no claim is made).
 */
export function feedShortfall(server: ServerState, kb: KnowledgeBase, now: Date, requirements: FeedRequirement[] = feedRequirements()): FeedShortfall | null {
  const known = serverBuild(server);
  if (!known.build || known.source !== 'ExSetup') return null;
  for (const requirement of requirements) {
    const since = `${requirement.effectiveFrom}T00:00:00.000Z`;
    if (now.getTime() < Date.parse(since)) continue;
    const verdict = standing(known.build, minimumBuilds(kb, requirement.minimumUpdate));
    if (!verdict?.below) continue;
    return {
      requirement,
      build: formatBuild(known.build),
      buildName: nameBuild(known.build, kb).short,
      required: verdict.required ? formatBuild(verdict.required) : null,
      requiredName: verdict.required ? nameBuild(verdict.required, kb).short : null,
      since,
    };
  }
  return null;
}
