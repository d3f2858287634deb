/**
 * The Servers view, for 6 servers or 500: problems first, the same problem on many servers as one
 * line, one compact row per server, details on demand. A search box (focused on arrival, and by
 * "/" anywhere) filters as you type; Enter opens the first match's page. The controls are built
 * once, so a re-render after a poll keeps what the admin typed, opened and chose.
 */
import { countOf, html, setHtml } from '../dom.js';
import type { AppContext, View } from '../app-context.js';
import type { Overview, ServerView, Verdict } from '../types.js';
import { NO_FILTER, describeFilter, matches, searchText, sortServers, type AttentionFilter, type ServerFilter, type SortKey } from './servers-model.js';
import { detailRowHtml, serversTableHtml, summaryHtml } from './servers-table.js';

interface ViewState {
  filter: ServerFilter;
  sort: SortKey;
  expanded: Set<string>;
  overview: Overview | null;
  /** Rows in table order, with their search text. */
  rows: { server: ServerView; text: string }[];
}

const state: ViewState = { filter: { ...NO_FILTER }, sort: 'problems', expanded: new Set(), overview: null, rows: [] };

const SKELETON = html`<h2>Servers</h2><div data-role="summary"></div>
<div class="controls" role="search"><label class="search"><span class="label">Find</span> <input type="search" id="server-search" data-role="search" placeholder="server, build, mitigation or problem (press /)" autocomplete="off" spellcheck="false" aria-keyshortcuts="/"></label>
<label>Show <select data-role="attention"><option value="all">all servers</option><option value="action">need action</option><option value="watch">to watch</option><option value="fine">fine</option></select></label>
<label>Sort <select data-role="sort"><option value="problems">problems first</option><option value="name">by name</option><option value="build">by build</option><option value="cycle">by last cycle (oldest first)</option></select></label>
<span class="shown" data-role="shown" role="status" aria-live="polite"></span> <button type="button" data-act="clear" hidden>Show all</button></div>
<div data-role="table"></div>`;

const part = (root: HTMLElement, role: string) => root.querySelector<HTMLElement>(`[data-role="${role}"]`);

function issueTitle(key: string | null): string | null {
  return state.overview?.counts?.groups.find((g) => g.key === key)?.title ?? null;
}

/** Show and hide rows for the filter (no re-render: 500 rows toggle in one pass). */
function applyFilter(root: HTMLElement): void {
  const table = part(root, 'table');
  if (!table) return;
  const trs = table.querySelectorAll<HTMLTableRowElement>('tr.srv');
  let shown = 0;
  let first: string | null = null;
  state.rows.forEach((r, i) => {
    const visible = matches(r.server, r.text, state.filter);
    const tr = trs[i];
    if (!tr) return;
    tr.hidden = !visible;
    const detail = tr.nextElementSibling as HTMLElement | null;
    if (detail?.classList.contains('detail')) detail.hidden = !visible;
    if (visible) {
      shown += 1;
      first ??= r.server.name;
    }
  });
  const total = state.rows.length;
  const words = describeFilter(state.filter, issueTitle(state.filter.issue));
  const out = part(root, 'shown');
  if (out) out.textContent = shown === total ? countOf(total, 'server') : `${shown} of ${countOf(total, 'server')}${words ? ` ${words}` : ''}`;
  root.querySelector<HTMLButtonElement>('button[data-act="clear"]')!.hidden = shown === total && !words;
  table.dataset.first = first ?? '';
  let empty = table.querySelector<HTMLElement>('p.no-match');
  if (shown === 0 && total > 0) {
    if (!empty) {
      empty = document.createElement('p');
      empty.className = 'no-match empty';
      table.append(empty);
    }
    empty.textContent = `No server ${words || 'matches'}. Press Escape in the search box, or "Show all".`;
  } else empty?.remove();
  for (const chip of root.querySelectorAll<HTMLButtonElement>('button[data-act="verdict"]')) chip.setAttribute('aria-pressed', String(chip.dataset.verdict === state.filter.verdict));
}

