/**
 * The Servers view in Chromium (issue 13, bench point): 500 servers x 3 mitigations, taken from the
 * engine's own overview of a 500-server lab (the real issues, groups and counts; each server's
 * mitigations padded to three), in the same page with the app's stylesheet:
 *  - time to first render through the real view module (its render and layout) against the same
 *    rows as a plain, pre-built static table (goal: at most 1.5x);
 *  - time to filter to one server by typing its name in the view's search box (the view's own input
 *    handler) against hiding the rows of that static table by a text match (goal: at most 1.5x);
 * then the real app at 1280x800 over the headless server on that lab: the page height in screens
 * (printed) and where the problems end (goal: the "needs attention" list and the first server that
 * needs action on the first screen), and the longest main-thread task and the worst frame gap while
 * a poll runs and the view re-renders.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { infoEntry, limitEntry, ratioEntry, type BenchEntry } from './bench-kit.js';
import { initLab, advanceLab } from '../main/lab/index.js';
import { startServe, type RunningServe } from '../main/headless/start-serve.js';
import { locateRendererAssets } from '../main/headless/renderer-assets.js';
import type { MitigationView, Overview } from '../main/api/eems-api.js';

const SERVERS = 500;

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launch Debian's chromium headless in a fresh profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'eems-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

function mitigation(i: number, k: number): MitigationView {
  const verdicts = ['heartbeat', 'active', 'orphan-artefact'] as const;
  const verdict = verdicts[k]!;
  return {
    id: k === 0 ? 'PING1' : `M${k + 1}.1.0`, family: k === 0 ? 'PING1' : `M${k + 1}`, verdict, removable: verdict === 'orphan-artefact',
    fixedIn: k === 0 ? null : '15.2.1748.46', removableFrom: k === 0 ? null : '15.2.1748.48', sources: [], disagreement: null, appliedBy: k === 2 ? 'EEMS' : null,
    artefacts: k === 2 ? ['EEMS M2.1 OWA CSP - outbound'] : [],
    reason: `Reason for server ${i}: the fix is ${k === 1 ? 'not' : ''} installed.`, title: k === 0 ? 'Heartbeat' : 'OWA cross-site scripting',
    cve: k === 0 ? null : 'CVE-2026-42897', protectsAgainst: 'Cross-site scripting in OWA that lets an attacker act as the user.',
    userImpact: k === 0 ? 'Nothing.' : 'OWA pages load with a stricter Content-Security-Policy; some add-ins may not load.',
  };
}

/** The engine's overview with every server's mitigations padded to three (500 x 3). */
function withThreeMitigations(o: Overview): Overview {
  return {
    ...o,
    servers: o.servers.map((s, i) => {
      const have = new Set(s.mitigations.map((m) => m.family));
      const extra = [0, 1, 2].map((k) => mitigation(i, k)).filter((m) => !have.has(m.family));
      return { ...s, mitigations: [...s.mitigations, ...extra].slice(0, 3) };
    }),
  };
}

/** Serve the stylesheet, the compiled view modules and an empty page (no API needed for this part). */
async function startPageServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const assets = await locateRendererAssets();
  const css = await readFile(join(assets.staticDir, 'styles.css'));
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const script = /^\/js\/((?:[a-z0-9-]+\/)?[a-z0-9-]+\.js)$/.exec(path);
    if (script) {
      void readFile(join(assets.scriptDir, script[1]!)).then(
        (body) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body),
        () => res.writeHead(404).end(),
      );
    } else if (path === '/styles.css') res.writeHead(200, { 'Content-Type': 'text/css' }).end(css);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><head><link rel="stylesheet" href="/styles.css"><style>.full .srv { content-visibility: visible; }</style></head><body><main id="target"></main></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface RenderTimes {
  view: number;
  table: number;
  full: number;
  filterView: number;
  filterTable: number;
  /** Rows left visible by each filter (both must be one server). */
  shownView: number;
  shownTable: number;
}

