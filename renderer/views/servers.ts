/**
 * The Servers view: one row per server (named build, EEMS at org and server, service, last
 * cycle, status) and one line per mitigation (verdict, what it protects against, what users
 * lose). The whole table is one innerHTML of escaped markup: 500 servers render in one pass.
 */
import type { MitigationView, Overview, ServerView, Verdict } from '../types.js';
import { age, html, setHtml, type SafeHtml } from '../dom.js';
import type { AppContext, View } from '../app-context.js';

const VERDICT_LABEL: Record<Verdict, string> = {
  active: 'active',
  'stale-applied': 'stale: fix installed',
  'orphan-artefact': 'orphaned artefact',
  'orphan-unfixed': 'orphaned, NOT fixed',
  blocked: 'blocked',
  heartbeat: 'heartbeat',
};

const EFFECTIVE_LABEL: Record<ServerView['effective'], string> = {
  enabled: 'enabled',
  'disabled-org': 'disabled at org level',
  'disabled-server': 'disabled on this server',
  disabled: 'disabled',
  unknown: 'unknown',
};

function onOff(value: boolean | null): string {
  return value === null ? '?' : value ? 'on' : 'off';
}

function mitigationRow(server: ServerView, m: MitigationView): SafeHtml {
  const remove = m.removable
    ? html`<button type="button" class="remove" data-action="remove" data-server="${server.name}" data-mitigation="${m.id}">Remove…</button>`
    : '';
  return html`<div class="mit-row" role="row" data-server="${server.name}" data-mitigation="${m.id}" data-verdict="${m.verdict}">
<div role="cell" class="mit-id">${m.id}${m.cve ? html` <span class="cve">${m.cve}</span>` : ''}</div>
<div role="cell"><span class="badge verdict v-${m.verdict}">${VERDICT_LABEL[m.verdict] ?? m.verdict}</span></div>
<div role="cell" class="mit-text">${m.title ? html`<b>${m.title}.</b> ` : ''}<b>Protects against:</b> ${m.protectsAgainst ?? 'not in the knowledge base'}<br><b>Users lose while on:</b> ${m.userImpact ?? 'not in the knowledge base'}<br><span class="reason">${m.reason}</span></div>
<div role="cell" class="mit-action">${remove}</div></div>`;
}

function serverRows(server: ServerView): SafeHtml {
  const service = server.service ? `${server.service.Status} (${server.service.StartType})` : 'not read';
  const error = server.error
    ? html`<div class="error-row" role="row" data-server="${server.name}"><div role="cell"><strong>Could not read this server:</strong> ${server.error}</div></div>`
    : server.lastFetchError
      ? html`<div class="error-row fetch" role="row" data-server="${server.name}"><div role="cell"><strong>Last fetch failed</strong> ${age(server.lastFetchError.at)}: ${server.lastFetchError.diagnosis?.title ?? server.lastFetchError.message} <a href="#diagnostics">Diagnosis and fix</a></div></div>`
      : '';
  const build = `${server.build.version ?? 'build unknown'}${server.build.source === 'none' ? '' : ` (${server.build.source})`}`;
  return html`<div class="srv status-${server.status}" role="rowgroup" data-server="${server.name}"><div class="server-row" role="row" data-server="${server.name}">
<div role="rowheader"><span class="server-name">${server.name}</span><br><span class="sub">${server.fqdn ?? ''}</span></div>
<div role="cell"><span class="build">${server.build.short}</span><br><span class="sub">${build}${server.build.note ? html` <span class="note">${server.build.note}</span>` : ''}</span></div>
<div role="cell"><span class="eems-${server.effective}">${EFFECTIVE_LABEL[server.effective]}</span><br><span class="sub">server ${onOff(server.mitigationsEnabled)}</span></div>
<div role="cell">${service}</div>
<div role="cell">${age(server.lastCycleAt)}</div>
<div role="cell"><span class="badge status s-${server.status}">${server.status}</span> ${server.statusText}<br><span class="sub">read ${age(server.collectedAt)}</span></div>
</div>${error}${server.mitigations.map((m) => mitigationRow(server, m))}</div>`;
}

/**
 * The servers table as markup (also used by the rendering benchmark). A grid of row groups, not
 * a <table>: each server's block skips layout while off screen (content-visibility), which a
 * table's internal boxes cannot do; the ARIA table roles keep it a table for screen readers.
 */
export function serversTableHtml(overview: Pick<Overview, 'servers'>): SafeHtml {
  return html`<div class="servers" role="table" aria-label="Servers and their mitigations">
<div class="srv-head" role="row"><span role="columnheader">Server</span><span role="columnheader">Build</span><span role="columnheader">EEMS</span><span role="columnheader">Service</span><span role="columnheader">Last cycle</span><span role="columnheader">Status</span></div>
${overview.servers.map(serverRows)}</div>`;
}

function summary(overview: Overview): SafeHtml {
  const org = overview.organization.MitigationsEnabled;
  const orgText = org === null ? 'unknown' : org ? 'enabled' : 'DISABLED';
  return html`<div class="summary"><span class="badge status s-${overview.status}" data-overall="${overview.status}">${overview.status}</span>
<span>${overview.servers.length} servers</span>
<span class="org org-${orgText.toLowerCase()}">Organization MitigationsEnabled: <strong>${orgText}</strong>${org === false ? html` <a href="#diagnostics">Re-enable…</a>` : ''}</span>
<span>state read ${age(overview.collectedAt)}</span>
<span>${overview.openAlerts} open alerts</span></div>`;
}

/** The Servers view. */
export const serversView: View = {
  name: 'servers',
  title: 'Servers',
  async render(ctx: AppContext, root: HTMLElement) {
    const overview = await ctx.loadOverview();
    if (!overview) return;
    setHtml(root, html`<h2>Servers</h2>${summary(overview)}${overview.servers.length === 0 ? html`<p class="empty">No servers yet. Add them under <a href="#settings">Settings</a>.</p>` : serversTableHtml(overview)}`);
  },
  bind(ctx: AppContext, root: HTMLElement) {
    root.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action="remove"]');
      if (!button) return;
      void ctx.openRemoval(button.dataset.server ?? '', button.dataset.mitigation ?? '');
    });
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed') ctx.rerender('servers');
  },
};
