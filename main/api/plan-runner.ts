/**
 * Plans the admin can run from the UI: kept by id, run step by step through the host with
 * progress events, then verified on freshly collected state (verifyRemoval, or the org setting),
 * and recorded in the journal as an action (a 'started' record first, so a crash mid-run still
 * leaves a trace). Every step is idempotent on the host, so running a failed plan again resumes
 * it: the steps already done report no change.
 */
import { randomUUID } from 'node:crypto';
import { verifyRemoval, type ActionPlan } from '../core/mitigations/removal-plan.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { StateDocument } from '../core/model.js';
import type { ActionStep, Clock, HostPort, StepResult } from '../core/ports.js';
import type { Journal } from '../engine/journal.js';
import type { ApiEvent, PlanResultView, PlanView, StepView } from './eems-api.js';
import { closeUnfinishedRuns } from './plan-journal.js';
import { planScript, stepChannel } from '../core/mitigations/plan-script.js';
import { checkExpectation } from '../core/mitigations/server-plans.js';

export interface PlanRunnerDeps {
  host: HostPort;
  journal: Journal;
  clock: Clock;
  knowledge: () => KnowledgeBase;
  /** Collect again (the engine's poll) and return the state it read. */
  recollect: (server: string | null) => Promise<StateDocument | null>;
  emit: (event: ApiEvent) => void;
  /**
   * Read the target again just before a run and say why the plan must not run now (null: it may).
   * The state can change between showing a plan and its confirmation (an update rolled back, a new
   * mitigation applied): a removal is only run while the current state still allows it.
   */
  precheck?: (plan: ActionPlan) => Promise<string | null>;
}

interface StoredPlan {
  plan: ActionPlan;
  view: PlanView;
}

/** Plans older than this many are forgotten (oldest first): the journal keeps the history. */
const MAX_PLANS = 200;

function stepViews(plan: ActionPlan): StepView[] {
  return plan.steps.map((s, index) => ({ index, kind: s.kind, server: s.server, description: s.description, powershell: s.powershell, status: 'pending', changed: null, message: null, channel: stepChannel(s) }));
}

