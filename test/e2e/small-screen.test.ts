/**
 * 800x600 (issue 13, point 9): an admin on a small screen or a half-width window. Every view fits
 * the width (nothing scrolls sideways, nothing is cut off), a new view starts at its top, a plan
 * dialog opens at its top (title and first step on screen, not scrolled to its Run button), and
 * the organisation banner's Re-enable link lands on the organisation's line in Diagnostics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { type Browser, openServerPage, openView, screenshotBoth, signedInBrowser } from './support-browser.js';

const SMALL = { width: 800, height: 600 };
const VIEWS = ['servers', 'alerts', 'heartbeat', 'diagnostics', 'settings', 'export'];

let stack: LabStack;
let browser: Browser;

/** How far the page and the elements inside main reach past the window's right edge, in pixels. */
async function overflow(page: Page): Promise<{ page: number; widest: string | null }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    let widest: string | null = null;
    let reach = width;
    for (const el of document.querySelectorAll<HTMLElement>('main *, header *')) {
      // Inside a box that scrolls on its own (shown PowerShell, wide tables), reaching far is fine.
      if (el.closest('pre, .scroll-x')) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      if (rect.right > reach + 0.5) {
        reach = rect.right;
        widest = `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''}`;
      }
    }
    return { page: document.documentElement.scrollWidth - width, widest };
  });
}

/** The top and bottom of an element, relative to the window. */
async function box(page: Page, selector: string): Promise<{ top: number; bottom: number }> {
  const rect = await page.locator(selector).first().evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
  return { top: rect.top, bottom: rect.bottom };
}

before(async () => {
  // 34 hours: past the Jul26SU on EX04, so removal plans are offered (EX01, EX04).
  stack = await startLabStack({ hours: 34 });
  browser = await signedInBrowser(stack.url, 'tr.srv[data-server="EX01"]');
  await browser.page.setViewportSize(SMALL);
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('at 800x600 no view, server page or dialog is wider than the window', async () => {
  const { page } = browser;
  for (const view of VIEWS) {
    await openView(page, view);
    const o = await overflow(page);
    assert.equal(o.page, 0, `the ${view} view scrolls sideways by ${o.page}px`);
    assert.equal(o.widest, null, `in the ${view} view, ${o.widest} reaches past the right edge`);
  }
  for (const server of ['EX01', 'EX16-LEGACY']) {
    await openServerPage(page, stack.origin, server);
    const o = await overflow(page);
    assert.equal(o.page, 0, `${server}'s page scrolls sideways by ${o.page}px`);
    assert.equal(o.widest, null, `on ${server}'s page, ${o.widest} reaches past the right edge`);
  }
  assert.deepEqual(browser.problems, []);
});

test('switching views starts the new view at its top', async () => {
  const { page } = browser;
  await openView(page, 'servers');
  const tall = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
  assert.ok(tall > 100, 'the servers view is taller than 600px, so it can be scrolled');
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  assert.ok((await page.evaluate(() => window.scrollY)) > 100, 'the servers view was scrolled down');
  for (const view of ['diagnostics', 'alerts', 'servers']) {
    await openView(page, view);
    assert.equal(await page.evaluate(() => window.scrollY), 0, `the ${view} view opened scrolled down`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  }
});

test('a removal plan opens at its top: title and first step on screen, the Run button one scroll away', async () => {
  const { page } = browser;
  await openServerPage(page, stack.origin, 'EX01');
  // Scroll the page down first: the dialog must not inherit where the page was.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.click('#view-server .page-actions button[data-plan="planRemoval"][data-mitigation="M2"]');
  await page.waitForSelector('#plan-dialog[open] ol.steps');
  const dialog = await box(page, '#plan-dialog');
  assert.ok(dialog.top >= 0 && dialog.bottom <= SMALL.height, `the dialog fits the window (top ${dialog.top}, bottom ${dialog.bottom})`);
  assert.equal(await page.locator('#plan-dialog').evaluate((el) => el.scrollTop), 0, 'the dialog opened scrolled');
  const title = await box(page, '#plan-title');
  assert.ok(title.top >= dialog.top && title.bottom <= SMALL.height, `the title is on screen (top ${title.top})`);
  const firstStep = await box(page, '#plan-dialog li.step[data-step="0"]');
  assert.ok(firstStep.top < SMALL.height, `the first step starts on screen (top ${firstStep.top})`);
  // The dialog is taller than the window here, so it scrolls itself; its Run button has the focus
  // (Enter runs the confirmation flow) and is reached by scrolling the dialog.
  const scrolls = await page.locator('#plan-dialog').evaluate((el) => el.scrollHeight > el.clientHeight);
  assert.ok(scrolls, 'at 800x600 this plan is longer than the window: the test checks the scrolled case');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-act')), 'ask');
  await screenshotBoth(page, 'small-removal-plan');
  await page.locator('#plan-dialog button[data-act="ask"]').scrollIntoViewIfNeeded();
  const run = await box(page, '#plan-dialog button[data-act="ask"]');
  assert.ok(run.top >= 0 && run.bottom <= SMALL.height, `the Run button can be scrolled onto the screen (top ${run.top})`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#plan-dialog[open]', { state: 'detached' });
  // Opened again after scrolling inside it: at its top again.
  await page.click('#view-server .page-actions button[data-plan="planRemoval"][data-mitigation="M2"]');
  await page.waitForSelector('#plan-dialog[open] ol.steps');
  assert.equal(await page.locator('#plan-dialog').evaluate((el) => el.scrollTop), 0, 'the dialog reopened where it was scrolled to');
  await page.keyboard.press('Escape');
});

test("the organisation banner's Re-enable lands on the organisation's line in Diagnostics", async () => {
  const { page } = browser;
  await openView(page, 'servers');
  await page.click('[data-role="org-banner"] a[href="#diagnostics=organization"]');
  await page.waitForSelector('#view-diagnostics[aria-busy="false"]:not([hidden]) [data-role="org-state"].landed');
  const org = await box(page, '[data-role="org-state"]');
  assert.ok(org.top >= 0 && org.bottom <= SMALL.height, `the organisation's line is on screen (top ${org.top}, bottom ${org.bottom})`);
  assert.ok((await page.evaluate(() => window.scrollY)) > 0, 'Diagnostics was scrolled to the organisation (it is not at the top of the view)');
  const reenable = await box(page, '#view-diagnostics button[data-act="reenable"]');
  assert.ok(reenable.bottom <= SMALL.height, 'its Re-enable button is on screen');
  await screenshotBoth(page, 'small-org-landing');
});
