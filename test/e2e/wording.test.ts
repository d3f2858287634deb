/**
 * Plain words in every view (issue 13, point 11): walking the demo as an admin does, no text on
 * the page says "NaN", "undefined", "[object Object]", an internal step kind, or a count that
 * disagrees with its noun ("1 actions", "1 hours"). Each view and every server's page is read
 * after it rendered, with a one-hour gap somewhere (EX05) so singulars appear.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertList, Overview, PlanView } from '../../main/api/eems-api.js';
import { callOk, startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { type Browser, openServerPage, openView, signedInBrowser } from './support-browser.js';

let stack: LabStack;
let browser: Browser;

const PLURAL_NOUNS = ['servers', 'steps', 'hours', 'days', 'alerts', 'actions', 'lines', 'events', 'updates', 'fetches', 'mitigations', 'rules', 'minutes', 'entries', 'cycles'];
const WRONG_COUNT = new RegExp(`(^|[^\\d.,])1 (${PLURAL_NOUNS.join('|')})\\b`, 'm');
const STEP_KINDS = ['backup-config', 'remove-rewrite-rule', 'set-blocked', 'start-app-pool', 'start-service', 'set-org-enabled', 'set-server-enabled'];

/** What an admin reads on the page now, checked; returns the text. */
async function readable(where: string): Promise<string> {
  const text = await browser.page.locator('main').innerText();
  for (const bad of ['NaN', 'undefined', '[object Object]', 'Invalid Date']) assert.ok(!text.includes(bad), `${where} shows "${bad}":\n${text}`);
  const wrong = WRONG_COUNT.exec(text);
  assert.equal(wrong, null, `${where} says "${wrong?.[0].trim()}"`);
  // Step kinds are code: the page says what a step does in words (they may appear inside shown PowerShell).
  const prose = text.replace(/Step \d+: [a-z-]+/g, '');
  for (const kind of STEP_KINDS) assert.ok(!new RegExp(`(^|\\s)${kind}(\\s|$)`).test(prose), `${where} shows the internal step name ${kind}`);
  return text;
}

before(async () => {
  stack = await startLabStack({ hours: 26 });
  // One removal done, so the timeline holds exactly one action ("1 action").
  const plan = await callOk<PlanView>(stack.running.service, 'planRemoval', { server: 'EX01', mitigation: 'M2' });
  await callOk<PlanView>(stack.running.service, 'runPlan', { planId: plan.id, confirm: true });
  browser = await signedInBrowser(stack.url, 'tr.srv[data-server="EX01"]');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('every view reads in plain words', async () => {
  const list = await callOk<AlertList>(stack.running.service, 'listAlerts', {});
  assert.equal(list.actions.length, 1, 'the walk meets a singular');
  for (const view of ['servers', 'alerts', 'heartbeat', 'diagnostics', 'settings', 'export']) {
    await openView(browser.page, view);
    await readable(`the ${view} view`);
  }
  assert.deepEqual(browser.problems, []);
});

test("every server's page reads in plain words, and so does each removal plan it offers", async () => {
  const overview = await callOk<Overview>(stack.running.service, 'getOverview', {});
  for (const server of overview.servers) {
    await openServerPage(browser.page, stack.origin, server.name);
    await readable(`${server.name}'s page`);
    const plans = browser.page.locator('#view-server .page-actions button[data-plan]');
    for (let i = 0; i < (await plans.count()); i++) {
      await plans.nth(i).click();
      await browser.page.waitForSelector('#plan-dialog[open] ol.steps');
      const text = await browser.page.locator('#plan-dialog').innerText();
      assert.ok(!/NaN|undefined|\[object Object\]/.test(text), `a plan on ${server.name}:\n${text}`);
      assert.equal(WRONG_COUNT.exec(text), null, `a plan on ${server.name} says "${WRONG_COUNT.exec(text)?.[0].trim()}"`);
      await browser.page.keyboard.press('Escape');
      await browser.page.waitForSelector('#plan-dialog:not([open])', { state: 'attached' });
    }
  }
  assert.deepEqual(browser.problems, []);
});
