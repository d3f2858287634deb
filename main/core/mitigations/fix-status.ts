/**
 * Is a mitigation's fix installed on a server? Decided from the catalogue's fixed builds per CU line,
 * never from Learn's "highest version applicable" column (its meaning differs between M1 and M2).
 */
import { compareBuilds, formatBuild, nameBuild, parseBuild, sameCuLine, type ExchangeBuild, type ServerBuild } from './builds.js';
import type { KnowledgeBase, MitigationEntry } from './knowledge-base.js';

/** The answer, with the fixing build of the server's CU line when the catalogue lists one. */
export interface FixStatus {
  fixed: boolean;
  /** "15.2.1748.46", or null when no fix is listed for the server's CU line. */
  fixedIn: string | null;
  /** One sentence for the admin. */
  reason: string;
}

interface Line {
  build: ExchangeBuild;
  text: string;
}

function describe(build: ExchangeBuild, kb: KnowledgeBase): string {
  return `${formatBuild(build)}, ${nameBuild(build, kb).short}`;
}

function lineName(build: ExchangeBuild, kb: KnowledgeBase): string {
  const name = nameBuild(build, kb);
  return name.cu ? `${name.product} ${name.cu}` : name.label;
}

/**
 * Judge whether `entry`'s fix is on a server of build `sb`.
 * Rules: same CU line as a listed fix: fixed at or above it (an AdminDisplayVersion-only build cannot
 * show the SU, so it does not count as fixed). A CU line newer than every listed line of its
 * Major.Minor counts as fixed (CUs carry earlier fixes). An older or unlisted line is not fixed: the
 * server has to move to a CU that got the fix.
 */
export function fixStatus(sb: ServerBuild, entry: MitigationEntry, kb: KnowledgeBase): FixStatus {
  const cve = entry.cve ?? entry.id;
  const lines: Line[] = entry.fixedBuilds
    .map((f) => ({ build: parseBuild(f.build), text: f.build }))
    .filter((l): l is Line => l.build !== null);
  if (lines.length === 0) return { fixed: false, fixedIn: null, reason: `no fix is known for ${entry.id} in the knowledge base` };
  const b = sb.build;
  if (!b) return { fixed: false, fixedIn: null, reason: `the server's build is unknown, so whether the fix for ${cve} is installed cannot be told` };

  const same = lines.find((l) => sameCuLine(l.build, b));
  if (same) return judgeSameLine(sb, b, same, cve, kb);

  const sibling = lines.filter((l) => l.build.major === b.major && l.build.minor === b.minor);
  const pool = sibling.length > 0 ? sibling : lines;
  const newest = pool.reduce((a, l) => (compareBuilds(l.build, a.build) > 0 ? l : a));
  const lineOf = (x: ExchangeBuild) => ({ ...x, revision: 0 });
  if (compareBuilds(lineOf(b), lineOf(newest.build)) > 0) {
    return {
      fixed: true,
      fixedIn: null,
      reason: `${lineName(b, kb)} is a newer CU line than any the fix for ${cve} shipped for (newest: ${describe(newest.build, kb)}); a later CU includes the fix`,
    };
  }
  const listed = lines.map((l) => lineName(l.build, kb)).join(', ');
  return {
    fixed: false,
    fixedIn: null,
    reason: `${lineName(b, kb)} got no fix for ${cve} (it shipped only for ${listed}): move the server to a supported CU and install the update`,
  };
}

function judgeSameLine(sb: ServerBuild, b: ExchangeBuild, fix: Line, cve: string, kb: KnowledgeBase): FixStatus {
  const fixText = describe(fix.build, kb);
  if (compareBuilds(b, fix.build) >= 0) {
    return { fixed: true, fixedIn: fix.text, reason: `the fix for ${cve} is installed (${formatBuild(b)} is at or above ${fixText})` };
  }
  if (sb.source === 'AdminDisplayVersion') {
    return {
      fixed: false,
      fixedIn: fix.text,
      reason: `only the CU is known (AdminDisplayVersion), so whether the fix for ${cve} (${fixText}) is installed cannot be told: collect ExSetupVersion`,
    };
  }
  return { fixed: false, fixedIn: fix.text, reason: `the fix for ${cve} is not installed (${formatBuild(b)} is below ${fixText})` };
}
