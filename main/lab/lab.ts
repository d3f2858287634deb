/**
 * Create and advance a simulated Exchange organisation on disk (contracts.md, `eems-watch lab`).
 * The lab clock moves in whole hours; each hour every server whose service runs does one EEMS
 * cycle. Everything is derived from the scenario seed: the same scenario and hours give the
 * same files, whether advanced at once or in steps.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { appliedTimeAt, runServerHour } from './eems-cycle.js';
import { applyFault, applyTimelineAction } from './lab-faults.js';
import { drawInt, seedOf } from './lab-random.js';
import { labPaths, loadLab, readLabCached, readStateCached, saveLab, withLabLock, writeJsonAtomic } from './lab-store.js';
import type { LabDocument, LabFault, LabServer, LabStateDocument, ServerAdvanceReport } from './lab-types.js';
import { LabWriter } from './lab-writer.js';
import { shortVersion } from './ocs-feed.js';
import { buildScenario } from './scenarios.js';

const HOUR = 3_600_000;
/** Flush appends every simulated day, so a month-long advance keeps memory flat. */
const FLUSH_EVERY_HOURS = 24;
const MAX_HOURS = 24 * 400;

export interface InitLabOptions {
  scenario?: string;
  servers?: number;
  start?: Date;
}

/** Create a lab in an empty (or new) folder. Throws a sentence for an unknown scenario or a used folder. */
export async function initLab(dir: string, options: InitLabOptions = {}): Promise<void> {
  const scenario = buildScenario(options.scenario ?? 'demo', options.servers);
  const start = options.start ?? new Date(scenario.start);
  if (Number.isNaN(start.getTime())) throw new Error('The start time is not a valid date; give an ISO 8601 time such as 2026-06-15T08:00:00Z.');
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new Error(`${dir} is not empty. Give a new or empty folder for the lab.`);
  }
  const shift = start.getTime() - new Date(scenario.start).getTime();
  const moved = (iso: string) => new Date(new Date(iso).getTime() + shift).toISOString();
  const seed = seedOf(scenario.name);
  const orgAudit = scenario.organization.AuditEntries.map((e) => ({ ...e, RunDate: moved(e.RunDate) }));
  const lab: LabDocument = {
    format: 'eems-watch-lab',
    version: 1,
    scenario: scenario.name,
    seed,
    start: start.toISOString(),
    now: start.toISOString(),
    hour: 0,
    organizationName: scenario.organizationName,
    orgRunFault: null,
    ocs: { mitigations: scenario.ocs },
    servers: scenario.servers.map(({ state, fetchFault }): LabServer => ({
      name: state.Name,
      cycleOffsetMs: drawInt(seed, 2_000, 40 * 60_000, 'offset', state.Name),
      lastRecordId: 880_000 + drawInt(seed, 0, 90_000, 'records', state.Name),
      fetchFault: fetchFault ?? null,
      unreachable: false,
      hung: false,
      silent: false,
      pendingCrash: null,
      runFault: null,
      backups: 0,
    })),
    timeline: scenario.timeline,
  };
  const state: LabStateDocument = {
    collectedAt: start.toISOString(),
    organization: { MitigationsEnabled: scenario.organization.MitigationsEnabled, AuditEntries: orgAudit },
    servers: scenario.servers.map(({ state: s }) => ({
      ...s,
      // A scenario starts with its mitigations already applied: as if the service wrote them three days before.
      MitigationsAppliedTime: s.MitigationsAppliedTime ?? (s.MitigationsApplied.length > 0 ? appliedTimeAt(start.getTime() - APPLIED_BEFORE_START_MS) : null),
      AuditEntries: [...orgAudit, ...(s.AuditEntries ?? [])],
    })),
  };
  await mkdir(dir, { recursive: true });
  for (const server of state.servers) {
    await mkdir(labPaths.logs(dir, server.Name), { recursive: true });
    await writeFile(labPaths.events(dir, server.Name), '', { flag: 'a' });
  }
  await writeJsonAtomic(labPaths.state(dir), state);
  await writeJsonAtomic(labPaths.lab(dir), lab);
}

const APPLIED_BEFORE_START_MS = 3 * 24 * 3600_000;

