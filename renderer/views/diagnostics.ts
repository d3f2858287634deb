/**
 * The Diagnostics view: per server the last fetch error with its diagnosis and fix; the
 * verify-feed result of an imported definitions file; the organization's MitigationsEnabled with
 * who changed it and when, and a one-click (confirmed) re-enable; the knowledge in force (version,
 * date, source), a warning when it is behind a watched server's build, and why an update was refused;
 * first of all, damaged data files that were moved aside or skipped.
 */
import { age, formatTime, html, safeHref, setHtml } from '../dom.js';
import type { View } from '../app-context.js';
import type { ApiOutput, DiagnosticsView, FeedVerificationView } from '../types.js';

type KnowledgeView = ApiOutput<'getKnowledge'>;

function knowledgeBlock(k: KnowledgeView | null): ReturnType<typeof html> {
  if (!k) return html`<p class="sub">The knowledge in force could not be read.</p>`;
  const from = k.source === 'built-in' ? 'built into this version of EEMS Watch' : html`a knowledge update from <code>${k.location ?? ''}</code>`;
  return html`<p data-role="knowledge" data-source="${k.source}">Knowledge <strong data-role="knowledge-version">${k.version}</strong> of <span data-role="knowledge-date">${k.date}</span>, ${from} (loaded ${formatTime(k.loadedAt)}).</p>
${k.warning ? html`<p class="warning" data-role="knowledge-warning">${k.warning}</p>` : ''}
${k.lastError ? html`<p class="error-text" data-role="knowledge-error">${k.lastError}</p>` : ''}
<p class="sub">A knowledge update is set in the settings file on disk (knowledgeUrl or knowledgeOverrideFile), never from this window.</p>`;
}

function serversBlock(view: DiagnosticsView): ReturnType<typeof html> {
  const failing = view.servers.filter((s) => s.error || s.lastFetchError);
  if (failing.length === 0) return html`<p class="empty" data-role="no-errors">No server reports a fetch error.</p>`;
  return html`${failing.map((s) => {
    const d = s.lastFetchError?.diagnosis ?? null;
    return html`<article class="diag" data-server="${s.name}"><h4>${s.name}</h4>
${s.error ? html`<p><strong>Could not read the server:</strong> ${s.error}</p>` : ''}
${s.lastFetchError ? html`<p class="sub">Last failed fetch ${age(s.lastFetchError.at)}${s.lastFetchError.ongoing ? ' (still failing)' : ' (fetches work again since)'}</p><pre class="error-text">${s.lastFetchError.message}</pre>` : ''}
${d ? html`<div class="diagnosis" data-code="${d.code}"><strong>${d.title}</strong><p>${d.explanation}</p><p class="label">Fix:</p><ol>${d.fix.map((f) => html`<li>${f}</li>`)}</ol>${d.links.length ? html`<p>${d.links.map((l) => html`<a href="${safeHref(l)}" rel="noreferrer noopener" target="_blank">${l}</a> `)}</p>` : ''}</div>` : ''}</article>`;
  })}`;
}

function orgBlock(view: DiagnosticsView): ReturnType<typeof html> {
  const enabled = view.organization.MitigationsEnabled;
  const words = enabled === null ? 'unknown' : enabled ? 'True' : 'False';
  const drift = view.organization.drift;
  return html`<p data-role="org-state" data-enabled="${words}">Organization MitigationsEnabled: <strong>${words}</strong></p>
${enabled === false ? html`<p>EEMS applies nothing on any server while this is False. <button type="button" class="primary" data-act="reenable">Re-enable organization mitigations…</button></p>` : ''}
${drift.length ? html`<table class="drift"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Cmdlet</th><th scope="col">Object</th><th scope="col">Change</th></tr></thead><tbody>
${drift.map((e) => html`<tr><td>${formatTime(e.RunDate)}</td><td>${e.Caller}</td><td>${e.CmdletName}</td><td>${e.ObjectModified}</td><td>${Object.entries(e.Parameters).map(([k, v]) => `${k}=${v}`).join(', ')}</td></tr>`)}</tbody></table>` : html`<p class="sub">No audited changes of Mitigations* settings were read.</p>`}`;
}

