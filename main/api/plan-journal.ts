/**
 * Runs that never finished (issue 14.10): the app was killed during a plan, so the journal holds a
 * 'started' record and nothing after it. When a run on the same server and mitigation family starts
 * later, under a new plan or the same one, that entry is closed ('cancelled', with the run that took
 * over), so the history does not show a removal "in progress" for ever.
 */
import { findMitigation, type KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { Journal, JournalAction } from '../engine/journal.js';

const familyOf = (id: string | null, kb: KnowledgeBase) => (id ? (findMitigation(kb, id)?.id ?? id).toUpperCase() : null);

/** Close every earlier run of the same server and family whose last record is 'started' (not `active` runs of this process). */
export async function closeUnfinishedRuns(
  journal: Journal,
  next: { planId: string; runId: string; server: string | null; mitigation: string | null; at: string },
  active: ReadonlySet<string>,
  kb: KnowledgeBase,
): Promise<number> {
  const records = await journal.read({ types: ['action'], ...(next.server ? { server: next.server } : {}) });
  const lastOfRun = new Map<string, JournalAction>();
  for (const record of records) {
    if (record.type !== 'action') continue;
    const runId = record.action.runId;
    if (typeof runId === 'string') lastOfRun.set(runId, record.action);
  }
  const family = familyOf(next.mitigation, kb);
  let closed = 0;
  for (const [runId, last] of lastOfRun) {
    if (last.status !== 'started' || active.has(runId) || runId === next.runId) continue;
    if ((last.server ?? '').toUpperCase() !== (next.server ?? '').toUpperCase() || familyOf(last.mitigation, kb) !== family) continue;
    await journal.append({
      type: 'action',
      at: next.at,
      action: {
        ...last,
        runId,
        status: 'cancelled',
        message: `Never finished: EEMS Watch stopped during this run. Run ${next.runId} of plan ${next.planId} took over; it re-checks the server and redoes only what is left.`,
        closedBy: { planId: next.planId, runId: next.runId },
      },
    });
    closed += 1;
  }
  return closed;
}
