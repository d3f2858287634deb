/**
 * Is the knowledge behind? A watched server on a build newer than every row the build table has for
 * its CU line (or on a CU line the table does not know) runs an update published after this
 * knowledge: its verdicts may be wrong until the knowledge is updated.
 */
import { compareBuilds, formatBuild, parseBuild, sameCuLine, serverBuild } from './builds.js';
import type { KnowledgeBase } from './knowledge-base.js';
import type { ServerState } from '../model.js';

/** The sentence for the Diagnostics view, or null when the table knows every watched server's build. */
export function knowledgeBehind(servers: ServerState[], kb: KnowledgeBase): string | null {
  const rows = kb.builds.map((r) => parseBuild(r.build)).filter((b) => b !== null);
  const unknown: string[] = [];
  for (const server of servers) {
    const sb = serverBuild(server);
    if (!sb.build || sb.source !== 'ExSetup') continue;
    const line = rows.filter((r) => sameCuLine(r, sb.build!));
    const newest = line.reduce<(typeof rows)[number] | null>((a, b) => (!a || compareBuilds(b, a) > 0 ? b : a), null);
    if (!newest || compareBuilds(sb.build, newest) > 0) unknown.push(`${server.Name} (${formatBuild(sb.build)})`);
  }
  if (unknown.length === 0) return null;
  return `The knowledge (${kb.versions.date}) is older than the newest build a watched server runs: ${unknown.join(', ')} ${unknown.length > 1 ? 'run builds' : 'runs a build'} the build table does not know yet, so verdicts there may be out of date. Set a knowledge update (knowledgeUrl or knowledgeOverrideFile in the settings file) or update EEMS Watch.`;
}
