/**
 * The plan dialog (removal of a stale mitigation, or the org re-enable): every step with the
 * exact PowerShell it runs, a confirmation, live progress, and the end: verified, or the step
 * that failed and how the server was left, with Resume (steps already done report no change).
 * Each step says where it runs; a removal shows its evidence (fixedIn, removableFrom, each source
 * with its link, who disagrees, EOMT's own rollback); "Copy as .ps1" copies the exact script.
 */
import { byId, countOf, html, safeHref, setHtml } from '../dom.js';
import type { AppContext } from '../app-context.js';
import type { ApiEvent, PlanView, StepView } from '../types.js';

type Stage = 'review' | 'confirm' | 'running' | 'done';

const WHERE: Record<'exchange' | 'server', string> = { exchange: "Exchange's remote PowerShell", server: 'on the server (WinRM)' };

function evidenceBlock(plan: PlanView): ReturnType<typeof html> | '' {
  const e = plan.evidence;
  if (!e) return '';
  return html`<section class="evidence" data-role="evidence"><h3>Why it may go</h3>
<p>Fix installed from <strong data-role="fixed-in">${e.fixedIn ?? 'unknown'}</strong>; removable from <strong data-role="removable-from">${e.removableFrom ?? 'unknown'}</strong>${e.appliedBy ? html` · applied by <span data-role="applied-by">${e.appliedBy}</span>` : ''}.</p>
<ul class="sources">${e.sources.map((x) => html`<li data-what="${x.what}">${x.what}${x.build ? html` ${x.build}` : ''}: ${x.url ? html`<a href="${safeHref(x.url)}" rel="noreferrer noopener" target="_blank">${x.source}</a>` : x.source}${x.date ? html` (${x.date})` : ''} <span class="sub">[${x.confidence}]</span>${x.says ? html` <q>${x.says}</q>` : ''}</li>`)}</ul>
${e.disagreement ? html`<p class="disagreement" data-role="disagreement">${e.disagreement}</p>` : ''}
${e.alternatives.length ? html`<p data-role="alternative">Alternative: ${e.alternatives.map((a) => html`<code>${a}</code> `)}</p>` : ''}</section>`;
}

const STATUS_TEXT: Record<StepView['status'], string> = { pending: 'not run', running: 'running…', done: 'done', failed: 'FAILED' };

function stepItem(step: StepView): ReturnType<typeof html> {
  const outcome = step.status === 'done' && step.changed === false ? 'done (nothing to change)' : STATUS_TEXT[step.status];
  return html`<li class="step st-${step.status}" data-step="${step.index}">
<div class="step-head">${step.channel ? html`<span class="badge where" data-channel="${step.channel}">${WHERE[step.channel]}</span> ` : ''}<span class="step-desc">${step.description}</span> <span class="step-status" data-status="${step.status}">${outcome}</span></div>
<pre class="ps"><code>${step.powershell}</code></pre>${step.message ? html`<div class="step-msg">${step.message}</div>` : ''}</li>`;
}

function resultBlock(plan: PlanView): ReturnType<typeof html> | '' {
  const r = plan.result;
  if (!r) return '';
  if (r.ok) return html`<div class="result ok" data-result="ok"><strong>${r.verified ? 'Done and verified.' : 'Done.'}</strong> ${r.message}</div>`;
  const failed = r.failedStep !== null ? plan.steps[r.failedStep] : undefined;
  return html`<div class="result failed" data-result="failed"><strong>Failed${failed ? html` at step ${r.failedStep! + 1}: ${failed.description}` : ''}.</strong> ${r.message}
${r.serverLeft ? html`<div class="left"><span class="label">How the server was left:</span> ${r.serverLeft}</div>` : ''}</div>`;
}

function buttons(plan: PlanView, stage: Stage): ReturnType<typeof html> {
  const count = plan.steps.length;
  const target = plan.server ?? 'the organization';
  if (stage === 'review') {
    const copy = plan.script ? html` <button type="button" data-act="copy-script">Copy as .ps1</button>` : '';
    return html`<button type="button" class="primary" data-act="ask">Run ${count === 1 ? 'this step' : `these ${count} steps`}…</button>${copy} <button type="button" data-act="close">Cancel</button>`;
  }
  if (stage === 'confirm') {
    const verb = plan.runs > 0 ? 'Resume' : 'Run';
    return html`<p class="confirm-text" role="alert">${verb} ${countOf(count, 'step')} on ${target} now? This changes the server.</p>
<button type="button" class="primary danger" data-act="run">Yes, ${verb.toLowerCase()} now</button> <button type="button" data-act="back">Back</button>`;
  }
  if (stage === 'running') return html`<button type="button" disabled>Running…</button>`;
  const resume = plan.result && !plan.result.ok ? html`<button type="button" class="primary" data-act="ask">Resume…</button> ` : '';
  return html`${resume}<button type="button" data-act="close" class="${resume ? '' : 'primary'}">Close</button>`;
}

