/**
 * The records of the journal and their schema. Every line read from disk is checked against it:
 * a line that is valid JSON but no journal record (`null`, `{"type":"alert"}`, an alert without
 * an id) is skipped and named (file and line), never folded, so one damaged line cannot stop the
 * timeline, the Alerts view or the export. Objects are loose: fields added by a later version pass.
 */
import { z } from 'zod';
import type { Alert } from '../core/model.js';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time');

const diagnosisSchema = z.looseObject({
  code: z.string(),
  title: z.string(),
  explanation: z.string(),
  fix: z.array(z.string()),
  links: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
});

/** An alert as the journal keeps it (kind as text: a later version may know more kinds). */
export const alertSchema = z.looseObject({
  id: z.string().min(1).max(400),
  kind: z.string().min(1).max(64),
  severity: z.enum(['info', 'warning', 'critical']),
  server: z.string().nullable(),
  mitigation: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  diagnosis: diagnosisSchema.nullable(),
  time: iso,
  since: iso.nullable().optional(),
});

const actionSchema = z.looseObject({
  planId: z.string().optional(),
  server: z.string().nullable(),
  mitigation: z.string().nullable(),
  title: z.string(),
  status: z.enum(['started', 'done', 'failed', 'cancelled']),
  message: z.string(),
});

const alertId = z.string().min(1).max(400);

/** One journal line. */
export const journalRecordSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('alert'), at: iso, alert: alertSchema }),
  /** The newest words of an open alert (a standing alert that counts on). */
  z.looseObject({ type: z.literal('update'), at: iso, alertId, alert: alertSchema }),
  /** The alert left the open list: its condition cleared, its day was over, or another replaced it. */
  z.looseObject({ type: z.literal('resolved'), at: iso, alertId, reason: z.string().max(64), lastSeenAt: iso.nullable().optional() }),
  z.looseObject({ type: z.literal('action'), at: iso, action: actionSchema }),
  z.looseObject({ type: z.literal('ack'), at: iso, alertId, by: z.string().max(200).optional() }),
  z.looseObject({ type: z.literal('unack'), at: iso, alertId, by: z.string().max(200).optional() }),
  z.looseObject({ type: z.literal('snooze'), at: iso, alertId, until: iso }),
  z.looseObject({ type: z.literal('unsnooze'), at: iso, alertId }),
  z.looseObject({
    type: z.literal('notified'),
    at: iso,
    alertIds: z.array(alertId),
    title: z.string().optional(),
    held: z.string().optional(),
    error: z.string().optional(),
  }),
]);

/** An admin action (a removal plan step, a re-enable), as the action runner records it. */
export interface JournalAction {
  planId?: string;
  server: string | null;
  mitigation: string | null;
  title: string;
  status: 'started' | 'done' | 'failed' | 'cancelled';
  message: string;
  [extra: string]: unknown;
}

/** One line of the journal. */
export type JournalRecord =
  | { type: 'alert'; at: string; alert: Alert }
  | { type: 'update'; at: string; alertId: string; alert: Alert }
  | { type: 'resolved'; at: string; alertId: string; reason: string; lastSeenAt?: string | null }
  | { type: 'action'; at: string; action: JournalAction }
  | { type: 'ack'; at: string; alertId: string; by?: string }
  | { type: 'unack'; at: string; alertId: string; by?: string }
  | { type: 'snooze'; at: string; alertId: string; until: string }
  | { type: 'unsnooze'; at: string; alertId: string }
  | { type: 'notified'; at: string; alertIds: string[]; title?: string; held?: string; error?: string };

/** A line that could not be used: where it is and why (for the log and the UI). */
export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
}

/** Parse one line: the record, or why it is not one. */
export function parseJournalLine(line: string): { ok: true; record: JournalRecord } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not valid JSON (a write cut short by a crash?)' };
  }
  const parsed = journalRecordSchema.safeParse(value);
  if (parsed.success) return { ok: true, record: parsed.data as unknown as JournalRecord };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `not a journal record (${where}${issue?.message ?? 'invalid'})` };
}
