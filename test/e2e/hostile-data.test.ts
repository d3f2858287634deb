/**
 * Text read from servers is data, never markup: a lab whose rewrite rule name and admin-audit
 * Caller carry HTML and quote-breaking strings is shown in Debian's chromium through the real
 * stack. Nothing runs (no dialog, no flag set), no element is injected, and the text is shown
 * literally, in the Servers view, the removal plan and the Diagnostics drift table.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { labPaths, setLabFault } from '../../main/lab/index.js';
import { startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { launchBrowser, type Browser } from './support-browser.js';

const RULE = `EEMS M2.9 <img src=x onerror="window.__pwned=1"> "><svg onload=window.__pwned=2> ' onmouseover='window.__pwned=3 - outbound`;
const CALLER = `contoso.com/Users/<img src=x onerror=window.__pwned=4>"'><script>window.__pwned=5</script>`;

let stack: LabStack;
let browser: Browser;
const dialogs: string[] = [];

/** What a script injected into the page could have left behind. */
async function injected(): Promise<{ flag: unknown; imgs: number; svgs: number; scripts: number; handlers: number }> {
  return browser.page.evaluate(() => ({
    flag: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
    imgs: document.querySelectorAll('img').length,
    svgs: document.querySelectorAll('#views svg, dialog svg').length,
    scripts: document.querySelectorAll('body script').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
  }));
}

async function assertNothingRan(): Promise<void> {
  assert.deepEqual(await injected(), { flag: null, imgs: 0, svgs: 0, scripts: 0, handlers: 0 });
  assert.deepEqual(dialogs, []);
}

before(async () => {
  stack = await startLabStack({ hours: 34 });
  // The hostile strings as a server would report them: a rule of the M2 family on EX01, and the
  // caller of an org-setting change in the admin audit log.
  const path = labPaths.state(stack.labDir);
  const doc = JSON.parse(await readFile(path, 'utf8')) as { servers: { Name: string; RewriteRules: unknown[] }[] };
  doc.servers.find((s) => s.Name === 'EX01')!.RewriteRules.push({ Name: RULE, Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' });
  await writeFile(`${path}.edit`, JSON.stringify(doc));
  await rename(`${path}.edit`, path);
  await setLabFault(stack.labDir, null, { kind: 'org-mitigations-enabled', enabled: false, by: CALLER });
  await stack.running.engine.pollNow();
  browser = await launchBrowser();
  browser.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await browser.page.goto(stack.url);
  await browser.page.waitForSelector('tr.srv[data-server="EX01"] .badge.verdict[data-mitigation="M2"]');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('a hostile rewrite rule name is shown as text in the removal plan, and nothing runs', async () => {
  const { page } = browser;
  await assertNothingRan();
  await page.goto(`${stack.origin}/#server=EX01`);
  await page.click('#view-server .page-actions button[data-plan="planRemoval"][data-mitigation="M2"]');
  await page.waitForSelector('#plan-dialog[open] ol.steps');
  const text = await page.locator('#plan-dialog').innerText();
  assert.ok(text.includes(`'${RULE}'`), 'the step names the rule literally');
  // In the PowerShell, the name is one single-quoted literal with its quote doubled.
  assert.ok(text.includes(`@{name='${RULE.replace(/'/g, "''")}'}`), 'the PowerShell quotes the name');
  await page.locator('#plan-dialog .step-desc').first().hover();
  await page.locator('#plan-dialog pre.ps').last().hover();
  await assertNothingRan();
  await page.keyboard.press('Escape');
});

test('a hostile audit Caller is shown as text in the Diagnostics drift table, and nothing runs', async () => {
  const { page } = browser;
  await page.click('nav a[data-view="diagnostics"]');
  await page.waitForSelector('#view-diagnostics[aria-busy="false"]:not([hidden]) table.drift');
  const cells = await page.locator('#view-diagnostics table.drift td').allInnerTexts();
  assert.ok(cells.includes(CALLER), `the caller is shown as written: ${JSON.stringify(cells.slice(0, 5))}`);
  await page.locator('#view-diagnostics table.drift').hover();
  await assertNothingRan();
});

test('links in the page are only ever http(s): a javascript: URL would become "#"', async () => {
  const { page } = browser;
  const results = await page.evaluate(async () => {
    const dom = (await import('/js/dom.js' as string)) as { safeHref(url: string): string };
    return ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<b>', 'https://learn.microsoft.com/x'].map((u) => dom.safeHref(u));
  });
  assert.deepEqual(results, ['#', '#', '#', 'https://learn.microsoft.com/x']);
  const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? ''));
  assert.ok(hrefs.every((h) => h.startsWith('#') || /^https?:\/\//.test(h)), JSON.stringify(hrefs));
  await assertNothingRan();
});
