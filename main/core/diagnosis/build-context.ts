/**
 * What a server's build says about the July 2026 service change (eems-domain.md K2): since July 2026
 * the EM service cannot use new configuration files "unless Exchange is updated to June 2026 update
 * (or newer)" [CONFIRMED wording of the June 2026 SU post, as quoted by third parties]. A diagnosis
 * made with the server's build says whether that server is below that update, from the build table.
 */
import type { ServerState } from '../model.js';
import { type ExchangeBuild, compareBuilds, formatBuild, nameBuild, parseBuild, sameCuLine, serverBuild } from '../mitigations/builds.js';
import type { KnowledgeBase } from '../mitigations/knowledge-base.js';

/** The day of the June 2026 SU (Jun26SU): a build released on or after it carries the change. */
export const JUNE_2026_UPDATE_DATE = '2026-06-09';

/** What a diagnosis may know about the server the text came from. */
export interface DiagnosisContext {
  /** The server as a state file reports it (only the name and the two version fields are read). */
  server?: Pick<ServerState, 'Name'> & Partial<Pick<ServerState, 'ExSetupVersion' | 'AdminDisplayVersion'>>;
  /** The build table to judge by (the caller's, with the admin's override applied). */
  knowledge: KnowledgeBase;
}

/** The server's build against the June 2026 update of its CU line. */
export interface June2026Status {
  /** below: cannot use files of July 2026 or later; at-or-above: the build is not the cause; unknown: cannot tell. */
  status: 'below' | 'at-or-above' | 'unknown';
  /** The build as read ("15.2.1748.43"), or null. */
  build: string | null;
  /** "Exchange 2019 CU15 Feb26SU", or null. */
  buildName: string | null;
  /** Where the build came from: only ExSetup shows the SU level. */
  buildSource: 'ExSetup' | 'AdminDisplayVersion' | 'none';
  /** The June 2026 update of the server's CU line, when the table has one. */
  required: { build: string; name: string } | null;
  /** Why the status is what it is, in words. */
  note: string;
}

/**
 * Judge a server's build against the June 2026 update.
 * A build at or above a row of its CU line dated on or after 2026-06-09 is at-or-above; a build
 * below the line's Jun26SU row, or on a CU line that got no update from June 2026 on, is below.
 * AdminDisplayVersion shows the CU only, so a CU line that did get the update stays unknown.
 */
export function june2026Status(server: NonNullable<DiagnosisContext['server']>, kb: KnowledgeBase): June2026Status {
  const read = serverBuild({ ExSetupVersion: server.ExSetupVersion, AdminDisplayVersion: server.AdminDisplayVersion } as ServerState);
  const base = { buildSource: read.source, required: null };
  if (!read.build) return { ...base, status: 'unknown', build: null, buildName: null, note: `The build of ${server.Name} is unknown, so EEMS Watch cannot tell whether it is below the June 2026 update.` };
  const build = read.build;
  const text = formatBuild(build);
  const name = nameBuild(build, kb).label;
  const line = cuLine(build, kb);
  const juneRow = line.filter((r) => r.date >= JUNE_2026_UPDATE_DATE).sort((a, b) => compareBuilds(a.build, b.build))[0];
  const required = juneRow ? { build: formatBuild(juneRow.build), name: nameBuild(juneRow.build, kb).label } : null;
  const found = { ...base, build: text, buildName: name, required };
  if (line.length === 0) {
    return { ...found, status: 'unknown', note: `The build table does not know the CU line of ${text}, so EEMS Watch cannot tell whether it is below the June 2026 update.` };
  }
  if (!juneRow && line.every((r) => compareBuilds(build, r.build) > 0)) {
    return { ...found, status: 'unknown', note: `${text} is newer than every build the table knows for its CU: the knowledge base may be behind, so EEMS Watch cannot tell whether it carries the June 2026 update.` };
  }
  if (!juneRow) {
    return { ...found, status: 'below', note: `${name} got no update from June 2026 on: no build of this CU can use the files Microsoft publishes since July 2026.` };
  }
  if (compareBuilds(build, juneRow.build) >= 0) {
    return { ...found, status: 'at-or-above', note: `${text} (${name}) is at or above ${required!.name} (${required!.build}).` };
  }
  if (read.source === 'AdminDisplayVersion') {
    return { ...found, status: 'unknown', note: `Only the CU is known (AdminDisplayVersion does not show Security Updates): ${server.Name} is below the June 2026 update unless ${required!.name} (${required!.build}) or later is installed.` };
  }
  return { ...found, status: 'below', note: `${text} (${name}) is below ${required!.name} (${required!.build}).` };
}

/** The rows of the build table on the CU line of `build`, with their builds read. */
function cuLine(build: ExchangeBuild, kb: KnowledgeBase): Array<{ build: ExchangeBuild; date: string }> {
  const out: Array<{ build: ExchangeBuild; date: string }> = [];
  for (const row of kb.builds) {
    const parsed = parseBuild(row.build);
    if (parsed && sameCuLine(parsed, build)) out.push({ build: parsed, date: row.date });
  }
  return out;
}
