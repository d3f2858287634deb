/**
 * The app shell: picks the API bridge, routes between views by the URL hash (#servers,
 * #alert=<id>, ...), shows poll progress and overall status in the header, applies the theme
 * (system light/dark, or the admin's choice), and forwards pushed events to the views.
 */
import { forwardErrorsToAppLog, getBridge } from './api-client.js';
import { age, byId, html, refreshAges, setHtml, setServerNow } from './dom.js';
import type { AppContext, View } from './app-context.js';
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, Overview } from './types.js';
import { serversView } from './views/servers.js';
import { alertsView } from './views/alerts.js';
import { heartbeatView } from './views/heartbeat.js';
import { diagnosticsView } from './views/diagnostics.js';
import { settingsView } from './views/settings.js';
import { exportView } from './views/export.js';
import { createPlanDialog } from './views/plan-dialog.js';

const VIEWS: View[] = [serversView, alertsView, heartbeatView, diagnosticsView, settingsView, exportView];
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
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [name = '', param = null] = hash.startsWith('alert=') ? ['alerts', hash.slice('alert='.length)] : [hash, null];
  return { view: VIEWS.find((v) => v.name === name) ?? VIEWS[0]!, param };
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
    setHtml(byId('poll-state'), html`${polling ? html`<span class="spinner" aria-hidden="true"></span> <span data-role="polling">Polling servers…</span>` : html`<span data-role="idle">Last poll ${age(o?.lastPollAt ?? null)}</span>`}
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
    async loadOverview() {
      const overview = await call('getOverview', {});
      if (overview) {
        lastOverview = overview;
        polling = overview.polling;
        setServerNow(overview.generatedAt);
        drawHeader();
      }
      return overview;
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
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
      if (link.dataset.view === view.name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${view.title} · EEMS Watch`;
    void render(view, param);
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
  route();
  document.documentElement.dataset.ready = 'true';
}

boot();
