/**
 * Damaged data files are told in the window, not only in a log (issue 14, point 7): a corrupt
 * settings file, an unusable engine state and journal lines that are no records, all left in the
 * data folder before `serve` starts. The app starts, the overview says so above everything, and
 * Diagnostics names each file and what was done with it. Screenshots at both sizes, both themes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiagnosticsView, Overview } from '../../main/api/eems-api.js';
import { callOk, startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { type Browser, screenshotBoth, signedInBrowser } from './support-browser.js';

let stack: LabStack;
let browser: Browser;

before(async () => {
  stack = await startLabStack({
    hours: 26,
    async prepareDataDir(dataDir) {
      await mkdir(dataDir, { recursive: true });
      await writeFile(join(dataDir, 'settings.json'), '{"pollIntervalMinutes": 15, "servers": [');
      await writeFile(join(dataDir, 'engine-state.json'), '{"version": 1, "bookmarks": ');
      await writeFile(join(dataDir, 'journal.jsonl'), 'null\n{"type":"alert"}\n');
    },
  });
  browser = await signedInBrowser(stack.url, 'tr.srv[data-server="EX05"]');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('the API names every damaged file; the damaged ones were moved aside, not deleted', async () => {
  const diagnostics = await callOk<DiagnosticsView>(stack.running.service, 'getDiagnostics', {});
  const notes = diagnostics.dataNotes ?? [];
  assert.equal(notes.length, 4, notes.join('\n'));
  assert.match(notes[0]!, /settings\.json/, 'the settings notice comes first');
  assert.ok(notes.some((n) => /engine state .*engine-state\.json could not be used/.test(n)), notes.join('\n'));
  assert.equal(notes.filter((n) => /journal\.jsonl line \d+ was skipped/.test(n)).length, 2, notes.join('\n'));
  const overview = await callOk<Overview>(stack.running.service, 'getOverview', {});
  assert.equal(overview.dataNotes, 4);
  const files = await readdir(stack.dataDir);
  assert.ok(files.some((f) => f.startsWith('settings.json.corrupt-')), files.join(', '));
  assert.ok(files.some((f) => f.startsWith('engine-state.json.corrupt-')), files.join(', '));
});

test('the overview says so above everything; its link opens Diagnostics at the notes, which name each file', async () => {
  const { page } = browser;
  const banner = page.locator('[data-role="data-banner"]');
  assert.match(await banner.innerText(), /EEMS Watch found 4 problems with its data files and kept running without them/);
  await screenshotBoth(page, 'damaged-data-overview');
  await banner.locator('a').click();
  await page.waitForSelector('#view-diagnostics[aria-busy="false"]:not([hidden])');
  const section = page.locator('#view-diagnostics [data-role="data-notes"]');
  const text = await section.innerText();
  assert.match(text, /settings\.json/);
  assert.match(text, /engine-state\.json/);
  assert.match(text, /journal\.jsonl line 1 was skipped/);
  assert.equal(await section.locator('li').count(), 4);
  assert.ok(await section.evaluate((el) => el.getBoundingClientRect().top < window.innerHeight), 'the link lands on the notes');
  await screenshotBoth(page, 'damaged-data-diagnostics');
  assert.deepEqual(browser.problems, []);
});
