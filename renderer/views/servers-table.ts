/**
 * The Servers view's markup: the tally, the "needs attention" groups (the same problem on many
 * servers is one line), and one compact table row per server (name, build, EEMS, service, last
 * cycle, a badge per mitigation, the problem and its next step). Details are built only when a
 * row is opened. Escaped markup from strings: 500 rows are one innerHTML.
 */
import { age, formatTime, html, type SafeHtml } from '../dom.js';
import type { IssueGroup, Overview, ServerIssue, ServerView } from '../types.js';
import { mitigationDetailHtml, verdictBadge } from './evidence.js';
import { VERDICT_WORDS } from './servers-model.js';

const EEMS_SHORT: Record<ServerView['effective'], string> = {
  enabled: 'enabled',
  'disabled-org': 'off (org)',
  'disabled-server': 'off (server)',
  disabled: 'off',
  unknown: 'unknown',
};

export const COLUMNS = ['Server', 'Build', 'EEMS', 'Service', 'Last cycle', 'Mitigations', 'Problem and next step'] as const;

function serviceCell(s: ServerView): SafeHtml | string {
  if (!s.service) return html`<span class="sub">not read</span>`;
  if (s.service.Status === 'Running' && s.service.StartType === 'Automatic') return 'Running';
  return html`<span class="bad">${s.service.Status}</span> <span class="sub">${s.service.StartType}</span>`;
}

function buildCell(s: ServerView): SafeHtml {
  const cuOnly = s.build.source === 'AdminDisplayVersion' ? html` <span class="note" title="${s.build.note ?? ''}">CU only</span>` : '';
  return html`${s.build.short}${cuOnly}`;
}

/** PING1 last and small: it is the heartbeat, not a finding. */
function badges(s: ServerView): SafeHtml {
  const real = s.mitigations.filter((m) => m.verdict !== 'heartbeat');
  const ping = s.mitigations.length - real.length;
  return html`${real.map((m) => verdictBadge(m, true))}${ping ? html` <span class="ping" title="PING1 heartbeat applied">PING1</span>` : ''}`;
}

function muteNote(i: ServerIssue): SafeHtml | string {
  return i.muted ? html` <span class="muted-note">(${i.muted})</span>` : '';
}

function actionHtml(s: ServerView, i: ServerIssue, index: number): SafeHtml | string {
  const a = i.action;
  if (!a) return '';
  if (a.kind === 'link' && a.href) return html`<a class="next" href="${a.href}">${a.label}</a>`;
  return html`<button type="button" class="next" data-act="issue-plan" data-server="${s.name}" data-issue-index="${index}" data-plan="${a.method ?? ''}" data-mitigation="${a.input?.mitigation ?? ''}">${a.label}</button>`;
}

function nextCell(s: ServerView): SafeHtml | string {
  const issues = s.issues ?? [];
  const first = issues[0];
  if (!first) return html`<span class="fine">${s.statusText === 'fine' ? 'nothing to do' : s.statusText}</span>`;
  const more = issues.length > 1 ? html` <span class="sub">+${issues.length - 1} more</span>` : '';
  return html`<span class="issue sev-${first.severity}">${first.title}</span>${muteNote(first)} ${actionHtml(s, first, 0)}${more}`;
}

/** One server's row. */
export function serverRowHtml(s: ServerView, expanded: boolean): SafeHtml {
  return html`<tr class="srv att-${s.attention ?? 'fine'}" data-server="${s.name}" data-attention="${s.attention ?? 'fine'}" data-status="${s.status}">
<th scope="row" class="c-name"><button type="button" class="expand" data-act="expand" aria-expanded="${String(expanded)}" aria-label="${`Details of ${s.name}`}"></button><a class="server-name" href="#server=${encodeURIComponent(s.name)}">${s.name}</a></th>
<td class="c-build">${buildCell(s)}</td><td class="c-eems eems-${s.effective}">${EEMS_SHORT[s.effective]}</td><td class="c-svc">${serviceCell(s)}</td>
<td class="c-cycle">${age(s.lastCycleAt)}</td><td class="c-mit">${badges(s)}</td><td class="c-next">${nextCell(s)}</td></tr>`;
}

function issueItem(s: ServerView, i: ServerIssue, index: number): SafeHtml {
  return html`<li class="sev-${i.severity}" data-issue="${i.key}"><span class="badge sev sev-${i.severity}">${i.level === 'action' ? i.severity : 'note'}</span> <strong>${i.title}</strong>${muteNote(i)}${i.detail ? html` <span class="sub">${i.detail}</span>` : ''} ${actionHtml(s, i, index)}</li>`;
}