function drawTable(root: HTMLElement): void {
  const o = state.overview;
  const table = part(root, 'table');
  if (!o || !table) return;
  const sorted = sortServers(o.servers, state.sort);
  state.rows = sorted.map((server) => ({ server, text: searchText(server) }));
  if (o.servers.length === 0) setHtml(table, html`<p class="empty">No servers yet. Add them under <a href="#settings">Settings</a>.</p>`);
  else setHtml(table, serversTableHtml(sorted, state.expanded));
  applyFilter(root);
}

function setFilter(root: HTMLElement, next: Partial<ServerFilter>): void {
  state.filter = { ...state.filter, ...next };
  const select = part(root, 'attention') as HTMLSelectElement | null;
  if (select) select.value = state.filter.attention;
  const search = part(root, 'search') as HTMLInputElement | null;
  if (search && search.value !== state.filter.query) search.value = state.filter.query;
  applyFilter(root);
}

function toggleDetails(button: HTMLButtonElement): void {
  const tr = button.closest<HTMLTableRowElement>('tr.srv');
  const name = tr?.dataset.server;
  const server = state.rows.find((r) => r.server.name === name)?.server;
  if (!tr || !name || !server) return;
  const open = state.expanded.has(name);
  if (open) {
    state.expanded.delete(name);
    if (tr.nextElementSibling?.classList.contains('detail')) tr.nextElementSibling.remove();
  } else {
    state.expanded.add(name);
    tr.insertAdjacentHTML('afterend', detailRowHtml(server).value);
  }
  button.setAttribute('aria-expanded', String(!open));
}

function onClick(ctx: AppContext, root: HTMLElement, event: Event): void {
  const button = (event.target as Element).closest<HTMLButtonElement>('button[data-act]');
  if (!button) return;
  const act = button.dataset.act;
  if (act === 'expand') toggleDetails(button);
  else if (act === 'show-issue') {
    setFilter(root, { issue: button.dataset.issue ?? null, attention: 'all', verdict: null });
    part(root, 'table')?.scrollIntoView({ block: 'start' });
  } else if (act === 'verdict') {
    const v = button.dataset.verdict as Verdict | undefined;
    setFilter(root, { verdict: v && state.filter.verdict !== v ? v : null });
  } else if (act === 'clear') setFilter(root, { ...NO_FILTER });
  else if (act === 'issue-plan') {
    const server = state.rows.find((r) => r.server.name === button.dataset.server)?.server;
    const action = server?.issues?.[Number(button.dataset.issueIndex)]?.action;
    if (action?.kind === 'plan' && action.method) void ctx.openPlan(action.method, action.input ?? {});
  }
}

function onKey(root: HTMLElement, event: KeyboardEvent): void {
  const input = event.target as HTMLInputElement;
  if (input.dataset.role !== 'search') return;
  if (event.key === 'Escape' && input.value !== '') {
    event.preventDefault();
    setFilter(root, { query: '' });
  } else if (event.key === 'Enter') {
    const first = part(root, 'table')?.dataset.first;
    if (first) location.hash = `#server=${encodeURIComponent(first)}`;
  }
}

/** The Servers view. */
export const serversView: View = {
  name: 'servers',
  title: 'Servers',
  async render(ctx: AppContext, root: HTMLElement) {
    if (!part(root, 'table')) setHtml(root, SKELETON);
    // The shell fetched the overview for the header a moment ago: reuse it on arrival.
    const overview = await ctx.loadOverview(2000);
    if (!overview) return;
    state.overview = overview;
    setHtml(part(root, 'summary')!, summaryHtml(overview));
    drawTable(root);
  },
  bind(ctx: AppContext, root: HTMLElement) {
    root.addEventListener('click', (event) => onClick(ctx, root, event));
    root.addEventListener('keydown', (event) => onKey(root, event));
    root.addEventListener('input', (event) => {
      const input = event.target as HTMLInputElement;
      if (input.dataset.role === 'search') setFilter(root, { query: input.value });
    });
    root.addEventListener('change', (event) => {
      const select = event.target as HTMLSelectElement;
      if (select.dataset.role === 'attention') setFilter(root, { attention: select.value as AttentionFilter });
      if (select.dataset.role === 'sort') {
        state.sort = select.value as SortKey;
        drawTable(root);
      }
    });
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed' || event.type === 'alerts-changed') ctx.rerender('servers');
  },
  onShow(root) {
    part(root, 'search')?.focus({ preventScroll: true });
  },
};
