/**
 * The journal's records folded into one view per alert: its newest words, when it was raised and
 * resolved (and why), who acknowledged it, until when it is snoozed, whether it was notified. Acks
 * and snoozes can be undone (unack, unsnooze records): the latest record wins.
 *
 * Whether an alert is open is not decided here but by the rules' memory (isOpenAlert): the
 * journal says what happened, the memory what holds now.
 */
import type { Alert } from '../core/model.js';
import type { JournalRecord } from './journal-records.js';

/** What the journal knows of one alert. */
export interface FoldedAlert {
  /** The newest words (the raise, then each update). */
  alert: Alert;
  /** When the journal first recorded it. */
  raisedAt: string;
  resolved: { at: string; reason: string; lastSeenAt: string | null } | null;
}

/** The fold of a whole journal. */
export interface JournalFold {
  ids: Set<string>;
  /** In the order they were raised. */
  alerts: Map<string, FoldedAlert>;
  notified: Set<string>;
  acked: Map<string, { at: string; by: string | null }>;
  snoozed: Map<string, string>;
}

/** An empty fold. */
export function emptyFold(): JournalFold {
  return { ids: new Set(), alerts: new Map(), notified: new Set(), acked: new Map(), snoozed: new Map() };
}

/** Fold one record in (records come oldest first). */
export function foldRecord(into: JournalFold, record: JournalRecord): void {
  switch (record.type) {
    case 'alert':
      into.ids.add(record.alert.id);
      into.alerts.set(record.alert.id, { alert: record.alert, raisedAt: record.at, resolved: null });
      break;
    case 'update': {
      const known = into.alerts.get(record.alertId);
      // Its raise may have rotated out of the journal: the update carries the whole alert.
      if (known) known.alert = record.alert;
      else {
        into.ids.add(record.alertId);
        into.alerts.set(record.alertId, { alert: record.alert, raisedAt: record.alert.time, resolved: null });
        // Its "notified" mark rotated out with it: an old alert is not news to notify again.
        into.notified.add(record.alertId);
      }
      break;
    }
    case 'resolved': {
      const known = into.alerts.get(record.alertId);
      if (known) known.resolved = { at: record.at, reason: record.reason, lastSeenAt: record.lastSeenAt ?? null };
      break;
    }
    case 'notified':
      for (const id of record.alertIds) into.notified.add(id);
      break;
    case 'ack':
      into.acked.set(record.alertId, { at: record.at, by: record.by ?? null });
      break;
    case 'unack':
      into.acked.delete(record.alertId);
      break;
    case 'snooze':
      into.snoozed.set(record.alertId, record.until);
      break;
    case 'unsnooze':
      into.snoozed.delete(record.alertId);
      break;
    default:
      break;
  }
}