async function measureRender(context: BrowserContext, overview: Overview, wanted: string): Promise<RenderTimes> {
  const pages = await startPageServer();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    // tsx (esbuild) names functions with a __name helper that the page does not have.
    await page.addInitScript('window.__name = (fn) => fn;');
    await page.goto(pages.url);
    return await page.evaluate(
      async ({ overview, wanted }) => {
        type ViewModule = { serversView: { render(ctx: unknown, root: HTMLElement): Promise<void>; bind(ctx: unknown, root: HTMLElement): void } };
        const { serversView } = (await import('/js/views/servers.js' as string)) as ViewModule;
        const target = document.getElementById('target')!;
        // The view asks its context for the overview the shell already holds: hand it over at once.
        const ctx = { loadOverview: async () => overview };
        serversView.bind(ctx, target);
        const esc = (t: unknown) => String(t ?? '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
        // The baseline: the same rows and the same text as a plain, pre-built static table, one
        // tbody per server (so a filter hides a server's rows at once).
        const o = overview as Overview;
        const rows = o.servers.map((s) => `<tbody><tr><th>${esc(s.name)} ${esc(s.fqdn)}</th><td>${esc(s.build.short)} ${esc(s.build.version)}</td><td>${esc(s.effective)}</td><td>${esc(s.service?.Status)}</td><td>${esc(s.lastCycleAt)}</td><td>${esc(s.status)} ${esc(s.statusText)}</td></tr>${s.mitigations
          .map((m) => `<tr><td>${esc(m.id)} ${esc(m.cve)}</td><td>${esc(m.verdict)}</td><td colspan="3">${esc(m.title)} ${esc(m.protectsAgainst)} ${esc(m.userImpact)} ${esc(m.reason)}</td><td>${m.removable ? 'Remove' : ''}</td></tr>`)
          .join('')}</tbody>`);
        const staticTable = `<table>${rows.join('')}</table>`;
        const layout = () => void target.offsetHeight; // style and layout, synchronously
        const time = async (fn: () => unknown): Promise<number> => {
          layout();
          const start = performance.now();
          await fn();
          layout();
          return performance.now() - start;
        };
        const renderView = async () => {
          target.replaceChildren();
          await serversView.render(ctx, target);
        };
        const renderTable = () => (target.innerHTML = staticTable);
        const search = () => target.querySelector<HTMLInputElement>('[data-role="search"]')!;
        const type = (text: string) => {
          search().value = text;
          search().dispatchEvent(new Event('input', { bubbles: true }));
        };
        const visibleRows = () => [...target.querySelectorAll<HTMLElement>('tr.srv')].filter((tr) => !tr.hidden).length;
        const query = wanted.toLowerCase();
        let texts: string[] = [];
        const filterTable = () => {
          const bodies = target.querySelectorAll<HTMLElement>('tbody');
          texts.forEach((text, i) => (bodies[i]!.hidden = !text.includes(query)));
        };
        // Interleaved runs, best of each: a load spike on a shared machine hits all alike.
        const best = { view: Infinity, table: Infinity, full: Infinity, filterView: Infinity, filterTable: Infinity, shownView: 0, shownTable: 0 };
        for (let i = 0; i < 9; i += 1) {
          target.replaceChildren();
          best.table = Math.min(best.table, await time(renderTable));
          texts = [...target.querySelectorAll('tbody')].map((b) => (b.textContent ?? '').toLowerCase()); // pre-built, as the view's search text is
          best.filterTable = Math.min(best.filterTable, await time(filterTable));
          best.shownTable = [...target.querySelectorAll<HTMLElement>('tbody')].filter((b) => !b.hidden).length;
          best.view = Math.min(best.view, await time(renderView));
          best.filterView = Math.min(best.filterView, await time(() => type(wanted)));
          best.shownView = visibleRows();
          type('');
          // The same view with every server laid out (as if all were on screen): the worst case.
          target.classList.add('full');
          best.full = Math.min(best.full, await time(renderView));
          target.classList.remove('full');
        }
        return best;
      },
      { overview, wanted },
    );
  } finally {
    await pages.close();
  }
}

/** In-page probe (a string: no build helpers leak in): long tasks and frame gaps until stopped. */
const PROBE = `(() => {
  const probe = { longest: 0, tasks: 0, maxGap: 0, running: true };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) { probe.tasks += 1; probe.longest = Math.max(probe.longest, e.duration); } }).observe({ type: 'longtask' });
  let last = performance.now();
  const frame = (t) => { probe.maxGap = Math.max(probe.maxGap, t - last); last = t; if (probe.running) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  window.__uiProbe = probe;
})()`;

