/**
 * The engine's public shapes: what createEngine takes, what snapshot() returns (the UI's whole
 * picture of the organisation) and the events it pushes.
 */
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { HeartbeatDayView } from './heartbeat-days.js';
import type { Alert, Diagnosis, MitigationVerdict, OverallStatus, ServerState, StateDocument } from '../core/model.js';
import type { Clock, HostPort, NotifierPort } from '../core/ports.js';
import type { Settings } from './settings/settings-schema.js';
import type { Journal } from './journal.js';
import type { Scheduler } from './scheduler.js';
import type { ServerHistory } from './server-history.js';

/** Where the engine writes what it does (a winston logger fits). */
export interface EngineLogger {
  info(message: string): unknown;
  warn(message: string): unknown;
  error(message: string): unknown;
}

/** What createEngine needs. */
export interface EngineDeps {
  host: HostPort;
  settings: Settings;
  /** Journal, engine-state.json (bookmarks, rule memory, last state) live here. */
  dataDir: string;
  clock: Clock;
  notifier: NotifierPort | null;
  knowledge: KnowledgeBase;
  /**
   * The servers to watch. Default: the enabled entries of settings.servers. A lab passes its own
   * list (summarizeLab), because HostPort has no call that lists servers.
   */
  servers?: string[];
  /** Timers (default: Node's); tests and soaks pass a manual scheduler over a fake clock. */
  scheduler?: Scheduler;
  logger?: EngineLogger;
  /** Journal rotation (default 5 MB x 5 files). */
  journal?: { maxBytes?: number; keepFiles?: number };
  /** For back-off jitter (tests pass a fixed one). */
  random?: () => number;
  /**
   * What went wrong with data files before the engine started (a damaged settings file moved
   * aside): listed first among the snapshot's dataNotes, so the UI says it, not only the log.
   */
  notes?: string[];
}

/** The last failed fetch of a server, explained. */
export interface FetchErrorInfo {
  time: string;
  text: string;
  diagnosis: Diagnosis;
}

/** One server as the UI shows it. */
export interface ServerSnapshot {
  name: string;
  /** The last state read (null before the first collection). */
  state: ServerState | null;
  /** ISO time of that collection. */
  collectedAt: string | null;
  /** judgeServer over that state (the `stale` verdicts). */
  verdicts: MitigationVerdict[];
  /** ISO time of the latest "Fetching mitigations" line read from its log. */
  lastCycleAt: string | null;
  /** Hourly cycles per UTC day and what each hour was, oldest first, up to 31 days. */
  heartbeat: HeartbeatDayView[];
  /** Consecutive failed hourly fetches now (0: fetching fine). */
  fetchFailures: number;
  /** The latest failed fetch with its diagnosis (kept after it cleared, for the diagnostics page). */
  lastFetchError: FetchErrorInfo | null;
  /** Our own failure to read the server (host error, time-out), or null. */
  pollError: string | null;
  /** Poller back-off: failures in a row and when it tries again. */
  backoff: { failures: number; retryAt: string | null };
  /** Sentences from the log collector (truncation, rotation, deleted files). */
  logNotes: string[];
}

/** Everything the UI needs to draw the overview, in one value. */
export interface EngineSnapshot {
  /** The merged state document (the last state of every server), null before the first poll. */
  state: StateDocument | null;
  /** Per server, in the order watched. */
  servers: ServerSnapshot[];
  /** Open alerts: conditions that hold and record alerts from the last 24 hours. */
  openAlerts: Alert[];
  /** Open alert id -> the last time the rules saw its condition still true. */
  alertLastSeen: Record<string, string | null>;
  /** Records and documents read from disk that were unusable and skipped or moved aside (a sentence each). */
  dataNotes: string[];
  status: OverallStatus;
  /** A cycle is running right now. */
  polling: boolean;
  /** ISO time of the last committed cycle. */
  lastPollAt: string | null;
}

/** Events for the UI (the EemsApi event types). */
export type EngineEvent = { type: 'state-changed' } | { type: 'alerts-changed' } | { type: 'poll-progress'; polling: boolean; server?: string };

/** The result of pollOnce: contracts.md's poll document, plus the alerts raised by this cycle. */
export interface PollResult {
  state: StateDocument;
  /** Open alerts after this cycle (what the status is computed from). */
  alerts: Alert[];
  status: OverallStatus;
  /** Alerts this cycle raised for the first time. */
  raised: Alert[];
}

/** The engine (helper G's API). */
export interface Engine {
  start(): void;
  stop(): Promise<void>;
  pollOnce(): Promise<PollResult>;
  pollNow(server?: string): Promise<void>;
  snapshot(): EngineSnapshot;
  /** The recent log lines and events read from one server (server-history.ts; in memory, bounded). */
  history(server: string): ServerHistory;
  /**
   * Take new settings without a restart: poll intervals, concurrency and call time-out (the
   * schedule is re-based at once), the alert rules' grace and threshold, notification policy and
   * the watched servers (when not given by EngineDeps.servers). The host (connection mode, paths)
   * and the journal rotation are fixed at creation: those still apply at restart.
   */
  applySettings(settings: Settings): void;
  /** The knowledge base in force (EngineDeps.knowledge until applyKnowledge replaces it). */
  knowledge(): KnowledgeBase;
  /** Take a knowledge base read again (a changed knowledge update): every server is judged again at once. */
  applyKnowledge(knowledge: KnowledgeBase): void;
  journal: Journal;
  on(listener: (e: EngineEvent) => void): () => void;
  /** Resolves once the persisted state is loaded and unnotified alerts are re-notified. */
  ready(): Promise<void>;
}
