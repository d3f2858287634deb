/**
 * The Alerts view: the journal's timeline (open alerts first, critical first; then resolved ones
 * and the audit of actions, newest first), filtered by server, kind and severity. Each alert says
 * when its problem began, whether it is open or resolved (and when), and who acknowledged it; ack
 * and snooze (with an end time) silence notifications only and can be undone. `#alert=<id>` (a
 * notification click) opens that alert.
 */
import { age, countOf, formatTime, html, serverNow, setHtml } from '../dom.js';
import type { AppContext, View } from '../app-context.js';
import type { ActionView, AlertList, AlertView } from '../types.js';

const KINDS = [
  'mitigation-applied', 'mitigation-removed', 'mitigation-blocked', 'mitigation-failed', 'fetch-error', 'org-mitigations-disabled',
  'server-mitigations-disabled', 'service-stopped', 'service-crashed', 'heartbeat-missed', 'stale-mitigation', 'server-unreachable', 'build-too-old',
];

interface Filters {
  server: string;
  kind: string;
  severity: string;
}

let filters: Filters = { server: '', kind: '', severity: '' };
let focusId: string | null = null;

/** datetime-local value (local time) four hours from now. */
function defaultSnoozeValue(): string {
  const d = new Date(serverNow() + 4 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function lifecycle(alert: AlertView, snoozed: boolean): ReturnType<typeof html> {
  const parts = [];
  if (alert.since) parts.push(html`<span class="alert-since">since ${formatTime(alert.since)}</span>`);
  if (alert.state === 'resolved') parts.push(html`<span class="alert-state resolved">resolved${alert.resolvedAt ? ` at ${formatTime(alert.resolvedAt)}` : ''}</span>`);
  else parts.push(html`<span class="alert-state open">open</span>`);
  if (alert.acked) parts.push(html`<span class="alert-state acked">acknowledged by ${alert.ackedBy ?? 'you'} at ${formatTime(alert.ackedAt)}</span>`);
  if (snoozed) parts.push(html`<span class="alert-state snoozed">snoozed until ${formatTime(alert.snoozedUntil)}</span>`);
  return html`${parts.map((p, i) => html`${i > 0 ? ' · ' : ''}${p}`)}`;
}

function actions(alert: AlertView, snoozed: boolean): ReturnType<typeof html> {
  const ack = alert.acked ? html`<button type="button" data-act="unack">Undo acknowledge</button>` : html`<button type="button" data-act="ack">Acknowledge</button>`;
  const snooze = snoozed
    ? html`<button type="button" data-act="unsnooze">End snooze</button>`
    : html`<label>Snooze until <input type="datetime-local" class="snooze-until" value="${defaultSnoozeValue()}"></label> <button type="button" data-act="snooze">Snooze</button>`;
  return html`<div class="alert-actions">${ack} ${alert.state === 'resolved' ? '' : snooze}<span class="sub"> Acknowledging or snoozing silences notifications; the status stays true.</span></div>`;
}

function alertItem(alert: AlertView): ReturnType<typeof html> {
  const snoozed = alert.snoozedUntil !== null && Date.parse(alert.snoozedUntil) > serverNow();
  const open = alert.id === focusId;
  const mute = alert.acked ? 'acked' : snoozed ? 'snoozed' : 'open';
  return html`<li class="alert sev-${alert.severity}${open ? ' focused' : ''}" data-alert="${alert.id}" data-state="${mute}" data-lifecycle="${alert.state ?? 'open'}">
<details${open ? html` open` : ''}><summary><span class="badge sev sev-${alert.severity}">${alert.severity}</span> <span class="alert-title">${alert.title}</span>
<span class="sub">${alert.server ?? 'organization'} · ${alert.kind} · raised ${age(alert.time)} · ${lifecycle(alert, snoozed)}</span></summary>
<p class="alert-body">${alert.body}</p>
${alert.diagnosis ? html`<div class="diagnosis"><strong>${alert.diagnosis.title}</strong><p>${alert.diagnosis.explanation}</p><ol>${alert.diagnosis.fix.map((f) => html`<li>${f}</li>`)}</ol></div>` : ''}
${actions(alert, snoozed)}
</details></li>`;
}

function actionItem(action: ActionView): ReturnType<typeof html> {
  return html`<li class="action ${action.ok ? 'ok' : 'failed'}" data-action-record="${action.planId}"><span class="badge ${action.ok ? 'ok' : 'sev-critical'}">${action.ok ? 'action' : 'action failed'}</span>
<span class="alert-title">${action.title}</span> <span class="sub">${action.server ?? 'organization'} · ${age(action.time)}</span><div class="sub">${action.message}</div></li>`;
}

function timeline(list: AlertList): ReturnType<typeof html> {
  // Open alerts keep the API's order (critical first); the history below is newest first.
  const openAlerts = list.alerts.filter((a) => a.state !== 'resolved');
  const history: { time: string; markup: ReturnType<typeof html> }[] = [
    ...list.alerts.filter((a) => a.state === 'resolved').map((a) => ({ time: a.resolvedAt ?? a.time, markup: alertItem(a) })),
    ...list.actions.map((a) => ({ time: a.time, markup: actionItem(a) })),
  ].sort((a, b) => b.time.localeCompare(a.time));
  if (openAlerts.length === 0 && history.length === 0) return html`<p class="empty">Nothing in the journal for these filters.</p>`;
  return html`<h3>Open (${openAlerts.length})</h3>${openAlerts.length === 0 ? html`<p class="empty">No open alert.</p>` : html`<ul class="timeline" data-role="open">${openAlerts.map(alertItem)}</ul>`}
<h3>History</h3><ul class="timeline" data-role="history">${history.map((e) => e.markup)}</ul>`;
}

function select(name: keyof Filters, label: string, options: string[]): ReturnType<typeof html> {
  return html`<label>${label} <select data-filter="${name}"><option value="">all</option>${options.map((o) => html`<option value="${o}"${filters[name] === o ? html` selected` : ''}>${o}</option>`)}</select></label>`;
}

async function draw(ctx: AppContext, root: HTMLElement): Promise<void> {
  const input = { ...(filters.server ? { server: filters.server } : {}), ...(filters.kind ? { kind: filters.kind } : {}), ...(filters.severity ? { severity: filters.severity as AlertView['severity'] } : {}) };
  const [list, overview] = await Promise.all([ctx.call('listAlerts', input), ctx.loadOverview()]);
  if (!list) return;
  const servers = overview?.servers.map((s) => s.name) ?? [];
  setHtml(root, html`<h2>Alerts</h2><form class="filters" data-role="filters">${select('server', 'Server', servers)} ${select('kind', 'Kind', KINDS)} ${select('severity', 'Severity', ['info', 'warning', 'critical'])}
<span class="sub">${countOf(list.alerts.length, 'alert')}, ${countOf(list.actions.length, 'action')}</span></form>${timeline(list)}`);
  if (focusId) {
    const item = root.querySelector<HTMLElement>(`li.alert[data-alert="${CSS.escape(focusId)}"] summary`);
    item?.focus();
    item?.scrollIntoView({ block: 'center' });
  }
}

/** The Alerts view. */
export const alertsView: View = {
  name: 'alerts',
  title: 'Alerts',
  async render(ctx, root, param) {
    focusId = param;
    await draw(ctx, root);
  },
  bind(ctx, root) {
    root.addEventListener('change', (event) => {
      const target = event.target as HTMLSelectElement;
      const name = target.dataset.filter as keyof Filters | undefined;
      if (!name) return;
      filters = { ...filters, [name]: target.value };
      void draw(ctx, root);
    });
    root.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-act]');
      const item = button?.closest<HTMLElement>('li.alert');
      const id = item?.dataset.alert;
      if (!button || !item || !id) return;
      focusId = id;
      if (button.dataset.act === 'ack') {
        void ctx.call('ackAlert', { id }).then((r) => r && draw(ctx, root));
      } else if (button.dataset.act === 'unack') {
        void ctx.call('unackAlert', { id }).then((r) => r && draw(ctx, root));
      } else if (button.dataset.act === 'unsnooze') {
        void ctx.call('unsnoozeAlert', { id }).then((r) => r && draw(ctx, root));
      } else if (button.dataset.act === 'snooze') {
        const value = item.querySelector<HTMLInputElement>('input.snooze-until')?.value ?? '';
        const until = new Date(value);
        if (Number.isNaN(until.getTime())) return ctx.notify('Pick the date and time the snooze ends.', 'error');
        void ctx.call('snoozeAlert', { id, until: until.toISOString() }).then((r) => r && draw(ctx, root));
      }
    });
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'alerts-changed') ctx.rerender('alerts');
  },
};
