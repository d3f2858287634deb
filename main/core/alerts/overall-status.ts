/**
 * The overall status of the watched organisation (ok / warning / critical / unknown): the tray
 * colour and the exit code of `eems-watch poll` (contracts.md: 0 ok, 1 warning, 2 critical, 3 unknown).
 */
import type { Alert, OverallStatus, StateDocument } from '../model.js';

/** What the status is computed from. */
export interface StatusInput {
  state: StateDocument | null;
  /** Open alerts (conditions that hold and recent record alerts): openAlerts(memory). */
  open: readonly Alert[];
  /**
   * Acknowledged ids and snooze ends. Accepted and ignored on purpose: acknowledging or snoozing
   * silences notifications, never the truth (issue 13, point 2). An acknowledged critical alert
   * still makes the tray red and `poll --once` exit 2, as a monitoring system's acknowledged
   * problem keeps its state; the UI shows "acknowledged" beside it.
   */
  acked?: ReadonlySet<string>;
  snoozedUntil?: ReadonlyMap<string, string>;
  now: Date;
}

/**
 * Compute the overall status. Unknown when nothing was collected, when no server is configured,
 * or when no server at all could be read (then we know nothing about EEMS, only about our own
 * reach). Otherwise the worst severity of the open alerts, acknowledged or not. Info alerts
 * (applied, removed, blocked) leave the status ok.
 */
export function overallStatus(input: StatusInput): OverallStatus {
  const { state } = input;
  if (!state || state.servers.length === 0 || state.servers.every((s) => s.Error)) return 'unknown';
  let worst: OverallStatus = 'ok';
  for (const alert of input.open) {
    if (alert.severity === 'critical') return 'critical';
    if (alert.severity === 'warning') worst = 'warning';
  }
  return worst;
}
