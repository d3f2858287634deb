/**
 * The evidence for one mitigation on one server build: is the fix installed (`fixedIn`, the CVE
 * record's fixed build), and may the mitigation go (`removableFrom`, Microsoft's removal guidance,
 * which can be later: eems-domain.md K1)? Decided from the catalogue's claims per CU line; when
 * sources name different builds the LATEST one decides, and `disagreement` says who says what.
 * Never decided from Learn's "highest version applicable" column (its meaning differs between M1 and M2).
 */
import type { EvidenceSource } from '../model.js';
import { compareBuilds, formatBuild, nameBuild, parseBuild, sameCuLine, type ExchangeBuild, type ServerBuild } from './builds.js';
import { sourceById, type Claim, type CuLine, type KnowledgeBase, type MitigationEntry } from './knowledge-base.js';

/** Everything a verdict needs to know about the two builds, with the words for the admin. */
export interface Evidence {
  /** The server's build is at or above fixedIn (the code fix is installed). */
  fixed: boolean;
  /** The server's build is at or above removableFrom: only then may the mitigation go. */
  removable: boolean;
  /** The effective fixed build of the server's CU line, or null when none is listed for it. */
  fixedIn: string | null;
  /** The effective removable-from build of the server's CU line, or null when none is known. */
  removableFrom: string | null;
  sources: EvidenceSource[];
  disagreement: string | null;
  /** Why, in words: "the fix for CVE-2026-42897 is installed (15.2.1748.46, 2019 CU15 Jun26SU)". */
  reason: string;
  /** Set when fixed but not removable: "fix installed (Jun26SU); Microsoft advises keeping M2 until Jul26SU". */
  keep: string | null;
}

interface LineBuild {
  line: CuLine;
  build: ExchangeBuild;
}

const latest = (builds: ExchangeBuild[]): ExchangeBuild | null =>
  builds.reduce<ExchangeBuild | null>((a, b) => (!a || compareBuilds(b, a) > 0 ? b : a), null);

/** "Jun26SU" for a build the table names exactly, else "2019 CU15 15.2.1748.46". */
function updateName(build: ExchangeBuild, kb: KnowledgeBase): string {
  const name = nameBuild(build, kb);
  return name.exact && name.update ? name.update : `${name.short.replace(/ \S+$/, '')} ${formatBuild(build)}`.trim();
}

function describe(build: ExchangeBuild, kb: KnowledgeBase): string {
  return `${formatBuild(build)}, ${nameBuild(build, kb).short}`;
}

function lineName(build: ExchangeBuild, kb: KnowledgeBase): string {
  const name = nameBuild(build, kb);
  return name.cu ? `${name.product} ${name.cu}` : name.label;
}

/** One EvidenceSource per (claim, source) pair, in claim order. */
function evidenceOf(what: EvidenceSource['what'], claims: Claim[], kb: KnowledgeBase): EvidenceSource[] {
  return claims.flatMap((claim) =>
    claim.sources.map((id) => {
      const s = sourceById(kb, id);
      return {
        what,
        build: claim.build,
        source: s?.title ?? id,
        date: s?.date ?? null,
        confidence: s?.confidence ?? 'inferred',
        url: s?.url ?? null,
        says: claim.says ?? null,
      };
    }),
  );
}

