/** Test support: Debian's chromium through playwright-core, in a fresh profile, headless. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { testOutputDir } from '../support/paths.js';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen (CSP violations show up here). */
  problems: string[];
  close(): Promise<void>;
}

/** Launch chromium and open one page. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'eems-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1360, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The window sizes every view is looked at in: a desktop and a small screen (issue 13, point 9). */
export const SCREEN_SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;

/** Save screenshots of the page at 1280x800 and 800x600, light and dark, under test-output/screenshots. */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  const dir = join(testOutputDir, 'screenshots');
  await mkdir(dir, { recursive: true });
  const before = page.viewportSize();
  for (const size of SCREEN_SIZES) {
    await page.setViewportSize(size);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(dir, `${name}-${size.width}x${size.height}-${scheme}.png`), fullPage: false });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (before) await page.setViewportSize(before);
}

/** A fresh browser signed in through the stack's one-time page, waiting until `ready` is on it. */
export async function signedInBrowser(signInUrl: string, ready: string): Promise<Browser> {
  const browser = await launchBrowser();
  await browser.page.goto(signInUrl);
  await browser.page.waitForSelector(ready);
  return browser;
}

/** Open a view from the navigation and wait until it has rendered. */
export async function openView(page: Page, name: string): Promise<void> {
  await page.click(`nav a[data-view="${name}"]`);
  await page.waitForSelector(`#view-${name}[aria-busy="false"]:not([hidden])`);
}

/** Go to a server's page by its address and wait until its EEMS panel has rendered. */
export async function openServerPage(page: Page, origin: string, server: string): Promise<void> {
  await page.goto(`${origin}/#server=${encodeURIComponent(server)}`);
  await page.waitForSelector('#view-server[aria-busy="false"]:not([hidden]) [data-section="eems"]');
}
