/**
 * The re-check just before a removal runs (issue 14.1). It fails closed: a plan runs only when the
 * server, read again now and judged with the knowledge in force now, still shows the same verdict
 * for the mitigation the plan was made for, with the same applied ID, and that verdict is still
 * removable. Anything else refuses with the reason: the mitigation is not found any more (a rollback
 * below the fix made EEMS drop it, say), its applied ID changed (M2.1.0 became M2.2.0), the server
 * could not be read, or the knowledge changed so that it may not go yet.
 */
import type { ActionPlan } from '../core/mitigations/removal-plan.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import { findMitigation, familyMatches } from '../core/mitigations/knowledge-base.js';
import { judgeServer } from '../core/mitigations/staleness.js';
import type { MitigationVerdict, ServerState } from '../core/model.js';

const AGAIN = 'Nothing was changed. Open the Servers view again and review the current state before removing anything.';

/** The verdicts of the plan's family on a server, judged now. */
function familyVerdicts(server: ServerState, family: string, kb: KnowledgeBase): MitigationVerdict[] {
  return judgeServer(server, kb).filter((v) => v.family.toUpperCase() === family.toUpperCase() || familyMatches(family, v.id));
}

/**
 * Why the plan must not run on `server` now, or null when it may. `server` is the state read just
 * now (null: not in the watched servers), `readError` why it could not be read.
 */
export function recheckPlan(plan: ActionPlan, server: ServerState | null, readError: string | null, kb: KnowledgeBase): string | null {
  // Server plans (start the service, unblock, re-enable) give protection back instead of taking it away.
  if (!plan.server || !plan.mitigation || plan.expect) return null;
  const name = plan.server;
  if (!server) return `${name} is no longer among the watched servers, so the plan was not run.`;
  const error = readError ?? server.Error ?? null;
  if (error) return `${name} could not be read again just before the run (${error}), so nothing was changed. Poll it again, then retry.`;
  const made = plan.madeFor ?? { id: plan.mitigation, family: findMitigation(kb, plan.mitigation)?.id ?? plan.mitigation, verdict: null };
  const changed = `The state of ${name} changed since this plan was shown`;
  const now = familyVerdicts(server, made.family, kb);
  if (now.length === 0) {
    return `${changed}: ${made.id} is not found on it any more (not applied, not blocked, no artefact left), so the plan no longer fits what is there. ${AGAIN}`;
  }
  const same = now.find((v) => v.id.toUpperCase() === made.id.toUpperCase());
  if (!same) {
    return `${changed}: the plan was made for ${made.id}, but ${name} now shows ${now.map((v) => `${v.id} (${v.verdict})`).join(', ')}. ${AGAIN}`;
  }
  if (!same.removable) {
    return `${changed}: ${same.id} is ${same.verdict} now and no longer removable (${same.reason}) ${AGAIN}`;
  }
  if (made.verdict && same.verdict !== made.verdict) {
    return `${changed}: ${same.id} was ${made.verdict} when the plan was made and is ${same.verdict} now, so its steps no longer fit. ${AGAIN}`;
  }
  return null;
}
