/**
 * eems-watch lab: create, advance, inspect and break a simulated Exchange organisation
 * (contracts.md, `eems-watch lab`).
 */
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { countOf } from '../../core/plural.js';
import {
  FETCH_FAILURE_CODES,
  type FetchFailureCode,
  type LabFault,
  type LabSummary,
  type ServerAdvanceReport,
  SCENARIOS,
  advanceLab,
  describeFailure,
  initLab,
  setLabFault,
  summarizeLab,
} from '../../lab/index.js';

const FAULTS = [
  'org-disabled',
  'org-enabled',
  'server-disabled',
  'server-enabled',
  'service-stop',
  'service-start',
  'crash',
  'service-silent',
  'service-resume',
  'fetch-fail',
  'fetch-ok',
  'unreachable',
  'reachable',
  'hung',
  'unhung',
  'fail-step',
  'clear',
];

const usage = `Usage:
  eems-watch lab init DIR [--scenario NAME] [--servers N] [--start ISO-TIME] [--json]
  eems-watch lab advance DIR --hours N [--json]
  eems-watch lab show DIR [--json]
  eems-watch lab fault DIR --set FAULT [--server NAME] [--code CODE] [--restart] [--step N] [--by CALLER] [--json]

Scenarios:
${Object.entries(SCENARIOS)
  .map(([name, s]) => `  ${name.padEnd(10)} ${s.description}`)
  .join('\n')}

Faults: ${FAULTS.join(', ')}
  fetch-fail --code ${FETCH_FAILURE_CODES.join('|')}; crash [--restart]; service-silent: the service
  hangs (Running, no hourly check) until service-resume or service-stop; fail-step --step N (the Nth
  removal step from now fails once); org-* need no --server, the others do.`;

/** A library error (a sentence for the admin) becomes the one-line usage error of the CLI. */
async function sentence<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

function printSummary(io: CliIo, summary: LabSummary): void {
  const org = summary.organization.MitigationsEnabled === false ? 'False' : 'True';
  io.stdout(`Lab '${summary.scenario}' at ${summary.now} (hour ${summary.hour}); organisation MitigationsEnabled ${org}.\n`);
  const width = Math.max(...summary.servers.map((s) => s.name.length));
  for (const s of summary.servers) {
    const faults = [s.faults.fetch ? `fetch fails: ${s.faults.fetch}` : '', s.faults.unreachable ? 'unreachable' : '', s.faults.hung ? 'hung' : '', s.faults.silent ? 'service hangs' : '']
      .filter(Boolean)
      .join(', ');
    io.stdout(
      `  ${s.name.padEnd(width)}  ${(s.build ?? '?').padEnd(13)} service ${s.service.padEnd(7)} applied ${s.mitigationsApplied.join(',') || '(none)'}` +
        `${s.mitigationsBlocked.length ? `  blocked ${s.mitigationsBlocked.join(',')}` : ''}  rules ${s.rewriteRules.length}${faults ? `  [${faults}]` : ''}\n`,
    );
  }
}

function describeReport(r: ServerAdvanceReport, hours: number): string[] {
  const lines: string[] = [];
  if (r.cycles === 0 && hours > 0) lines.push(`${r.server}: service not running, no EEMS cycle`);
  else if (r.failedFetches > 0 && r.lastFailure) {
    const ok = r.cycles - r.failedFetches;
    lines.push(`${r.server}: ${r.failedFetches} ${describeFailure(r.lastFailure).replace('fetch failed', r.failedFetches === 1 ? 'fetch failed' : 'fetches failed')}${ok ? `, ${ok} succeeded` : ''}`);
  } else if (hours > 0) lines.push(`${r.server}: ${r.cycles} cycle(s)${r.happened.length ? '' : ', nothing changed'}`);
  for (const what of r.happened) lines.push(`${r.server}: ${what}`);
  return lines;
}