/** The details of a server under its row: every issue, every mitigation with its evidence. */
export function detailRowHtml(s: ServerView): SafeHtml {
  const issues = s.issues ?? [];
  return html`<tr class="detail" data-detail-for="${s.name}"><td colspan="${COLUMNS.length}">
<div class="detail-head"><span>${s.fqdn ?? ''}</span> <span class="sub">${s.build.label}${s.build.version ? ` (${s.build.version}, from ${s.build.source})` : ''} · read ${age(s.collectedAt)}</span> <a href="#server=${encodeURIComponent(s.name)}">Open the server page: EEMS panel, timeline, log lines, events</a></div>
${s.error ? html`<p class="error-text"><strong>Could not read this server:</strong> ${s.error}</p>` : ''}
${issues.length ? html`<ul class="issues">${issues.map((i, n) => issueItem(s, i, n))}</ul>` : html`<p class="sub">Nothing to do on this server.</p>`}
<div class="mitigations">${s.mitigations.map(mitigationDetailHtml)}</div></td></tr>`;
}

/** The table (rows in the order given). Also what the rendering benchmark measures. */
export function serversTableHtml(servers: readonly ServerView[], expanded: ReadonlySet<string> = new Set()): SafeHtml {
  return html`<table class="servers" aria-label="Servers"><thead><tr>${COLUMNS.map((c, i) => html`<th scope="col" class="${`c-${['name', 'build', 'eems', 'svc', 'cycle', 'mit', 'next'][i]}`}">${c}</th>`)}</tr></thead>
<tbody>${servers.map((s) => html`${serverRowHtml(s, expanded.has(s.name))}${expanded.has(s.name) ? detailRowHtml(s) : ''}`)}</tbody></table>`;
}

function groupItem(g: IssueGroup): SafeHtml {
  const shown = g.servers.slice(0, 4);
  const names = html`${shown.map((n, i) => html`${i ? ', ' : ''}<a href="#server=${encodeURIComponent(n)}">${n}</a>`)}${g.servers.length > shown.length ? ` and ${g.servers.length - shown.length} more` : ''}`;
  const count = `${g.servers.length} server${g.servers.length === 1 ? '' : 's'}`;
  return html`<li class="group sev-${g.severity} lvl-${g.level}" data-issue="${g.key}"><span class="badge sev sev-${g.severity}">${g.level === 'action' ? g.severity : 'note'}</span>
<span class="g-title">${g.title}</span> <span class="g-servers">${names}</span> <button type="button" data-act="show-issue" data-issue="${g.key}">Show ${count}</button></li>`;
}

/** Organization MitigationsEnabled False: first, above everything (it disarms every server). */
function orgBanner(o: Overview): SafeHtml | string {
  if (o.organization.MitigationsEnabled !== false) return '';
  const c = o.orgLastChange;
  const who = c ? html` Set to ${Object.values(c.Parameters)[0] ?? 'False'} by ${c.Caller} on ${formatTime(c.RunDate)} (${age(c.RunDate)}).` : ' Who turned it off is not in the audit log that was read.';
  return html`<div class="org-banner" data-role="org-banner"><strong>Organization MitigationsEnabled is False:</strong> EEMS applies no mitigation on any server.${who} <a class="button primary" href="#diagnostics=organization">Re-enable…</a></div>`;
}

/** Damaged data files were moved aside or skipped: say so where the admin looks first. */
function dataBanner(o: Overview): SafeHtml | string {
  const n = o.dataNotes ?? 0;
  if (n === 0) return '';
  return html`<div class="data-banner" data-role="data-banner"><strong>EEMS Watch found ${n === 1 ? 'a damaged data file' : `${n} problems with its data files`}</strong> and kept running without ${n === 1 ? 'it' : 'them'}. <a href="#diagnostics=data-files">See what was moved aside or skipped</a></div>`;
}

/** The verdict counts as chips that filter the table. */
function verdictChips(o: Overview): SafeHtml {
  const counts = o.counts?.verdicts ?? {};
  const order = ['stale-applied', 'orphan-artefact', 'orphan-unfixed', 'active', 'blocked'] as const;
  return html`<span class="chips" aria-label="Mitigations by verdict">${order.map((v) => html`<button type="button" class="chip v-${v}" data-act="verdict" data-verdict="${v}" aria-pressed="false">${counts[v] ?? 0} ${VERDICT_WORDS[v]}</button>`)}</span>`;
}

/** Everything above the table: org banner, tally, groups. */
export function summaryHtml(o: Overview): SafeHtml {
  const c = o.counts;
  const total = o.servers.length;
  const need = c?.needAction ?? 0;
  const tally = html`<p class="tally" data-role="tally"><strong class="${need ? 'need' : 'none'}" data-role="need-action" data-count="${need}">${need} of ${total} server${total === 1 ? '' : 's'} need action</strong>
<span>${c?.watch ?? 0} to watch</span> <span>${c?.fine ?? 0} fine</span> <span class="sub">state read ${age(o.collectedAt)}</span></p>`;
  const groups = c?.groups ?? [];
  const list = groups.length
    ? html`<section class="attention" aria-labelledby="attention-h"><h3 id="attention-h">Needs attention</h3><ul class="groups">${groups.map(groupItem)}</ul></section>`
    : html`<p class="all-fine" data-role="all-fine">Every server is fine: nothing needs attention.</p>`;
  return html`${orgBanner(o)}${dataBanner(o)}${tally}${list}<div class="verdict-line">${verdictChips(o)}</div>`;
}
