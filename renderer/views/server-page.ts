/**
 * One server's page, `#server=<name>`: everything about that server in one place (see
 * server-page-html.ts), with its one-click plans, "Poll now" for this server, and "Test from the
 * server" (the server itself asks the mitigation endpoint) where the API offers it.
 */
import { html, setHtml, setServerNow } from '../dom.js';
import type { AppContext, View } from '../app-context.js';
import type { ServerDetail } from '../types.js';
import { serverPageHtml } from './server-page-html.js';

let current: { name: string; detail: ServerDetail } | null = null;
/** Ask the server itself; the API keeps the answer, so the page (and a reload) shows it. */
async function testEndpoint(ctx: AppContext, button: HTMLButtonElement, server: string): Promise<void> {
  button.disabled = true;
  button.textContent = `Asking ${server}…`;
  const result = await ctx.call('testEndpoint', { server });
  if (result) {
    ctx.notify(result.reachable ? `${server} reaches the mitigation endpoint.` : `${server} cannot reach the mitigation endpoint: ${result.diagnosis?.title ?? result.error ?? 'no answer'}.`, result.reachable ? 'info' : 'error');
    ctx.rerender('server');
  } else {
    button.disabled = false;
    button.textContent = 'Test from the server';
  }
}

/** The per-server page. */
export const serverPage: View = {
  name: 'server',
  title: 'Server',
  async render(ctx, root, param) {
    const name = param ?? current?.name ?? null;
    if (!name) {
      setHtml(root, html`<h2>Server</h2><p class="empty">No server named. Pick one in the <a href="#servers">Servers view</a>.</p>`);
      return;
    }
    const result = await ctx.api.call('getServer', { server: name });
    if (!result.ok) {
      current = null;
      setHtml(root, html`<p class="crumbs"><a href="#servers">Servers</a></p><h2>${name}</h2><p class="error-text" data-role="not-found">${result.error.message}</p>`);
      return;
    }
    current = { name: result.value.server.name, detail: result.value };
    setServerNow(result.value.generatedAt);
    document.title = `${current.name} · EEMS Watch`;
    setHtml(root, serverPageHtml(result.value));
  },
  bind(ctx, root) {
    root.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-act]');
      if (!button || !current) return;
      const { detail, name } = current;
      const act = button.dataset.act;
      if (act === 'plan') {
        const offer = detail.plans[Number(button.dataset.planIndex)];
        if (offer) void ctx.openPlan(offer.method, offer.input);
      } else if (act === 'issue-plan') {
        const action = detail.server.issues?.[Number(button.dataset.issueIndex)]?.action;
        if (action?.kind === 'plan' && action.method) void ctx.openPlan(action.method, action.input ?? {});
      } else if (act === 'poll') {
        button.disabled = true;
        void ctx.call('pollNow', { server: name }).then((r) => {
          if (r) ctx.notify(`${name} was read again.`);
          ctx.rerender('server');
        });
      } else if (act === 'test-endpoint') void testEndpoint(ctx, button, name);
    });
  },
  onEvent(ctx, _root, event) {
    if (event.type === 'state-changed' || event.type === 'alerts-changed') ctx.rerender('server');
  },
};