/** The one plan dialog of the page. */
export function createPlanDialog(ctx: AppContext): { open(plan: PlanView): void; onEvent(event: ApiEvent): void } {
  const dialog = byId<HTMLDialogElement>('plan-dialog');
  let plan: PlanView | null = null;
  let stage: Stage = 'review';

  // Focus lands on the step's main button without scrolling the dialog to it: a long plan on a small
  // screen (800x600) would otherwise open scrolled past its title and first steps (issue 13.9).
  const focusPrimary = (): void => dialog.querySelector<HTMLButtonElement>('.dialog-buttons .primary')?.focus({ preventScroll: true });

  const draw = (): void => {
    if (!plan) return;
    setHtml(dialog, html`<h2 id="plan-title">${plan.title}</h2>
${plan.warnings.length ? html`<ul class="warnings">${plan.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
${evidenceBlock(plan)}
<ol class="steps">${plan.steps.map(stepItem)}</ol>
<div class="plan-result" role="status" aria-live="polite">${resultBlock(plan)}</div>
<div class="dialog-buttons">${buttons(plan, stage)}</div>`);
    focusPrimary();
  };

  const run = async (): Promise<void> => {
    if (!plan) return;
    stage = 'running';
    plan = { ...plan, result: null, steps: plan.steps.map((s) => (s.status === 'failed' ? { ...s, status: 'pending' } : s)) };
    draw();
    const after = await ctx.call('runPlan', { planId: plan.id, confirm: true });
    if (after) plan = after;
    stage = 'done';
    draw();
    ctx.rerender('servers');
    ctx.rerender('diagnostics');
    ctx.rerender('alerts');
  };

  // The exact script of the plan, to the clipboard; the text stays selectable when the clipboard is refused.
  const copyScript = async (): Promise<void> => {
    if (!plan?.script) return;
    const out = dialog.querySelector<HTMLElement>('.plan-result');
    try {
      await navigator.clipboard.writeText(plan.script);
      if (out) setHtml(out, html`<div class="result ok" data-result="copied">The script was copied. Run it in the Exchange Management Shell; it asks before it changes anything.</div>`);
    } catch {
      if (out) setHtml(out, html`<p>The clipboard is not available here: copy the script below.</p><pre class="ps" data-role="script"><code>${plan.script}</code></pre>`);
    }
  };

  dialog.addEventListener('click', (event) => {
    const act = (event.target as Element).closest<HTMLButtonElement>('button[data-act]')?.dataset.act;
    if (act === 'ask') stage = 'confirm';
    else if (act === 'back') stage = 'review';
    else if (act === 'run') return void run();
    else if (act === 'close') return dialog.close();
    else if (act === 'copy-script') return void copyScript();
    else return;
    draw();
  });
  // Escape closes, except while steps run: the outcome must be seen.
  dialog.addEventListener('cancel', (event) => {
    if (stage === 'running') event.preventDefault();
  });

  return {
    open(next) {
      plan = next;
      stage = next.state === 'succeeded' || (next.state === 'failed' && next.result) ? 'done' : 'review';
      draw();
      if (!dialog.open) dialog.showModal();
      focusPrimary();
      // A dialog opens at its top: the title and the first step, whatever was scrolled before.
      dialog.scrollTop = 0;
    },
    onEvent(event) {
      if (event.type !== 'plan-progress' || !plan || event.planId !== plan.id) return;
      const li = dialog.querySelector(`li.step[data-step="${event.step}"]`);
      if (!li) return;
      li.className = `step st-${event.status}`;
      const status = li.querySelector('.step-status');
      if (status) {
        status.textContent = STATUS_TEXT[event.status];
        status.setAttribute('data-status', event.status);
      }
      let msg = li.querySelector('.step-msg');
      if (!msg) {
        msg = document.createElement('div');
        msg.className = 'step-msg';
        li.append(msg);
      }
      msg.textContent = event.message;
    },
  };
}
