/**
 * The shapes of the simulated Exchange organisation on disk. lab.json holds the lab clock, the
 * scenario script, the simulated Office Config Service (OCS) catalogue and the per-server fault
 * switches; state.json holds the state document of contracts.md exactly as a collection would
 * print it. Both are rewritten atomically; logs and events are only ever appended.
 */
import type { RewriteRule, StateDocument } from '../core/model.js';

/** Why a fetch fails: the diagnosis codes of contracts.md that a fetch can produce. */
export const FETCH_FAILURE_CODES = ['tls-chain', 'signing-cert', 'revocation', 'untrusted-endpoint', 'proxy', 'network'] as const;
export type FetchFailureCode = (typeof FETCH_FAILURE_CODES)[number];

/**
 * A fault switch. `server` (given beside the fault) is null for the organisation-wide ones.
 * - org-mitigations-enabled: Set-OrganizationConfig -MitigationsEnabled (audit entry written; `by` is the caller).
 * - server-mitigations-enabled: Set-ExchangeServer -MitigationsEnabled on one server (audit entry written).
 * - service-stopped / service-started: MSExchangeMitigation stops (no more cycles) or starts again.
 * - service-crash: at the next cycle the service crashes (4999 Watson, System.OutOfMemoryException),
 *   then restarts a minute later (`restart` true) or stays stopped.
 * - fetch-failing: every fetch fails with the texts of that diagnosis code (`code` null clears it).
 * - unreachable: collect() gives the server an Error sentence, events() and run() fail.
 * - hung: every host call about the server never resolves (until LabHost.close()).
 * - service-silent: the service hangs: Service.Status stays Running but no hourly cycle happens (no
 *   log line, no event), the failure the heartbeat rule exists for. A stop of the service cures it.
 * - fail-run: the Nth run() step (1-based, counted from now) on that server fails without changing
 *   anything; the switch then clears itself, so a resume succeeds.
 * - clear: removes fetch, unreachable, hung, silent, crash and run faults of the server.
 */
export type LabFault =
  | { kind: 'org-mitigations-enabled'; enabled: boolean; by?: string }
  | { kind: 'server-mitigations-enabled'; enabled: boolean; by?: string }
  | { kind: 'service-stopped' }
  | { kind: 'service-started' }
  | { kind: 'service-crash'; restart: boolean }
  | { kind: 'fetch-failing'; code: FetchFailureCode | null }
  | { kind: 'unreachable'; on: boolean }
  | { kind: 'hung'; on: boolean }
  | { kind: 'service-silent'; on: boolean }
  | { kind: 'fail-run'; atStep: number; message?: string }
  | { kind: 'clear' };

/** Something the scenario makes happen at a given hour (hours since the lab's start). */
export type LabTimelineAction =
  | { kind: 'install-update'; ExSetupVersion: string; label: string }
  | { kind: 'fault'; fault: LabFault }
  | { kind: 'ocs-update'; mitigation: string; fixedBuilds: string[]; label: string };

export interface LabTimelineEntry {
  /** Hours since the lab's start; runs before that hour's cycles. */
  atHour: number;
  /** null for organisation-wide actions (OCS updates, org settings). */
  server: string | null;
  action: LabTimelineAction;
}

/** One mitigation as the simulated OCS publishes it. */
export interface OcsMitigation {
  /** As EEMS records it in MitigationsApplied: "PING1", "M2.1.0". */
  id: string;
  /** Family as admins block it: "PING1", "M2". */
  family: string;
  /** The action type written in the log, e.g. "DoNothing", "IISUrlRewriteOutbound". */
  action: string;
  /** Where the action goes, e.g. "Default Web Site/owa"; "" for DoNothing. */
  location: string;
  description: string;
  /** The artefacts EEMS writes when it applies this mitigation. */
  rules: RewriteRule[];
  /** Builds OCS knows as fixed, per CU line ("15.2.1748.46"); at or above: not sent to that server. */
  fixedBuilds: string[];
}

/** Lab-only facts about one server: its switches and its bookkeeping. */
export interface LabServer {
  name: string;
  /** Offset of this server's hourly cycle inside the hour, in ms (the service's own rhythm). */
  cycleOffsetMs: number;
  /** The last RecordId written to its event file (Application log ids have gaps: other sources). */
  lastRecordId: number;
  fetchFault: FetchFailureCode | null;
  unreachable: boolean;
  hung: boolean;
  /** service-silent: Running, but no cycle (absent in labs made before the switch existed). */
  silent?: boolean;
  pendingCrash: { restart: boolean } | null;
  /** fail-run: calls seen since the switch was set, and the one that fails. */
  runFault: { atStep: number; seen: number; message: string | null } | null;
  /** Counter for backup file names (deterministic, no wall clock). */
  backups: number;
}

/** lab.json. */
export interface LabDocument {
  format: 'eems-watch-lab';
  version: 1;
  scenario: string;
  seed: number;
  /** The lab's start and clock, ISO 8601 UTC. */
  start: string;
  now: string;
  /** Hours advanced since the start. */
  hour: number;
  organizationName: string;
  /** The fault switch for org-level run() steps (server null). */
  orgRunFault: LabServer['runFault'];
  ocs: { mitigations: OcsMitigation[] };
  servers: LabServer[];
  timeline: LabTimelineEntry[];
}

/** state.json: the state document of contracts.md (with the org audit trail). */
export type LabStateDocument = StateDocument;

/** What happened to one server during an advance, in words and counts. */
export interface ServerAdvanceReport {
  server: string;
  cycles: number;
  failedFetches: number;
  /** Diagnosis code of the last failed fetch, or null. */
  lastFailure: FetchFailureCode | null;
  /** Sentences: "M2.1.0 applied", "Jun26SU installed (15.2.1748.46)", "service crashed (restarted)". */
  happened: string[];
}
