/**
 * The overall status of the watched organisation (ok / warning / critical / unknown): the tray
 * colour and the exit code of `eems-watch poll` (contracts.md: 0 ok, 1 warning, 2 critical, 3 unknown).
 */
import type { Alert, OverallStatus, StateDocument } from '../model.js';

/** What the status is computed from. */
export interface StatusInput {
  state: StateDocument | null;
  /** Open alerts (conditions that hold and recent record alerts). */
  open: readonly Alert[];
  /** Alert ids an admin acknowledged. */
  acked?: ReadonlySet<string>;
  /** Alert id -> ISO end of its snooze. */
  snoozedUntil?: ReadonlyMap<string, string>;
  now: Date;
}

/**
 * Compute the overall status. Unknown when nothing was collected, when no server is configured,
 * or when no server at all could be read (then we know nothing about EEMS, only about our own
 * reach). Otherwise the worst severity of the open alerts an admin has not acknowledged or
 * snoozed: an acknowledged alert is a muted alarm, it no longer colours the tray or the exit code.
 * Info alerts (applied, removed, blocked) leave the status ok.
 */
export function overallStatus(input: StatusInput): OverallStatus {
  const { state } = input;
  if (!state || state.servers.length === 0 || state.servers.every((s) => s.Error)) return 'unknown';
  let worst: OverallStatus = 'ok';
  for (const alert of input.open) {
    if (input.acked?.has(alert.id)) continue;
    const snooze = input.snoozedUntil?.get(alert.id);
    if (snooze !== undefined && Date.parse(snooze) > input.now.getTime()) continue;
    if (alert.severity === 'critical') return 'critical';
    if (alert.severity === 'warning') worst = 'warning';
  }
  return worst;
}
