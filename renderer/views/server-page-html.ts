/**
 * The markup of one server's page: what needs doing, the EEMS panel (HealthChecker's rows), every
 * mitigation with its evidence, who changed its Mitigations* settings, the timeline from the
 * journal, and the recent raw log lines and events the engine read.
 */
import { age, countOf, formatTime, html, safeHref, type SafeHtml } from '../dom.js';
import type { ActionView, AlertView, EemsEvent, LogEntry, PanelRow, ServerDetail, ServerIssue } from '../types.js';
import { mitigationDetailHtml } from './evidence.js';

/** How many log lines show before "show all" (the engine keeps a few more). */
const LOG_LINES_SHOWN = 40;

function issueItem(i: ServerIssue, index: number): SafeHtml {
  const a = i.action;
  const act = !a ? '' : a.kind === 'link' && a.href ? html`<a href="${a.href}">${a.label}</a>` : html`<button type="button" data-act="issue-plan" data-issue-index="${index}" data-plan="${a.method ?? ''}" data-mitigation="${a.input?.mitigation ?? ''}">${a.label}</button>`;
  return html`<li class="sev-${i.severity}" data-issue="${i.key}"><span class="badge sev sev-${i.severity}">${i.level === 'action' ? i.severity : 'note'}</span> <strong>${i.title}</strong>${i.muted ? html` <span class="muted-note">(${i.muted})</span>` : ''}${i.detail ? html`<div class="sub">${i.detail}</div>` : ''} ${act}</li>`;
}

function panelRow(r: PanelRow, canTest: boolean): SafeHtml {
  const link = r.link && safeHref(r.link) !== '#' ? html` <a href="${safeHref(r.link)}" target="_blank" rel="noreferrer noopener">More information</a>` : '';
  const test = r.key === 'endpoint' && canTest ? html` <button type="button" data-act="test-endpoint">Test from the server</button>` : '';
  const value = html`${r.value}${r.time ? html`${r.value ? ' ' : ''}${age(r.time)} <span class="sub">(${formatTime(r.time)})</span>` : ''}`;
  return html`<tr data-key="${r.key}" class="tone-${r.tone}"><th scope="row">${r.name}</th><td class="value"><span class="dot" aria-hidden="true"></span>${value}${test}</td><td class="detail">${r.detail ?? ''}${link}</td></tr>`;
}

function panelHtml(d: ServerDetail): SafeHtml {
  return html`<table class="panel" aria-label="EEMS on this server"><tbody>${d.panel.map((r) => panelRow(r, d.endpoint.canTest))}</tbody></table>
<p class="sub">Rows and wording follow HealthChecker's EEMS check (CSS-Exchange); "Last fetch without an error", the WinHTTP proxy, build currency and support are EEMS Watch's own.</p>`;
}

function auditHtml(d: ServerDetail): SafeHtml {
  if (d.mitigationsHistory.length === 0) return html`<p class="sub" data-role="no-audit">No audited change of MitigationsApplied, MitigationsBlocked or MitigationsEnabled for this server was read (Search-AdminAuditLog).</p>`;
  return html`<table class="audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Cmdlet</th><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead><tbody>
${d.mitigationsHistory.map((c) => html`<tr><td>${formatTime(c.time)}</td><td>${c.caller}</td><td>${c.cmdlet}</td><td>${c.parameter}</td><td>${c.value}</td></tr>`)}</tbody></table>`;
}

function alertItem(a: AlertView): SafeHtml {
  const state = a.state === 'resolved' ? `resolved ${a.resolvedAt ? formatTime(a.resolvedAt) : ''}` : a.acked ? `acknowledged${a.ackedBy ? ` by ${a.ackedBy}` : ''}` : 'open';
  return html`<li class="tl-alert sev-${a.severity}" data-alert="${a.id}"><span class="badge sev sev-${a.severity}">${a.severity}</span> <a href="#alert=${encodeURIComponent(a.id)}">${a.title}</a> <span class="sub">${a.kind} · ${age(a.time)} · ${state}</span></li>`;
}

function actionItem(a: ActionView): SafeHtml {
  return html`<li class="tl-action ${a.ok ? 'ok' : 'failed'}"><span class="badge ${a.ok ? 'ok' : 'sev-critical'}">${a.ok ? 'action' : 'action failed'}</span> ${a.title} <span class="sub">${age(a.time)} · ${a.message}</span></li>`;
}

function timelineHtml(d: ServerDetail): SafeHtml {
  const items = [...d.timeline.alerts.map((a) => ({ t: a.time, m: alertItem(a) })), ...d.timeline.actions.map((a) => ({ t: a.time, m: actionItem(a) }))].sort((a, b) => b.t.localeCompare(a.t));
  if (items.length === 0) return html`<p class="sub">Nothing about this server in the journal yet.</p>`;
  return html`<ul class="timeline compact">${items.slice(0, 50).map((i) => i.m)}</ul>${items.length > 50 ? html`<p class="sub">The 50 newest of ${items.length}; the Alerts view has them all.</p>` : ''}`;
}