/** A 500-server lab served headless, polled once: the same engine and API an admin's browser talks to. */
async function startLargeLab(): Promise<{ running: RunningServe; close: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'eems-bench-ui-'));
  const labDir = join(root, 'lab');
  await initLab(labDir, { scenario: 'large', servers: SERVERS });
  await advanceLab(labDir, 3);
  const running = await startServe({ lab: labDir, dataDir: join(root, 'data'), notifications: false, labHourSeconds: 0 });
  await running.engine.pollNow();
  return {
    running,
    close: async () => {
      await running.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface PageFigures {
  /** Time from opening the sign-in page to the last server's row in the DOM. */
  render: number;
  /** Document height over the window's height, at 1280x800. */
  screens: number;
  /** Bottom of the "needs attention" list, and of the first server row that needs action (px from the top). */
  attentionBottom: number;
  firstProblemBottom: number;
  longest: number;
  maxGap: number;
}

/**
 * The real app on the 500-server lab at 1280x800: where the problems end on the first screen, then
 * click "Poll now" and watch the main thread until the poll is committed and the view has
 * re-rendered (the longest task and the worst frame gap).
 */
async function measureApp(context: BrowserContext, running: RunningServe): Promise<PageFigures> {
  const page = await context.newPage();
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    const start = Date.now();
    await page.goto(running.signIn.file.url); // the private one-time sign-in page (issue 14.2)
    await page.waitForSelector(`.srv[data-server="EX${SERVERS}"]`, { state: 'attached' });
    const render = Date.now() - start;
    await page.waitForSelector('#view-servers[aria-busy="false"]');
    const layout = (await page.evaluate(`(() => {
      const bottom = (el) => (el ? el.getBoundingClientRect().bottom + window.scrollY : Infinity);
      return {
        screens: document.documentElement.scrollHeight / window.innerHeight,
        attentionBottom: bottom(document.querySelector('#view-servers section.attention')),
        firstProblemBottom: bottom(document.querySelector('#view-servers tr.srv[data-attention="action"]')),
      };
    })()`)) as Pick<PageFigures, 'screens' | 'attentionBottom' | 'firstProblemBottom'>;
    await page.waitForSelector('#poll-now:not([disabled])');
    await page.evaluate(PROBE);
    const before = await page.getAttribute('#view-servers', 'data-rendered');
    await page.click('#poll-now');
    await page.waitForSelector('.message[role="status"]'); // "Poll finished"
    await page.waitForFunction(`document.querySelector('#view-servers').dataset.rendered !== ${JSON.stringify(before)} && document.querySelector('#view-servers').getAttribute('aria-busy') === 'false'`);
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const probe = (await page.evaluate('(window.__uiProbe.running = false, window.__uiProbe)')) as { longest: number; maxGap: number };
    return { render, ...layout, longest: probe.longest, maxGap: probe.maxGap };
  } finally {
    await page.close();
  }
}

export default async function bench(): Promise<BenchEntry[]> {
  const chromiumRun = await launchChromium();
  const lab = await startLargeLab();
  try {
    const served = await lab.running.service.call('getOverview', {});
    if (!served.ok) throw new Error(`the overview of the 500-server lab could not be built: ${served.error.message}`);
    const overview = withThreeMitigations(served.value as Overview);
    const wanted = 'EX250';
    const r = await measureRender(chromiumRun.context, overview, wanted);
    if (r.shownView !== 1 || r.shownTable !== 1) throw new Error(`filtering to ${wanted} left ${r.shownView} rows in the view and ${r.shownTable} in the static table (1 expected)`);
    const entries = [
      ratioEntry(`ui: servers view ${SERVERS}x3, first render vs the same rows as a static table`, r.view, 'ms', r.table, { atMost: 1.5 }),
      ratioEntry(`ui: servers view ${SERVERS}x3, filter to one server (typing its name) vs hiding static table rows`, r.filterView, 'ms', r.filterTable, { atMost: 1.5 }),
    ];
    // For the record: the same view with content-visibility forced off. It costs about the same,
    // since CSS containment does not apply to table rows (measured 2026-12-07). Printed, not a goal.
    process.stderr.write(`ui-render: with all ${SERVERS} servers laid out at once the view took ${r.full.toFixed(1)} ms, ${(r.full / r.table).toFixed(2)}x the static table.\n`);
    const app = await measureApp(chromiumRun.context, lab.running);
    process.stderr.write(`ui-render: the real app showed all ${SERVERS} servers ${app.render} ms after the sign-in page was opened; page ${app.screens.toFixed(1)} screens high at 1280x800; needs-attention list ends at ${app.attentionBottom.toFixed(0)} px, first server needing action at ${app.firstProblemBottom.toFixed(0)} px.\n`);
    entries.push(infoEntry(`ui: page height at 1280x800 (${SERVERS} servers), in screens`, app.screens, 'screens', 1));
    entries.push(limitEntry('ui: problems on the first screen at 1280x800 (bottom of the needs-attention list and of the first server needing action)', Math.max(app.attentionBottom, app.firstProblemBottom), 'px', 800));
    // Responsiveness during a poll: the longest main-thread task (the re-render of 500 servers is
    // the biggest) and the worst gap between frames, in ms. A goal of a quarter second each:
    // clicks and scrolling stay usable while a poll runs.
    entries.push(limitEntry(`ui: longest main-thread task during a poll (${SERVERS} servers)`, app.longest, 'ms', 250));
    entries.push(limitEntry(`ui: worst frame gap during a poll (${SERVERS} servers)`, app.maxGap, 'ms', 250));
    return entries;
  } finally {
    await lab.close();
    await chromiumRun.close();
  }
}
