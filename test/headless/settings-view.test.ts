/**
 * The Settings view in Chromium, in demo/lab mode: the lab's servers are shown read-only with a
 * note, the fields that name programs and files are read-only with where to change them, a
 * malformed server line is refused with the line named and nothing saved, and the view fits at
 * 1280x800 and 800x600 (screenshots in test-output/screenshots/).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchBrowser, type Browser } from '../e2e/support-browser.js';
import { testOutputDir } from '../support/paths.js';
import { startLabStack, type LabStack } from './support/serve-lab.js';

let stack: LabStack;
let browser: Browser;

before(async () => {
  stack = await startLabStack();
  browser = await launchBrowser();
  await browser.page.goto(stack.url);
  await browser.page.waitForSelector('#view-servers[aria-busy="false"]:not([hidden])');
  await browser.page.goto(`${stack.origin}/#settings`);
  await browser.page.waitForSelector('#view-settings[aria-busy="false"]:not([hidden]) form[data-role="settings"]');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('demo mode lists the lab servers read-only, and program and file fields are read-only with where to change them', async () => {
  const { page } = browser;
  assert.match(await page.locator('[data-role="lab-servers"]').innerText(), /simulated servers EX01, EX02.*cannot be edited here/);
  assert.match(await page.locator('[data-role="locked-note"]').innerText(), /settings file .*then restart/);
  const locked = page.locator('input.locked');
  assert.equal(await locked.count(), 4);
  for (let i = 0; i < 4; i += 1) assert.equal(await locked.nth(i).getAttribute('readonly'), '');
  assert.equal(await page.locator('input[name="connection.powershellPath"], input[name="knowledgeOverrideFile"]').count(), 0);
});

test('a malformed server line is refused with the line named, and nothing is saved', async () => {
  const { page } = browser;
  const before = await readFile(join(stack.dataDir, 'settings.json'), 'utf8').catch(() => '');
  await page.fill('textarea[name="servers"]', 'EX01\nEX02 ex02.contoso.com\nex 01 ex01.contoso.com');
  await page.click('form[data-role="settings"] button[type="submit"]');
  const message = page.locator('[data-role="settings-message"].error');
  await message.waitFor();
  assert.match(await message.innerText(), /Not saved: Server 3: 'ex 01 ex01.contoso.com' has more than a name and an FQDN/);
  assert.equal(await readFile(join(stack.dataDir, 'settings.json'), 'utf8').catch(() => ''), before);
  await page.fill('textarea[name="servers"]', 'EX01\nex;01');
  await page.click('form[data-role="settings"] button[type="submit"]');
  await page.waitForFunction(() => /Server 2, name/.test(document.querySelector('[data-role="settings-message"]')?.textContent ?? ''));
  assert.match(await message.innerText(), /Server 2, name \(servers\.1\.name\): 'ex;01' is not a server name; server names are letters, digits, '-', '\.' and '_' only/);
  assert.equal(await readFile(join(stack.dataDir, 'settings.json'), 'utf8').catch(() => ''), before);
});

test('the Settings view fits at 1280x800 and 800x600 without sideways scrolling', async () => {
  const { page } = browser;
  const dir = join(testOutputDir, 'screenshots');
  await mkdir(dir, { recursive: true });
  for (const [width, height] of [[1280, 800], [800, 600]] as const) {
    await page.setViewportSize({ width, height });
    await page.goto(`${stack.origin}/#settings`);
    await page.waitForSelector('#view-settings[aria-busy="false"]:not([hidden]) form[data-role="settings"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${width}x${height}: ${overflow}px sideways`);
    await page.screenshot({ path: join(dir, `settings-${width}x${height}.png`), fullPage: true });
  }
});
