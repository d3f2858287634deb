/**
 * "Test from the server" on a server's page (issue 13, point 6): the API asks the server itself
 * (HostPort.testEndpoint; here the lab's answer, which follows its fetch faults; the real script is
 * run in test/engine/endpoint-check-pwsh.test.ts), the EEMS panel shows the answer with its
 * diagnosis, and the answer stays across a reload. Screenshots at both sizes, both themes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointCheckView } from '../../main/api/eems-api.js';
import { setLabFault } from '../../main/lab/index.js';
import { callOk, startLabStack, type LabStack } from '../headless/support/serve-lab.js';
import { type Browser, openServerPage, screenshotBoth, signedInBrowser } from './support-browser.js';

let stack: LabStack;
let browser: Browser;
const endpointRow = '#view-server [data-section="eems"] tr[data-key="endpoint"]';

async function testFromServer(): Promise<string> {
  await browser.page.click(`${endpointRow} button[data-act="test-endpoint"]`);
  await browser.page.waitForSelector(`${endpointRow}:not(.tone-unknown)`);
  return browser.page.locator(endpointRow).innerText();
}

before(async () => {
  stack = await startLabStack({ hours: 26 });
  // EX02's proxy now asks for authentication: every fetch fails with a 407.
  await setLabFault(stack.labDir, 'EX02', { kind: 'fetch-failing', code: 'proxy' });
  browser = await signedInBrowser(stack.url, 'tr.srv[data-server="EX01"]');
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('a server that reaches the endpoint: "200 - Reachable", asked just now, and still shown after a reload', async () => {
  await openServerPage(browser.page, stack.origin, 'EX01');
  assert.match(await browser.page.locator(endpointRow).innerText(), /not checked yet/);
  // The hourly collection does not read the WinHTTP proxy: the row says where it comes from.
  assert.match(await browser.page.locator('#view-server tr[data-key="WinHttpProxy"]').innerText(), /not read yet[\s\S]*"Test from the server" \(Pattern service row\) reads it on the server/);
  const text = await testFromServer();
  assert.match(text, /200 - Reachable/);
  assert.match(text, /The server fetched https:\/\/officeclient\.microsoft\.com\/getexchangemitigations directly \(no proxy\)/);
  assert.equal(await browser.page.locator(endpointRow).getAttribute('class'), 'tone-good');
  await browser.page.reload();
  await browser.page.waitForSelector(`${endpointRow}.tone-good`);
  await screenshotBoth(browser.page, 'server-endpoint-ok');
});

test('a server behind a proxy that wants authentication: unreachable (HTTP 407), the proxy diagnosis and its first step', async () => {
  await openServerPage(browser.page, stack.origin, 'EX02');
  const text = await testFromServer();
  assert.match(text, /Unreachable \(HTTP 407\)/);
  assert.match(text, /The proxy blocks the mitigation fetch\. First step: Compare both settings: Get-ExchangeServer EX02/);
  assert.equal(await browser.page.locator(endpointRow).getAttribute('class'), 'tone-bad');
  assert.equal(await browser.page.locator(`${endpointRow} a[href="https://aka.ms/HelpConnectivityEEMS"]`).count(), 1);
  await screenshotBoth(browser.page, 'server-endpoint-proxy');
  assert.deepEqual(browser.problems, []);
});

test('through the API: the answer carries its diagnosis; an unknown server is not-found, an unreachable one an error with its reason', async () => {
  const api = stack.running.service;
  const check = await callOk<EndpointCheckView>(api, 'testEndpoint', { server: 'EX02' });
  assert.deepEqual([check.reachable, check.statusCode, check.diagnosis?.code], [false, 407, 'proxy']);
  const unknown = await api.call('testEndpoint', { server: 'EX99' });
  assert.equal(!unknown.ok && unknown.error.code, 'not-found');
  await setLabFault(stack.labDir, 'EX03', { kind: 'unreachable', on: true });
  const down = await api.call('testEndpoint', { server: 'EX03' });
  assert.equal(!down.ok && down.error.code, 'failed');
  assert.match(!down.ok ? down.error.message : '', /^EX03 could not be asked to test the endpoint: /);
});