function logRow(e: LogEntry): SafeHtml {
  return html`<tr class="lvl-${e.level}"><td>${e.time ? formatTime(e.time).replace(' UTC', '') : '-'}</td><td>${e.level}</td><td>${e.operation ?? ''}</td><td class="msg">${e.message}${e.source ? html` <span class="sub">${e.source}</span>` : ''}</td></tr>`;
}

function logHtml(d: ServerDetail): SafeHtml {
  const lines = [...d.history.logLines].reverse();
  if (lines.length === 0) return html`<p class="sub" data-role="no-log">No log line was read from this server since EEMS Watch started.${d.logNotes.length ? ` ${d.logNotes.join(' ')}` : ''}</p>`;
  const head = html`<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Level</th><th scope="col">Operation</th><th scope="col">Message</th></tr></thead>`;
  const first = lines.slice(0, LOG_LINES_SHOWN);
  const rest = lines.slice(LOG_LINES_SHOWN);
  const dropped = d.history.droppedLines ? ` ${d.history.droppedLines} older lines were read and are on the server.` : '';
  return html`<p class="sub">Newest first: the last ${countOf(lines.length, 'line')} read since ${d.history.since ? formatTime(d.history.since) : 'EEMS Watch started'}.${dropped}</p>
${d.logNotes.length ? html`<p class="note">${d.logNotes.join(' ')}</p>` : ''}
<div class="scroll-x"><table class="log">${head}<tbody>${first.map(logRow)}</tbody></table></div>
${rest.length ? html`<details><summary>${rest.length} older lines</summary><div class="scroll-x"><table class="log">${head}<tbody>${rest.map(logRow)}</tbody></table></div></details>` : ''}`;
}

function eventRow(e: EemsEvent): SafeHtml {
  return html`<tr class="lvl-${e.level}"><td>${formatTime(e.time).replace(' UTC', '')}</td><td>${e.eventId}</td><td>${e.level}</td><td>${e.provider}</td><td class="msg"><pre>${e.message}</pre></td></tr>`;
}

function eventsHtml(d: ServerDetail): SafeHtml {
  const events = [...d.history.events].reverse();
  if (events.length === 0) return html`<p class="sub" data-role="no-events">No Application event of the mitigation service was read from this server since EEMS Watch started.</p>`;
  return html`<p class="sub">Newest first: the last ${countOf(events.length, 'event')} read (MSExchange Mitigation Service, and MSExchange Common 4999 crash reports).</p>
<div class="scroll-x"><table class="log events"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">ID</th><th scope="col">Level</th><th scope="col">Source</th><th scope="col">Message</th></tr></thead><tbody>${events.map(eventRow)}</tbody></table></div>`;
}

/** The page's head: name, build, status, and the buttons that act on the server. */
function headHtml(d: ServerDetail): SafeHtml {
  const s = d.server;
  const plans = d.plans.map((p, i) => html`<button type="button" class="${p.method === 'planRemoval' ? 'primary' : ''}" data-act="plan" data-plan-index="${i}" data-plan="${p.method}" data-mitigation="${p.input.mitigation ?? ''}" title="${p.why}">${p.label}</button>`);
  return html`<p class="crumbs"><a href="#servers">Servers</a> › ${s.name}</p>
<h2 class="server-title">${s.name} <span class="badge status s-${s.status}" data-role="server-status">${s.status}</span> <span class="sub">${s.fqdn ?? ''}</span></h2>
<p class="sub">${s.build.label}${s.build.version ? ` (${s.build.version}, from ${s.build.source})` : ''} · read ${age(s.collectedAt)} · last cycle ${age(s.lastCycleAt)}${d.polling.failures ? html` · <span class="bad">${d.polling.failures} failed reads in a row, next try ${d.polling.retryAt ? formatTime(d.polling.retryAt) : 'soon'}</span>` : ''}</p>
<div class="page-actions"><button type="button" data-act="poll">Poll ${s.name} now</button> ${plans}</div>`;
}

/** The whole page. */
export function serverPageHtml(d: ServerDetail): SafeHtml {
  const issues = d.server.issues ?? [];
  return html`${headHtml(d)}
<section class="page-section" data-section="issues"><h3>What needs doing</h3>${issues.length ? html`<ul class="issues">${issues.map(issueItem)}</ul>` : html`<p class="fine" data-role="nothing-to-do">Nothing: EEMS works on this server and no mitigation waits for you.</p>`}</section>
<section class="page-section" data-section="eems"><h3>EEMS on this server</h3>${panelHtml(d)}</section>
<section class="page-section" data-section="mitigations"><h3>Mitigations</h3>${d.server.mitigations.length ? d.server.mitigations.map(mitigationDetailHtml) : html`<p class="sub">No mitigation is applied, blocked or left behind on this server.</p>`}</section>
<section class="page-section" data-section="audit"><h3>Changes to its Mitigations* settings</h3>${auditHtml(d)}</section>
<section class="page-section" data-section="timeline"><h3>Timeline</h3>${timelineHtml(d)}</section>
<section class="page-section" data-section="log"><h3>Recent Mitigation Service log lines</h3>${logHtml(d)}</section>
<section class="page-section" data-section="events"><h3>Recent events</h3>${eventsHtml(d)}</section>`;
}
