/**
 * The app shell: picks the API bridge, routes between views by the URL hash (#servers,
 * #alert=<id>, ...), shows poll progress and overall status in the header, applies the theme
 * (system light/dark, or the admin's choice), and forwards pushed events to the views.
 */
import { forwardErrorsToAppLog, getBridge } from './api-client.js';
import { age, byId, html, refreshAges, setHtml, setServerNow } from './dom.js';
import type { AppContext, View } from './app-context.js';
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ApiResult, Overview } from './types.js';
import { parseRoute } from './router.js';
import { serversView } from './views/servers.js';
import { serverPage } from './views/server-page.js';
import { alertsView } from './views/alerts.js';
import { heartbeatView } from './views/heartbeat.js';
import { diagnosticsView } from './views/diagnostics.js';
import { settingsView } from './views/settings.js';
import { exportView } from './views/export.js';
import { createPlanDialog } from './views/plan-dialog.js';

const VIEWS: View[] = [serversView, serverPage, alertsView, heartbeatView, diagnosticsView, settingsView, exportView];
const THEME_KEY = 'eems-watch-theme';

function applyTheme(theme: string | null): void {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function effectiveTheme(): 'light' | 'dark' {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function parseHash(): { view: View; param: string | null } {
  const route = parseRoute(location.hash, VIEWS.map((v) => v.name), VIEWS[0]!.name);
  return { view: VIEWS.find((v) => v.name === route.view) ?? VIEWS[0]!, param: route.param };
}

/** Views that are a page of another in the navigation (a server's page belongs to Servers). */
const NAV_PARENT: Record<string, string> = { server: 'servers' };

/** Where a `#view=<section>` link lands: the section of that name (the organization block of Diagnostics). */
function sectionOf(root: HTMLElement, param: string): HTMLElement | null {
  const safe = param.replace(/["\\]/g, '');
  return root.querySelector<HTMLElement>(`[data-section="${safe}"]`) ?? (safe === 'organization' ? root.querySelector<HTMLElement>('[data-role="org-state"]') : null);
}

function boot(): void {
  forwardErrorsToAppLog();
  const api = getBridge();
  const main = byId('views');
  const messages = byId('messages');
  const sections = new Map<string, HTMLElement>();
  let currentView: View | null = null;
  let polling = false;
  let lastOverview: Overview | null = null;
  let lastOverviewAt = 0;
  let overviewInFlight: Promise<Overview | null> | null = null;
  const rendering = new Map<string, Promise<void>>();
  const pending = new Set<string>();

  const notify = (message: string, kind: 'info' | 'error' = 'info'): void => {
    const item = document.createElement('div');
    item.className = `message ${kind}`;
    item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    item.textContent = message;
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => item.remove());
    item.append(' ', close);
    messages.append(item);
    if (kind === 'info') setTimeout(() => item.remove(), 6000);
  };

  const drawHeader = (): void => {
    const o = lastOverview;
    // Before the first answer nothing is known: say so rather than "never" or a wrong status.
    const idle = o ? html`<span data-role="idle">Last poll ${age(o.lastPollAt)}</span>` : html`<span data-role="loading">Reading state…</span>`;
    setHtml(byId('poll-state'), html`${polling ? html`<span class="spinner" aria-hidden="true"></span> <span data-role="polling">Polling servers…</span>` : idle}
${o ? html` <span class="badge status s-${o.status}" data-role="overall">${o.status}</span>` : ''}`);
    byId('poll-state').setAttribute('aria-busy', String(polling));
    byId<HTMLButtonElement>('poll-now').disabled = polling;
  };

  const call = async <M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M> | null> => {
    const result = await api.call(method, input);
    if (result.ok) return result.value;
    notify(result.error.message, 'error');
    return null;
  };

  const callByName = async (method: string, input: Record<string, unknown>): Promise<ApiResult<unknown>> =>
    // The server checks the name and the input against its own schemas (an unknown method is an error result).
    (api.call as (m: string, i: Record<string, unknown>) => Promise<ApiResult<unknown>>)(method, input);

  const render = async (view: View, param: string | null): Promise<void> => {
    const root = sections.get(view.name)!;
    root.setAttribute('aria-busy', 'true');
    try {
      await view.render(ctx, root, param);
    } catch (error) {
      notify(`The ${view.title} view failed: ${(error as Error).message}`, 'error');
    } finally {
      root.setAttribute('aria-busy', 'false');
      root.dataset.rendered = String(Date.now());
    }
  };

  /** Render now, or once more after the render in flight (events can come in bursts). */
  const rerender = (name: string): void => {
    if (!currentView || currentView.name !== name) return;
    if (rendering.has(name)) {
      pending.add(name);
      return;
    }
    const view = currentView;
    const run = render(view, null).finally(() => {
      rendering.delete(name);
      if (pending.delete(name)) rerender(name);
    });
    rendering.set(name, run);
  };

  const ctx: AppContext = {
    api,
    call,
    notify,
    rerender,
    callByName,
    async loadOverview(maxAgeMs) {
      if (maxAgeMs !== undefined && lastOverview && Date.now() - lastOverviewAt <= maxAgeMs) return lastOverview;
      if (maxAgeMs !== undefined && overviewInFlight) return overviewInFlight;
      const run = call('getOverview', {}).then((overview) => {
        if (overview) {
          lastOverview = overview;
          lastOverviewAt = Date.now();
          polling = overview.polling;
          setServerNow(overview.generatedAt);
          drawHeader();
        }
        return overview;
      });
      overviewInFlight = run;
      void run.finally(() => {
        if (overviewInFlight === run) overviewInFlight = null;
      });
      return run;
    },
    async openPlan(method, input) {
      const result = await callByName(method, input);
      if (!result.ok) notify(result.error.message, 'error');
      else planDialog.open(result.value as Parameters<typeof planDialog.open>[0]);
    },
    async openRemoval(server, mitigation) {
      const plan = await call('planRemoval', { server, mitigation });
      if (plan) planDialog.open(plan);
    },
    async openOrgReenable() {
      const plan = await call('planOrgReenable', {});
      if (plan) planDialog.open(plan);
    },
  };
  const planDialog = createPlanDialog(ctx);

  for (const view of VIEWS) {
    const section = document.createElement('section');
    section.id = `view-${view.name}`;
    section.className = 'view';
    section.hidden = true;
    section.tabIndex = -1;
    section.setAttribute('aria-label', view.title);
    main.append(section);
    sections.set(view.name, section);
    view.bind?.(ctx, section);
  }

  const route = (): void => {
    const { view, param } = parseHash();
    currentView = view;
    for (const [name, section] of sections) section.hidden = name !== view.name;
    const navName = NAV_PARENT[view.name] ?? view.name;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
      if (link.dataset.view === navName) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${view.title} · EEMS Watch`;
    // A new view starts at its top (not where the last one was scrolled to).
    window.scrollTo(0, 0);
    const root = sections.get(view.name)!;
    void render(view, param).then(() => {
      if (currentView !== view) return;
      const target = param && view.name !== 'server' && view.name !== 'alerts' ? sectionOf(root, param) : null;
      if (target) {
        target.scrollIntoView({ block: 'start' });
        target.classList.add('landed');
      } else if (view.onShow) view.onShow(root, param);
      else root.focus({ preventScroll: true });
    });
  };

  api.subscribe((event: ApiEvent) => {
    if (event.type === 'poll-progress') {
      polling = event.polling;
      drawHeader();
    } else if (event.type === 'open-alert') {
      location.hash = `#alert=${encodeURIComponent(event.alertId)}`;
    } else if (event.type === 'plan-progress') {
      planDialog.onEvent(event);
    }
    if (event.type === 'state-changed' && currentView?.name !== 'servers') void ctx.loadOverview();
    if (currentView) currentView.onEvent?.(ctx, sections.get(currentView.name)!, event);
  });

  byId('poll-now').addEventListener('click', () => {
    polling = true;
    drawHeader();
    void call('pollNow', {}).then((result) => {
      if (result) notify(`Poll finished: ${result.status}.`);
      void ctx.loadOverview();
    });
  });
  applyTheme(localStorage.getItem(THEME_KEY));
  byId('theme-toggle').addEventListener('click', () => {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
  window.addEventListener('hashchange', route);
  setInterval(() => refreshAges(), 30_000);
  drawHeader();
  // The header's status and the first view come from one overview: no flash of a wrong status.
  void ctx.loadOverview().finally(route);
  document.documentElement.dataset.ready = 'true';
}

boot();
