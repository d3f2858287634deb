/**
 * The plan dialog in Debian's chromium against the real stack on a demo lab: a removal shows its
 * evidence (both builds, each source with its link, who disagrees) and where each step runs, "Copy as
 * .ps1" hands over the exact script, and the run ends verified. (Running the copied .ps1 itself needs
 * Exchange and IIS cmdlets, which this machine does not have: its parse is proven in real PowerShell by
 * test/core/mitigations/powershell-quote.test.ts instead.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { labServer, startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { launchBrowser, type Browser } from './support-browser.js';

let stack: LabStack;
let browser: Browser;
/** A mitigation's verdict badge in its server's row of the overview. */
const row = (server: string, mitigation: string) => `tr.srv[data-server="${server}"] .badge.verdict[data-mitigation="${mitigation}"]`;
/** The Remove button of a mitigation on its server's page. */
const removeButton = (mitigation: string) => `#view-server .page-actions button[data-plan="planRemoval"][data-mitigation="${mitigation}"]`;

before(async () => {
  stack = await startLabStack({ hours: 2 });
  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.origin });
  await browser.page.goto(stack.url);
  await browser.page.waitForSelector(row('EX03', 'M2.1.0'));
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('a removal plan shows its evidence and where each step runs, copies the exact .ps1, and runs verified', async () => {
  const { page } = browser;
  await page.goto(`${stack.origin}/#server=EX03`);
  await page.click(removeButton('M2.1.0'));
  await page.waitForSelector('#plan-dialog[open] [data-role="evidence"]');
  const dialog = page.locator('#plan-dialog');
  assert.equal(await dialog.locator('[data-role="fixed-in"]').innerText(), '15.2.2562.43');
  assert.equal(await dialog.locator('[data-role="removable-from"]').innerText(), '15.2.2562.45');
  assert.match(await dialog.locator('[data-role="disagreement"]').innerText(), /later build decides/);
  const links = await dialog.locator('.sources a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
  assert.ok(links.length > 0 && links.every((h) => h.startsWith('https://')), links.join(' '));
  const channels = await dialog.locator('.badge.where').evaluateAll((els) => els.map((e) => e.getAttribute('data-channel')));
  assert.deepEqual(channels, ['server', 'exchange', 'server', 'server', 'exchange']);
  assert.match(await dialog.innerText(), /On EX03 itself \(WebAdministration, over WinRM\)/);

  await page.click('#plan-dialog button[data-act="copy-script"]');
  await page.waitForSelector('#plan-dialog [data-result="copied"], #plan-dialog [data-role="script"]');
  const script = (await dialog.locator('[data-role="script"]').count()) > 0
    ? await dialog.locator('[data-role="script"]').innerText()
    : await page.evaluate(() => navigator.clipboard.readText());
  assert.match(script, /Read-Host/);
  assert.match(script, /Invoke-Command -ComputerName 'EX03'/);
  assert.match(script, /Set-ExchangeServer -Identity EX03 -MitigationsBlocked @\('M2','M2\.1\.0'\)/);

  await page.click('#plan-dialog button[data-act="ask"]');
  await page.waitForSelector('#plan-dialog .confirm-text');
  await page.click('#plan-dialog button[data-act="run"]');
  await page.waitForSelector('#plan-dialog [data-result="ok"]');
  assert.match(await dialog.locator('[data-result]').innerText(), /verified/i);
  assert.deepEqual(labServer(stack, 'EX03').mitigationsBlocked, ['M2', 'M2.1.0']);
  assert.equal(labServer(stack, 'EX03').rewriteRules.filter((r) => /M2\.1/.test(r)).length, 0);
  // (A missing favicon's 404 is not a problem of this dialog.)
  assert.deepEqual(browser.problems.filter((p) => !/Failed to load resource/.test(p)), []);
});