function titles(ids: string[], kb: KnowledgeBase): string {
  const words = ids.map((id) => (sourceById(kb, id)?.title ?? id).replace(/\s*\(.*$/, '').replace(/:.*$/, ''));
  const unique = [...new Set(words)];
  return unique.length <= 1 ? (unique[0] ?? '') : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}

/**
 * The sentence for sources that name different builds (or speak without a build), or null when
 * every claim of the line names the same build.
 */
function disagreementOf(line: CuLine, decides: ExchangeBuild | null, kb: KnowledgeBase): string | null {
  const claims = [...line.fixedIn.map((c) => ({ c, what: 'fixedIn' as const })), ...line.removableFrom.map((c) => ({ c, what: 'removableFrom' as const }))];
  const builds = new Set(claims.map(({ c }) => c.build).filter((b): b is string => b !== null));
  const statements = line.removableFrom.filter((c) => c.build === null);
  if (builds.size <= 1 && statements.length === 0) return null;
  const parts: string[] = [];
  for (const build of builds) {
    const b = parseBuild(build)!;
    const fix = claims.filter(({ c, what }) => c.build === build && what === 'fixedIn').flatMap(({ c }) => c.sources);
    const keep = claims.filter(({ c, what }) => c.build === build && what === 'removableFrom').flatMap(({ c }) => c.sources);
    if (fix.length > 0) parts.push(`${titles(fix, kb)} report the code fix at ${updateName(b, kb)} (${build})`);
    if (keep.length > 0) parts.push(`${titles(keep, kb)} treat it as removable only from ${updateName(b, kb)} (${build})`);
  }
  for (const s of statements) parts.push(`${titles(s.sources, kb)}: "${s.says ?? 'no build given'}"`);
  const verdict = decides ? `The later build decides: removable from ${updateName(decides, kb)} (${formatBuild(decides)}).` : 'No source names a build from which it can go, so it is not offered for removal.';
  return `Sources differ: ${parts.join('; ')}. ${verdict}`;
}

/** The catalogue line of the server's CU line, with its effective builds. */
function judgeLine(sb: ServerBuild, b: ExchangeBuild, line: CuLine, entry: MitigationEntry, kb: KnowledgeBase): Evidence {
  const cve = entry.cve ?? entry.id;
  const fixedIn = latest(line.fixedIn.map((c) => parseBuild(c.build)!))!;
  const named = line.removableFrom.map((c) => (c.build ? parseBuild(c.build) : null)).filter((x): x is ExchangeBuild => x !== null);
  // Never before the fix, whatever a removal claim says.
  const removableFrom = named.length > 0 ? latest([...named, fixedIn]) : null;
  const sources = [...evidenceOf('fixedIn', line.fixedIn, kb), ...evidenceOf('removableFrom', line.removableFrom, kb)];
  const base = { fixedIn: formatBuild(fixedIn), removableFrom: removableFrom ? formatBuild(removableFrom) : null, sources, disagreement: disagreementOf(line, removableFrom, kb) };
  const fixText = describe(fixedIn, kb);

  if (sb.source === 'AdminDisplayVersion' && compareBuilds(b, fixedIn) < 0) {
    return { ...base, fixed: false, removable: false, keep: null, reason: `only the CU is known (AdminDisplayVersion), so whether the fix for ${cve} (${fixText}) is installed cannot be told: collect ExSetupVersion` };
  }
  if (compareBuilds(b, fixedIn) < 0) {
    return { ...base, fixed: false, removable: false, keep: null, reason: `the fix for ${cve} is not installed (${formatBuild(b)} is below ${fixText})` };
  }
  const installed = `the fix for ${cve} is installed (${formatBuild(b)} is at or above ${fixText})`;
  if (removableFrom && compareBuilds(b, removableFrom) >= 0) {
    const later = compareBuilds(removableFrom, fixedIn) > 0 ? `, and Microsoft's guidance lets ${entry.id} go from ${updateName(removableFrom, kb)} (${formatBuild(removableFrom)})` : '';
    return { ...base, fixed: true, removable: true, keep: null, reason: `${installed}${later}` };
  }
  const keep = removableFrom
    ? `fix installed (${updateName(fixedIn, kb)}); Microsoft advises keeping ${entry.id} until ${updateName(removableFrom, kb)} (${formatBuild(removableFrom)})`
    : `fix installed (${updateName(fixedIn, kb)}); no removal guidance is known for ${entry.id}, so EEMS Watch does not offer to remove it (a knowledge update can add removableFrom)`;
  return { ...base, fixed: true, removable: false, keep, reason: installed };
}

/**
 * Judge `entry` on a server of build `sb`.
 * Rules: on a listed CU line, fixed at or above fixedIn and removable at or above removableFrom
 * (an AdminDisplayVersion-only build cannot show the SU, so it counts as neither). A CU line newer
 * than every listed line of its Major.Minor counts as fixed / removable only where the entry's
 * `newerLines` says so for the server's product, with its sources. Any other line is not fixed:
 * the server has to move to a CU that got the fix.
 */
export function judgeEvidence(sb: ServerBuild, entry: MitigationEntry, kb: KnowledgeBase): Evidence {
  const cve = entry.cve ?? entry.id;
  const none = { fixed: false, removable: false, fixedIn: null, removableFrom: null, sources: [], disagreement: null, keep: null };
  const lines: LineBuild[] = entry.lines.map((line) => ({ line, build: parseBuild(line.fixedIn[0]!.build)! }));
  if (lines.length === 0) return { ...none, reason: `no fix is known for ${entry.id} in the knowledge base` };
  const b = sb.build;
  if (!b) return { ...none, reason: `the server's build is unknown, so whether the fix for ${cve} is installed cannot be told` };

  const same = lines.find((l) => sameCuLine(l.build, b));
  if (same) return judgeLine(sb, b, same.line, entry, kb);

  const sibling = lines.filter((l) => l.build.major === b.major && l.build.minor === b.minor);
  const pool = sibling.length > 0 ? sibling : lines;
  const newest = pool.reduce((a, l) => (compareBuilds(l.build, a.build) > 0 ? l : a));
  const lineOf = (x: ExchangeBuild) => ({ ...x, revision: 0 });
  if (sibling.length > 0 && compareBuilds(lineOf(b), lineOf(newest.build)) > 0) {
    const product = nameBuild(b, kb).product;
    const rule = entry.newerLines.find((n) => n.product === product);
    const sources: EvidenceSource[] = rule ? evidenceOf('removableFrom', [{ build: null, sources: rule.sources, says: rule.says }], kb) : [];
    const newer = `${lineName(b, kb)} is a newer CU line than any the fix for ${cve} shipped for (newest: ${describe(newest.build, kb)})`;
    if (rule?.fixed) {
      const removable = rule.removable;
      return {
        ...none, sources, fixed: true, removable,
        keep: removable ? null : `fix installed (a later CU); no removal guidance is known for ${entry.id} on ${lineName(b, kb)}, so EEMS Watch does not offer to remove it`,
        reason: `${newer}; ${titles(rule.sources, kb)} count${rule.sources.length > 1 ? '' : 's'} such a CU as fixed${removable ? '' : ' but gives no removal guidance'}`,
      };
    }
    return { ...none, reason: `${newer}, and no source in the knowledge base says whether it carries the fix: treat it as not fixed until a knowledge update does` };
  }
  const listed = [...new Set(lines.map((l) => lineName(l.build, kb)))].join(', ');
  return { ...none, reason: `${lineName(b, kb)} got no fix for ${cve} (it shipped only for ${listed}): move the server to a supported CU and install the update` };
}