function parseFault(set: string, values: { code?: string; restart?: boolean; step?: string; by?: string }): LabFault {
  switch (set) {
    case 'org-disabled':
    case 'org-enabled':
      return { kind: 'org-mitigations-enabled', enabled: set === 'org-enabled', ...(values.by ? { by: values.by } : {}) };
    case 'server-disabled':
    case 'server-enabled':
      return { kind: 'server-mitigations-enabled', enabled: set === 'server-enabled', ...(values.by ? { by: values.by } : {}) };
    case 'service-stop':
      return { kind: 'service-stopped' };
    case 'service-start':
      return { kind: 'service-started' };
    case 'crash':
      return { kind: 'service-crash', restart: values.restart === true };
    case 'service-silent':
    case 'service-resume':
      return { kind: 'service-silent', on: set === 'service-silent' };
    case 'fetch-fail':
      if (!values.code || !(FETCH_FAILURE_CODES as readonly string[]).includes(values.code)) {
        throw new UsageError(`fetch-fail needs --code, one of: ${FETCH_FAILURE_CODES.join(', ')}`);
      }
      return { kind: 'fetch-failing', code: values.code as FetchFailureCode };
    case 'fetch-ok':
      return { kind: 'fetch-failing', code: null };
    case 'unreachable':
    case 'reachable':
      return { kind: 'unreachable', on: set === 'unreachable' };
    case 'hung':
    case 'unhung':
      return { kind: 'hung', on: set === 'hung' };
    case 'fail-step': {
      const step = Number(values.step);
      if (!Number.isInteger(step) || step < 1) throw new UsageError('fail-step needs --step N (1 or more)');
      return { kind: 'fail-run', atStep: step };
    }
    case 'clear':
      return { kind: 'clear' };
    default:
      throw new UsageError(`unknown fault '${set}'. Known faults: ${FAULTS.join(', ')}`);
  }
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      json: { type: 'boolean' },
      scenario: { type: 'string' },
      servers: { type: 'string' },
      start: { type: 'string' },
      hours: { type: 'string' },
      set: { type: 'string' },
      server: { type: 'string' },
      code: { type: 'string' },
      restart: { type: 'boolean' },
      step: { type: 'string' },
      by: { type: 'string' },
    },
    true,
  );
  const [action, dir, ...extra] = positionals;
  if (!action) throw new UsageError('name an action: init, advance, show or fault (see eems-watch lab --help)');
  if (!dir) throw new UsageError(`lab ${action} needs the lab folder (DIR)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  switch (action) {
    case 'init': {
      const servers = values.servers === undefined ? undefined : Number(values.servers);
      if (servers !== undefined && !Number.isInteger(servers)) throw new UsageError(`--servers must be a whole number, not '${values.servers}'`);
      const start = values.start === undefined ? undefined : new Date(values.start);
      if (start && Number.isNaN(start.getTime())) throw new UsageError(`--start is not a valid ISO 8601 time: '${values.start}'`);
      await sentence(() => initLab(dir, { scenario: values.scenario ?? 'demo', ...(servers !== undefined ? { servers } : {}), ...(start ? { start } : {}) }));
      const summary = summarizeLab(dir);
      if (values.json) writeJson(io, summary);
      else {
        io.stdout(`Created a '${summary.scenario}' lab with ${countOf(summary.servers.length, 'server')} in ${dir}.\n`);
        printSummary(io, summary);
        io.stdout(`Next: eems-watch lab advance ${dir} --hours 24\n`);
      }
      return 0;
    }
    case 'advance': {
      if (values.hours === undefined) throw new UsageError('lab advance needs --hours N');
      const hours = Number(values.hours);
      const result = await sentence(() => advanceLab(dir, hours));
      const summary = summarizeLab(dir);
      if (values.json) writeJson(io, { ...summary, advanced: { hours, servers: result.servers, organization: result.organization } });
      else {
        io.stdout(`Advanced ${hours} hour(s): the lab clock is now ${summary.now} (hour ${summary.hour}).\n`);
        for (const what of result.organization) io.stdout(`Organisation: ${what}\n`);
        for (const report of result.servers) for (const line of describeReport(report, hours)) io.stdout(`${line}\n`);
      }
      return 0;
    }
    case 'show': {
      const summary = await sentence(() => summarizeLab(dir));
      if (values.json) writeJson(io, summary);
      else printSummary(io, summary);
      return 0;
    }
    case 'fault': {
      if (!values.set) throw new UsageError(`lab fault needs --set FAULT (one of: ${FAULTS.join(', ')})`);
      const fault = parseFault(values.set, values);
      const what = await sentence(() => setLabFault(dir, values.server ?? null, fault));
      if (values.json) writeJson(io, { ...summarizeLab(dir), fault: what });
      else io.stdout(`${what}.\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown action '${action}': use init, advance, show or fault`);
  }
}

export const command: Command = {
  name: 'lab',
  summary: 'Create or advance a simulated Exchange organisation',
  usage,
  run,
};
