/**
 * The real UI in Debian's chromium against the real headless server, engine and API on a demo
 * lab: what an admin sees and does, checked on the lab's own state and in the journal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { advanceLab, setLabFault, summarizeLab } from '../../main/lab/index.js';
import { journalRecords, labOrganization, labServer, startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { type Browser, launchBrowser, openView, screenshotBoth } from './support-browser.js';
import { fixture } from '../support/paths.js';

let stack: LabStack;
let browser: Browser;

/** A mitigation's verdict badge in its server's row of the overview. */
const row = (server: string, mitigation: string) => `tr.srv[data-server="${server}"] .badge.verdict[data-mitigation="${mitigation}"]`;
/** The Remove button of a mitigation on its server's page. */
const removeButton = (mitigation: string) => `#view-server .page-actions button[data-plan="planRemoval"][data-mitigation="${mitigation}"]`;

async function openServer(name: string): Promise<void> {
  await browser.page.click(`tr.srv[data-server="${name}"] a.server-name`);
  await browser.page.waitForSelector(`#view-server[aria-busy="false"]:not([hidden]) [data-section="eems"]`);
}

before(async () => {
  // 34 hours: past the Jul26SU on EX04 (hour 30), so two servers carry an orphaned M2 rule.
  stack = await startLabStack({ hours: 34 });
  browser = await launchBrowser();
  await browser.page.goto(stack.url);
  await browser.page.waitForSelector(row('EX01', 'M2'));
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('the token URL becomes a token-less address and the Servers view shows the demo', async () => {
  const { page } = browser;
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await page.locator(row('EX01', 'M2')).getAttribute('data-verdict'), 'orphan-artefact');
  // M2 below the fix on EX02 is still needed: active, and no Remove on its page.
  assert.equal(await page.locator(row('EX02', 'M2.1.0')).getAttribute('data-verdict'), 'active');
  assert.match(await page.locator('tr.srv[data-server="EX01"] .c-build').innerText(), /2019 CU15 Jul26SU/);
  assert.match(await page.locator('[data-role="org-banner"]').innerText(), /Organization MitigationsEnabled is False/);
  await screenshotBoth(page, 'servers');
  // Details on demand: what it protects and what users lose, under the row.
  await page.click('tr.srv[data-server="EX01"] button[data-act="expand"]');
  const details = page.locator('tr.detail[data-detail-for="EX01"] article.mitigation[data-mitigation="M2"]');
  assert.match(await details.innerText(), /Protects against:[\s\S]*Users lose while it is applied:/);
  await screenshotBoth(page, 'servers-details');
  await openServer('EX02');
  assert.equal(await page.locator(removeButton('M2.1.0')).count(), 0);
  await page.goBack();
  await page.waitForSelector(row('EX01', 'M2'));
  await openServer('EX01');
  assert.equal(await page.locator(removeButton('M2')).count(), 1);
  await screenshotBoth(page, 'server-page');
});

test('Remove, confirm: the rule leaves the lab, the row turns clean, the journal has the audit record', async () => {
  const { page } = browser;
  assert.ok(labServer(stack, 'EX01').rewriteRules.some((r) => /M2\.1 OWA CSP/.test(r)), 'the demo starts with the rule on EX01');
  await page.goto(`${stack.origin}/#server=EX01`);
  await page.click(removeButton('M2'));
  await page.waitForSelector('#plan-dialog[open] ol.steps');
  assert.match(await page.locator('#plan-dialog').innerText(), /Remove-WebConfigurationProperty[\s\S]*EEMS M2\.1 OWA CSP - outbound/);
  await screenshotBoth(page, 'removal-plan');
  await page.click('#plan-dialog button[data-act="ask"]');
  await page.waitForSelector('#plan-dialog .confirm-text');
  await page.keyboard.press('Enter'); // the focused button is "Yes, run now"
  await page.waitForSelector('#plan-dialog [data-result="ok"]');
  assert.match(await page.locator('#plan-dialog [data-result]').innerText(), /verified/i);
  await screenshotBoth(page, 'removal-done');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#plan-dialog:not([open])', { state: 'attached' });
  await page.waitForSelector(removeButton('M2'), { state: 'detached' });

  assert.equal(labServer(stack, 'EX01').rewriteRules.filter((r) => /M2\.1/.test(r)).length, 0);
  const actions = (await journalRecords(stack)).filter((r) => r.type === 'action') as { action: { server: string; status: string; steps?: unknown[] } }[];
  const done = actions.find((r) => r.action.server === 'EX01' && r.action.status === 'done');
  assert.ok(done, 'the journal holds the done action for EX01');
  assert.ok((done.action.steps ?? []).length >= 3);
});

test('a removal that fails halfway shows the failed step and how the server was left, and Resume finishes it', async () => {
  const { page } = browser;
  await setLabFault(stack.labDir, 'EX04', { kind: 'fail-run', atStep: 2 });
  await page.goto(`${stack.origin}/#server=EX04`);
  await page.reload();
  await page.click(removeButton('M2'));
  await page.click('#plan-dialog button[data-act="ask"]');
  await page.click('#plan-dialog button[data-act="run"]');
  await page.waitForSelector('#plan-dialog [data-result="failed"]');
  const text = await page.locator('#plan-dialog [data-result="failed"]').innerText();
  assert.match(text, /Failed at step 2/);
  assert.match(text, /How the server was left:/);
  await screenshotBoth(page, 'removal-failed');
  await page.click('#plan-dialog button[data-act="ask"]');
  await page.click('#plan-dialog button[data-act="run"]');
  await page.waitForSelector('#plan-dialog [data-result="ok"]');
  assert.match(await page.locator('#plan-dialog li.step[data-step="0"] .step-msg').innerText(), /./);
  await page.keyboard.press('Escape');
  assert.equal(labServer(stack, 'EX04').rewriteRules.filter((r) => /M2\.1/.test(r)).length, 0);
  const statuses = (await journalRecords(stack)).filter((r) => r.type === 'action').map((r) => (r as { action: { server: string; status: string } }).action).filter((a) => a.server === 'EX04').map((a) => a.status);
  assert.deepEqual(statuses, ['started', 'failed', 'started', 'done']);
});

test('re-enabling org mitigations from Diagnostics, behind a confirmation', async () => {
  const { page } = browser;
  await openView(browser.page, 'diagnostics');
  assert.equal(await page.locator('[data-role="org-state"]').getAttribute('data-enabled'), 'False');
  assert.match(await page.locator('#view-diagnostics').innerText(), /Jordan Reyes/);
  assert.match(await page.locator('article.diag[data-server="EX16-LEGACY"]').innerText(), /sign/i);
  await screenshotBoth(page, 'diagnostics');
  await page.click('button[data-act="reenable"]');
  await page.waitForSelector('#plan-dialog[open]');
  assert.match(await page.locator('#plan-dialog').innerText(), /Set-OrganizationConfig -MitigationsEnabled \$true/);
  assert.equal(labOrganization(stack).MitigationsEnabled, false, 'nothing changes before the confirmation');
  await page.click('#plan-dialog button[data-act="ask"]');
  await page.click('#plan-dialog button[data-act="run"]');
  await page.waitForSelector('#plan-dialog [data-result="ok"]');
  await page.click('#plan-dialog button[data-act="close"]');
  assert.equal(labOrganization(stack).MitigationsEnabled, true);
  await page.waitForSelector('[data-role="org-state"][data-enabled="True"]');
});

test('importing a definitions file shows the verdict, the reasons and the comparison with the servers', async () => {
  const { page } = browser;
  await openView(browser.page, 'diagnostics');
  // Microsoft's real 2021 file, checked now: its certificates expired, but its signature holds and
  // its chain reaches Microsoft's root, so its definitions are read and compared.
  await page.setInputFiles('input[data-role="feed-file"]', fixture('real', 'ocs-ping1-2021-09.xml'));
  await page.waitForSelector('[data-role="feed-result"] .feed-result[data-verdict="invalid"]');
  const text = await page.locator('[data-role="feed-result"]').innerText();
  assert.match(text, /leaf-expired/);
  assert.match(text, /Microsoft Exchange XML Signing/);
  assert.match(text, /PING1/);
  // EX02 still applies M2.1.0, which this file does not publish.
  assert.match(await page.locator('.feed-compare tr[data-server="EX02"]').innerText(), /M2\.1\.0/);
  await screenshotBoth(page, 'diagnostics-feed');
});

test('ack and snooze an alert; #alert=<id> opens it', async () => {
  const { page } = browser;
  await openView(browser.page, 'alerts');
  const open = page.locator('li.alert[data-state="open"]');
  const first = await open.nth(0).getAttribute('data-alert');
  const second = await open.nth(1).getAttribute('data-alert');
  assert.ok(first && second);
  await page.goto(`${stack.origin}/#alert=${encodeURIComponent(first)}`);
  await page.waitForSelector(`li.alert.focused[data-alert="${first}"] details[open]`);
  await screenshotBoth(page, 'alerts');
  await page.click(`li.alert[data-alert="${first}"] button[data-act="ack"]`);
  await page.waitForSelector(`li.alert[data-alert="${first}"][data-state="acked"]`);
  await page.click(`li.alert[data-alert="${second}"] summary`);
  await page.click(`li.alert[data-alert="${second}"] button[data-act="snooze"]`);
  await page.waitForSelector(`li.alert[data-alert="${second}"][data-state="snoozed"]`);
  const records = await journalRecords(stack);
  assert.ok(records.some((r) => r.type === 'ack' && r.alertId === first));
  const snooze = records.find((r) => r.type === 'snooze' && r.alertId === second) as { until: string } | undefined;
  assert.ok(snooze && Date.parse(snooze.until) > Date.parse(summarizeLab(stack.labDir).now), 'snoozed until a later time');
  await page.selectOption('select[data-filter="severity"]', 'critical');
  await page.waitForFunction(() => [...document.querySelectorAll('li.alert')].every((li) => li.classList.contains('sev-critical')));
});

test('export: the servers view as CSV and the timeline as JSON are downloaded', async () => {
  const { page } = browser;
  await openView(browser.page, 'export');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button[data-what="servers"][data-format="csv"]')]);
  assert.match(csv.suggestedFilename(), /^eems-watch-servers-.*\.csv$/);
  const csvText = await readFile((await csv.path())!, 'utf8');
  const lines = csvText.trim().split('\r\n');
  assert.match(lines[0]!, /^server,fqdn,build,/);
  assert.ok(lines.some((l) => /^EX02,.*M2\.1\.0,M2,active,false/.test(l)), 'EX02 M2 active in the CSV');
  const [timeline] = await Promise.all([page.waitForEvent('download'), page.click('button[data-what="alerts"][data-format="json"]')]);
  const doc = JSON.parse(await readFile((await timeline.path())!, 'utf8')) as { alerts: unknown[]; actions: { server: string | null }[] };
  assert.ok(doc.alerts.length > 0);
  assert.ok(doc.actions.some((a) => a.server === 'EX01'));
  await screenshotBoth(page, 'export');
});

test('heartbeat grids and settings (a bad value is refused with the field named)', async () => {
  const { page } = browser;
  // EX02's service stops and three hours pass: three hourly cycles are missed.
  const stoppedAt = Math.floor(Date.parse(summarizeLab(stack.labDir).now) / 3_600_000) * 3_600_000;
  const cell = (server: string, ms: number) => `figure.heartbeat[data-server="${server}"] .hb-cell[data-hour="${new Date(ms).toISOString().slice(0, 13)}"]`;
  await setLabFault(stack.labDir, 'EX02', { kind: 'service-stopped' });
  await advanceLab(stack.labDir, 3);
  await stack.running.engine.pollNow();
  await openView(browser.page, 'heartbeat');
  assert.equal(await page.locator('figure.heartbeat[data-server="EX01"] .hb-cell').count(), 7 * 24);
  assert.equal(await page.locator('figure.heartbeat[data-server="EX01"] :is(.hb-failed, .hb-stopped, .hb-silent, .hb-crashed)').count(), 0);
  assert.ok(Number(await page.locator('figure.heartbeat[data-server="EX02"]').getAttribute('data-missed')) >= 2, 'EX02 (service stopped) misses cycles');
  assert.ok((await page.locator('figure.heartbeat[data-server="EX02"] .hb-stopped').count()) >= 2);
  // Exact cells: the hour before the stop held a cycle, the first hour with the service stopped held none.
  assert.match((await page.locator(cell('EX02', stoppedAt - 3_600_000)).getAttribute('class')) ?? '', /\bhb-ok\b/);
  assert.match((await page.locator(cell('EX02', stoppedAt)).getAttribute('class')) ?? '', /\bhb-stopped\b/);
  assert.match(await page.locator(cell('EX02', stoppedAt)).getAttribute('title') ?? '', /service stopped/);
  assert.equal(await page.locator(cell('EX02', stoppedAt)).innerText(), 'S', 'a letter, not colour alone');
  assert.match((await page.locator(cell('EX01', stoppedAt)).getAttribute('class')) ?? '', /\bhb-ok\b/, 'EX01 kept fetching that hour');
  await screenshotBoth(page, 'heartbeat');
  await openView(browser.page, 'settings');
  await page.fill('input[name="poll.stateMinutes"]', '0');
  await page.click('form[data-role="settings"] button[type="submit"]');
  await page.waitForSelector('[data-role="settings-message"].error');
  assert.match(await page.locator('[data-role="settings-message"]').innerText(), /poll\.stateMinutes/);
  await page.fill('input[name="poll.stateMinutes"]', '10');
  await page.click('form[data-role="settings"] button[type="submit"]');
  await page.waitForSelector('[data-role="settings-message"].saved');
  assert.equal(await page.locator('[data-role="settings-message"]').innerText(), 'Saved and applied.', 'a poll interval applies without a restart');
  assert.match(await page.locator('[data-role="quiet-hours-note"]').innerText(), /critical alerts .*still notify during quiet hours/i);
  await page.fill('input[name="connection.remoteUri"]', 'http://{server}/PowerShell-Proxy/');
  await page.click('form[data-role="settings"] button[type="submit"]');
  await page.waitForFunction(() => /connection\.remoteUri/.test(document.querySelector('[data-role="settings-message"]')?.textContent ?? ''));
  assert.match(await page.locator('[data-role="settings-message"]').innerText(), /except connection\.remoteUri: it takes effect when EEMS Watch restarts/);
  await screenshotBoth(page, 'settings');
});

test('keyboard: the theme toggle works and nothing broke the CSP', async () => {
  const { page } = browser;
  await page.focus('#theme-toggle');
  await page.keyboard.press('Enter');
  const theme = await page.evaluate('document.documentElement.dataset.theme');
  assert.ok(theme === 'dark' || theme === 'light');
  assert.deepEqual(browser.problems.filter((p) => /Content Security Policy|Refused to/i.test(p)), []);
  assert.deepEqual(browser.problems.filter((p) => !/Failed to load resource/.test(p)), []);
});