/** Damaged data files EEMS Watch set aside or skipped (issue 14.7): first, since something was lost or reset. */
function dataFilesBlock(view: DiagnosticsView): ReturnType<typeof html> | string {
  const notes = view.dataNotes ?? [];
  if (notes.length === 0) return '';
  return html`<section data-section="data-files" data-role="data-notes"><h3>Data files</h3>
<p>EEMS Watch found damaged data files. It kept running: what could not be read was moved aside or skipped, as each note says.</p>
<ul>${notes.map((n) => html`<li class="warning">${n}</li>`)}</ul>
<p class="sub">The notes stay until EEMS Watch restarts. A moved-aside file is kept next to the original for support.</p></section>`;
}

const ids = (items: { id: string }[]): string => (items.length > 0 ? items.map((i) => i.id).join(', ') : '—');

function feedBlock(result: FeedVerificationView): ReturnType<typeof html> {
  return html`<div class="feed-result" data-verdict="${result.verdict}"><p><span class="badge ${result.verdict === 'valid' ? 'ok' : 'sev-critical'}">${result.verdict}</span> signature ${result.signatureValid ? 'valid' : 'NOT valid'} · checked ${formatTime(result.checkedAt)}</p>
${result.reasons.length ? html`<ul>${result.reasons.map((r) => html`<li><code>${r.code}</code> ${r.message}</li>`)}</ul>` : ''}
${result.chain.length ? html`<p class="label">Certificate chain</p><ol>${result.chain.map((c) => html`<li>${c.subject} <span class="sub">(valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)})</span></li>`)}</ol>` : ''}
${result.configs.length ? html`<p class="label">Mitigations in the file</p><ul>${result.configs.map((c) => html`<li><strong>${c.id}</strong> ${c.desc} <span class="sub">${c.actions.map((a) => `${a.type}/${a.scope}`).join(', ')}</span></li>`)}</ul>` : ''}
${result.servers.length ? html`<p class="label">Compared with your servers</p><table class="feed-compare"><thead><tr><th scope="col">Server</th><th scope="col">Published, not applied</th><th scope="col">Blocked</th><th scope="col">Applied, no longer published</th></tr></thead><tbody>
${result.servers.map((s) => html`<tr data-server="${s.server}"><td>${s.server}</td>${s.error ? html`<td colspan="3">not compared: ${s.error}</td>` : html`<td>${ids(s.missing)}</td><td>${ids(s.blocked)}</td><td>${ids(s.noLongerPublished)}</td>`}</tr>`)}</tbody></table>` : ''}</div>`;
}

let lastFeed: FeedVerificationView | null = null;

/** The Diagnostics view. */
export const diagnosticsView: View = {
  name: 'diagnostics',
  title: 'Diagnostics',
  async render(ctx, root) {
    const view = await ctx.call('getDiagnostics', {});
    if (!view) return;
    const knowledge = await ctx.call('getKnowledge', {});
    setHtml(root, html`<h2>Diagnostics</h2>
${dataFilesBlock(view)}
<section><h3>Fetch errors</h3>${serversBlock(view)}</section>
<section><h3>Organization settings</h3>${orgBlock(view)}</section>
<section><h3>Knowledge</h3>${knowledgeBlock(knowledge ?? null)}</section>
<section><h3>Check a definitions file</h3><p>Import a mitigation definitions XML (for example one saved from the endpoint) to check its signature as EEMS would.</p>
<label>Definitions XML <input type="file" accept=".xml,text/xml,application/xml" data-role="feed-file"></label><div data-role="feed-result" aria-live="polite">${lastFeed ? feedBlock(lastFeed) : ''}</div></section>`);
  },
  bind(ctx, root) {
    root.addEventListener('click', (event) => {
      if ((event.target as Element).closest('button[data-act="reenable"]')) void ctx.openOrgReenable();
    });
    root.addEventListener('change', (event) => {
      const input = event.target as HTMLInputElement;
      if (input.dataset.role !== 'feed-file' || !input.files?.[0]) return;
      const out = root.querySelector<HTMLElement>('[data-role="feed-result"]');
      void input.files[0].text().then(async (xml) => {
        const result = await ctx.call('verifyFeed', { xml });
        if (!result) return;
        lastFeed = result;
        if (out) setHtml(out, feedBlock(result));
      });
    });
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed') ctx.rerender('diagnostics');
  },
};
