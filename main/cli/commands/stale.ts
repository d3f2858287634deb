/**
 * eems-watch stale: judge every mitigation on every server of a state file (contracts.md, "eems-watch
 * stale"): active, stale-applied, orphan-artefact, orphan-unfixed, blocked, heartbeat.
 */
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { readKnowledge, readStateFile } from '../input-files.js';
import { judgeState, type StaleReport } from '../../core/mitigations/staleness.js';

const USAGE = `Usage: eems-watch stale --state FILE [--knowledge FILE] [--json]

Judges every mitigation on every server of a state file (what the collection script prints):
  active           applied and still needed (fix not installed, no fix known, or the fix is
                   installed but Microsoft advises keeping the mitigation until removableFrom)
  stale-applied    still applied although removableFrom is reached: block it, then remove the artefact
  orphan-artefact  no longer applied, artefact left, removableFrom reached: safe to remove
  orphan-unfixed   artefact left, fix NOT installed: keep it, the server is exposed without it
  blocked          in MitigationsBlocked
  heartbeat        PING1: changes nothing

Options:
  --state FILE      the state file (JSON)
  --knowledge FILE  a knowledge override (extra or corrected builds and mitigations)
  --json            print one JSON document: { "servers": [ { "name", "build", "mitigations": [..] } ] }`;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd());
}

/** The report for people: one block per server, one row per mitigation, the reason under it. */
export function formatStaleReport(report: StaleReport): string {
  const out: string[] = [];
  for (const server of report.servers) {
    const build = server.build ? `${server.build}  ${server.buildName ?? ''}${server.buildNameExact === false ? ' (nearest known build)' : ''}` : 'build unknown';
    out.push(`${server.name}  ${build}`.trimEnd());
    if (server.error) {
      out.push(`  Could not be read: ${server.error}`, '');
      continue;
    }
    if (server.buildNote) out.push(`  Note: ${server.buildNote}`);
    if (server.mitigations.length === 0) {
      out.push('  No mitigation applied, blocked or left behind.', '');
      continue;
    }
    const rows = [['ID', 'VERDICT', 'REMOVABLE', 'FIXED IN', 'REMOVABLE FROM', 'ARTEFACTS']];
    for (const m of server.mitigations) {
      const by = m.appliedBy === 'EOMT' ? ' (applied by EOMT)' : '';
      rows.push([m.id, m.verdict, m.removable ? 'yes' : 'no', m.fixedIn ?? '-', m.removableFrom ?? '-', m.artefacts.length > 0 ? m.artefacts.join(', ') + by : '-']);
    }
    const [head, ...lines] = table(rows);
    out.push(`  ${head}`);
    lines.forEach((line, i) => {
      const m = server.mitigations[i]!;
      out.push(`  ${line}`, `      ${m.reason}`);
      if (m.disagreement) out.push(`      ${m.disagreement}`);
    });
    out.push('');
  }
  if (report.servers.length === 0) out.push('The state file lists no server.', '');
  return out.join('\n');
}

/**
 * The document exactly as contracts.md gives it: each mitigation carries the contract's fields only
 * (appliedBy stays in the API and the table until the contract names it).
 */
export function contractReport(report: StaleReport): object {
  return {
    servers: report.servers.map((server) => ({
      ...server,
      mitigations: server.mitigations.map(({ appliedBy: _appliedBy, ...contract }) => contract),
    })),
  };
}

export const command: Command = {
  name: 'stale',
  summary: 'Judge every mitigation of a state file: active, stale, orphaned',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, {
      state: { type: 'string' },
      knowledge: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (!values.state) throw new UsageError('--state FILE is required (the state file the collection script prints).');
    const knowledge = await readKnowledge(values.knowledge);
    const report = judgeState(await readStateFile(values.state, io), knowledge);
    if (values.json) writeJson(io, contractReport(report));
    else io.stdout(formatStaleReport(report));
    return 0;
  },
};
