/**
 * The journal records of one evaluation, in the order a reader needs them: new alerts, then the
 * newest words of open alerts that changed, then resolutions, then history (record alerts older
 * than a day read for the first time: raised, resolved at the end of their day, and marked as
 * never to be notified, since they are not news).
 */
import type { Alert } from '../core/model.js';
import type { Evaluation } from '../core/alerts/alert-rules.js';
import type { JournalRecord } from './journal.js';

/** Records to append for an evaluation (`fresh`: the new alerts the journal does not hold yet). */
export function evaluationRecords(now: Date, fresh: Alert[], result: Pick<Evaluation, 'updated' | 'resolved' | 'history'>): JournalRecord[] {
  const at = now.toISOString();
  const records: JournalRecord[] = fresh.map((alert) => ({ type: 'alert', at, alert }));
  for (const alert of result.updated) records.push({ type: 'update', at, alertId: alert.id, alert });
  for (const r of result.resolved) records.push({ type: 'resolved', at: r.at, alertId: r.alertId, reason: r.reason, lastSeenAt: r.lastSeenAt });
  for (const h of result.history) {
    records.push({ type: 'alert', at, alert: h.alert });
    records.push({ type: 'resolved', at: h.resolvedAt, alertId: h.alert.id, reason: 'expired', lastSeenAt: null });
  }
  if (result.history.length > 0) records.push({ type: 'notified', at, alertIds: result.history.map((h) => h.alert.id), held: 'history' });
  return records;
}