/** What an advance did. */
export interface AdvanceResult {
  now: Date;
  /** Hours since the lab's start. */
  hour: number;
  servers: ServerAdvanceReport[];
  /** Organisation-wide happenings of the scenario (OCS updates, org settings), in words. */
  organization: string[];
}

/** Let `hours` hourly EEMS cycles happen on every server. */
export async function advanceLab(dir: string, hours: number): Promise<AdvanceResult> {
  if (!Number.isInteger(hours) || hours < 0 || hours > MAX_HOURS) {
    throw new Error(`--hours must be a whole number from 0 to ${MAX_HOURS}, not ${hours}.`);
  }
  return withLabLock(dir, async () => {
    const { lab, state } = await loadLab(dir);
    const writer = new LabWriter(dir, lab);
    const organization: string[] = [];
    const startMs = new Date(lab.start).getTime();
    for (let i = 0; i < hours; i++) {
      const slotStart = startMs + lab.hour * HOUR;
      for (const entry of lab.timeline) {
        if (entry.atHour !== lab.hour) continue;
        const sentence = applyTimelineAction(writer, state, entry.server, entry.action, slotStart);
        if (entry.server === null) organization.push(sentence);
      }
      for (const server of state.servers) runServerHour(writer, state, server, slotStart, lab.hour);
      lab.hour += 1;
      if ((i + 1) % FLUSH_EVERY_HOURS === 0) await writer.flush();
    }
    lab.now = new Date(startMs + lab.hour * HOUR).toISOString();
    state.collectedAt = lab.now;
    await writer.flush();
    await saveLab(dir, lab, state);
    return { now: new Date(lab.now), hour: lab.hour, servers: writer.reportList(), organization };
  });
}

/** Switch a fault on a server (or the organisation, server null) at the lab's current time. */
export async function setLabFault(dir: string, server: string | null, fault: LabFault): Promise<string> {
  return withLabLock(dir, async () => {
    const { lab, state } = await loadLab(dir);
    const writer = new LabWriter(dir, lab);
    const sentence = applyFault(writer, state, server, fault, new Date(lab.now).getTime());
    await writer.flush();
    await saveLab(dir, lab, state);
    return sentence;
  });
}

/** One server in the lab summary. */
export interface LabServerSummary {
  name: string;
  build: string | null;
  service: string;
  mitigationsEnabled: boolean | null;
  mitigationsApplied: string[];
  mitigationsBlocked: string[];
  rewriteRules: string[];
  faults: { fetch: string | null; unreachable: boolean; hung: boolean; silent: boolean; pendingCrash: boolean; failRunAtStep: number | null };
}

/** The `lab --json` summary. */
export interface LabSummary {
  dir: string;
  scenario: string;
  start: string;
  now: string;
  hour: number;
  organization: { MitigationsEnabled: boolean | null };
  servers: LabServerSummary[];
}

/** Read a lab's summary (throws NotALabError for a folder without a lab). */
export function summarizeLab(dir: string): LabSummary {
  const lab = readLabCached(dir);
  const state = readStateCached(dir);
  return {
    dir,
    scenario: lab.scenario,
    start: lab.start,
    now: lab.now,
    hour: lab.hour,
    organization: { MitigationsEnabled: state.organization.MitigationsEnabled },
    servers: state.servers.map((s) => {
      const l = lab.servers.find((x) => x.name === s.Name);
      return {
        name: s.Name,
        build: s.ExSetupVersion ? shortVersion(s.ExSetupVersion) : null,
        service: s.Service?.Status ?? 'Unknown',
        mitigationsEnabled: s.MitigationsEnabled ?? null,
        mitigationsApplied: [...s.MitigationsApplied],
        mitigationsBlocked: [...s.MitigationsBlocked],
        rewriteRules: s.RewriteRules.map((r) => r.Name),
        faults: {
          fetch: l?.fetchFault ?? null,
          unreachable: l?.unreachable ?? false,
          hung: l?.hung ?? false,
          silent: l?.silent ?? false,
          pendingCrash: l?.pendingCrash != null,
          failRunAtStep: l?.runFault?.atStep ?? null,
        },
      };
    }),
  };
}