/** In words: what was done before the failure, what failed, what was not run. */
function describeLeft(plan: ActionPlan, steps: StepView[], failed: number, results: StepResult[]): string {
  const target = plan.server ?? 'The organisation';
  const done = steps.slice(0, failed).map((s) => `step ${s.index + 1} ${s.changed ? 'changed it' : 'found nothing to change'} (${s.kind})`);
  const notRun = steps.length - failed - 1;
  const backups = results.map((r) => r.backupPath).filter((p): p is string => typeof p === 'string');
  return [
    done.length > 0 ? `${target}: ${done.join('; ')}.` : `${target} was not changed before the failure.`,
    `Step ${failed + 1} (${steps[failed]?.kind}) failed${notRun > 0 ? `; the ${notRun} step(s) after it did not run` : ''}.`,
    backups.length > 0 ? `The configuration backup is at ${backups.join(', ')}.` : '',
    'Run the plan again to resume: steps already done report no change.',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Keep plans and run them. */
export function createPlanRunner(deps: PlanRunnerDeps) {
  const plans = new Map<string, StoredPlan>();
  // Ids whose run (including its precheck) is in flight: a second runPlan of the same plan is refused.
  const inFlight = new Set<string>();
  // Run ids of this process still running: never closed as "never finished".
  const activeRuns = new Set<string>();

  const verifyStep = async (plan: ActionPlan): Promise<StepResult> => {
    const state = await deps.recollect(plan.server);
    if (!state) return { ok: false, changed: false, message: 'The state could not be collected again to check the result; poll again and look at the Servers view.' };
    if (!plan.server) {
      const enabled = state.organization.MitigationsEnabled;
      return enabled === true
        ? { ok: true, changed: false, message: 'Organisation MitigationsEnabled reads True.' }
        : { ok: false, changed: false, message: `Organisation MitigationsEnabled still reads ${String(enabled)}. Check that your account may run Set-OrganizationConfig, then run the plan again.` };
    }
    const after = state.servers.find((s) => s.Name.toLowerCase() === plan.server!.toLowerCase());
    if (!after) return { ok: false, changed: false, message: `${plan.server} was not in the state collected after the run; poll again.` };
    if (plan.expect) {
      const checked = checkExpectation(plan.expect, after);
      return { ok: checked.ok, changed: false, message: checked.message };
    }
    const verdict = verifyRemoval(plan, after, deps.knowledge());
    return { ok: verdict.ok, changed: false, message: verdict.message };
  };

  const runStep = async (plan: ActionPlan, step: ActionStep): Promise<StepResult> => {
    if (step.kind === 'verify') return verifyStep(plan);
    try {
      return await deps.host.run(step);
    } catch (error) {
      return { ok: false, changed: false, message: `The step could not run: ${(error as Error).message}` };
    }
  };

  async function run(id: string): Promise<{ ok: true; value: PlanView } | { ok: false; code: 'not-found' | 'conflict'; message: string }> {
    const stored = plans.get(id);
    if (!stored) return { ok: false, code: 'not-found', message: 'This plan is no longer known (EEMS Watch restarted, or it is too old). Open the removal again to get a fresh plan.' };
    if (stored.view.state === 'running' || inFlight.has(id)) return { ok: false, code: 'conflict', message: 'This plan is already running; wait for it to finish.' };
    inFlight.add(id);
    try {
      const refusal = deps.precheck ? await deps.precheck(stored.plan) : null;
      if (refusal !== null) return { ok: false, code: 'conflict', message: refusal };
      return { ok: true, value: await runChecked(stored) };
    } catch (error) {
      // A run that threw (the journal could not be written, say) must not stay "running" for ever.
      if ((stored.view.state as PlanView['state']) === 'running') stored.view = { ...stored.view, state: 'failed' };
      throw error;
    } finally {
      inFlight.delete(id);
    }
  }

  async function runChecked(stored: StoredPlan): Promise<PlanView> {
    const { plan } = stored;
    const runId = randomUUID();
    const view: PlanView = { ...stored.view, state: 'running', runs: stored.view.runs + 1, result: null, steps: stepViews(plan) };
    stored.view = view;
    const base = { planId: plan.id, runId, server: plan.server, mitigation: plan.mitigation, title: plan.title };
    activeRuns.add(runId);
    try {
      return await runSteps(stored, view, base);
    } finally {
      activeRuns.delete(runId);
    }
  }

  async function runSteps(stored: StoredPlan, view: PlanView, base: { planId: string; runId: string; server: string | null; mitigation: string | null; title: string }): Promise<PlanView> {
    const { plan } = stored;
    await closeUnfinishedRuns(deps.journal, { ...base, at: deps.clock.now().toISOString() }, activeRuns, deps.knowledge());
    await deps.journal.append({ type: 'action', at: deps.clock.now().toISOString(), action: { ...base, status: 'started', message: `Run ${view.runs} started.` } });
    const results: StepResult[] = [];
    let failed: number | null = null;
    for (const [index, step] of plan.steps.entries()) {
      view.steps[index] = { ...view.steps[index]!, status: 'running' };
      deps.emit({ type: 'plan-progress', planId: plan.id, step: index, status: 'running', message: step.description });
      const result = await runStep(plan, step);
      results.push(result);
      view.steps[index] = { ...view.steps[index]!, status: result.ok ? 'done' : 'failed', changed: result.changed, message: result.message };
      deps.emit({ type: 'plan-progress', planId: plan.id, step: index, status: result.ok ? 'done' : 'failed', message: result.message });
      if (!result.ok) {
        failed = index;
        break;
      }
    }
    if (failed === null && !plan.steps.some((s) => s.kind === 'verify')) await deps.recollect(plan.server);
    const verified = failed === null && plan.steps.some((s) => s.kind === 'verify');
    const result: PlanResultView =
      failed === null
        ? { ok: true, verified, message: results[results.length - 1]?.message ?? 'Done.', failedStep: null, serverLeft: null, finishedAt: deps.clock.now().toISOString() }
        : { ok: false, verified: false, message: results[failed]?.message ?? 'The step failed.', failedStep: failed, serverLeft: describeLeft(plan, view.steps, failed, results), finishedAt: deps.clock.now().toISOString() };
    view.result = result;
    view.state = result.ok ? 'succeeded' : 'failed';
    await deps.journal.append({
      type: 'action',
      at: result.finishedAt,
      action: {
        ...base,
        status: result.ok ? 'done' : 'failed',
        message: result.ok ? result.message : `${result.message} ${result.serverLeft ?? ''}`.trim(),
        verified: result.verified,
        failedStep: result.failedStep,
        steps: view.steps.map((s) => ({ index: s.index, kind: s.kind, ok: s.status === 'done', changed: s.changed === true, message: s.message ?? 'not run' })),
      },
    });
    deps.emit({ type: 'alerts-changed' });
    return structuredClone(view);
  }

  return {
    /** Keep a plan (a plan already kept under the same id, e.g. half run, is returned as it is). */
    store(plan: ActionPlan): PlanView {
      const existing = plans.get(plan.id);
      if (existing && existing.view.state !== 'succeeded') return structuredClone(existing.view);
      const view: PlanView = {
        id: plan.id, server: plan.server, mitigation: plan.mitigation, title: plan.title, warnings: plan.warnings, steps: stepViews(plan),
        createdAt: deps.clock.now().toISOString(), state: 'ready', runs: 0, result: null, script: planScript(plan), evidence: plan.evidence ?? null,
      };
      plans.delete(plan.id);
      plans.set(plan.id, { plan, view });
      while (plans.size > MAX_PLANS) plans.delete(plans.keys().next().value!);
      return structuredClone(view);
    },
    get(id: string): PlanView | null {
      const stored = plans.get(id);
      return stored ? structuredClone(stored.view) : null;
    },
    run,
  };
}

export type PlanRunner = ReturnType<typeof createPlanRunner>;
