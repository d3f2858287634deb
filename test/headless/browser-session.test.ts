/**
 * The attacks on the headless session, in Chromium: a page of another local web server (another
 * port on 127.0.0.1) receives the session cookie, as browsers send 127.0.0.1 cookies to every port,
 * and cannot use it; a used sign-in code is refused; no secret is ever in an address the browser
 * keeps; sign-out ends the session. Each would have got through the cookie-only token URL session.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { signInPageHtml } from '../../main/headless/sign-in-page.js';
import { launchBrowser, type Browser } from '../e2e/support-browser.js';
import { callApi, startLabStack, type LabStack } from './support/serve-lab.js';

let stack: LabStack;
let browser: Browser;
let attacker: Server;
let attackerOrigin: string;
const stolenCookies: string[] = [];
const visited: string[] = [];
let code: string;

/** Another local web server: it keeps the cookies browsers send it and tries the API from its page. */
function attackerPage(target: string): string {
  return `<!doctype html><title>other local app</title><script>
  fetch(${JSON.stringify(`${target}/api/getOverview`)}, { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{}' })
    .then(() => { document.title = 'sent'; }, () => { document.title = 'failed'; });
  </script>`;
}

before(async () => {
  stack = await startLabStack();
  attacker = createServer((req, res) => {
    if (req.headers.cookie) stolenCookies.push(req.headers.cookie);
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(attackerPage(stack.origin));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  browser.page.on('framenavigated', (frame) => visited.push(frame.url()));
  const grant = stack.running.server.mintSignIn();
  code = grant.code;
  await browser.page.goto(grant.file.url);
  await browser.page.waitForSelector('#view-servers[aria-busy="false"]:not([hidden])');
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await stack?.close();
});

test('the private sign-in page signs the browser in, and no address it visited holds the code', async () => {
  const { page } = browser;
  assert.equal(new URL(page.url()).origin, stack.origin);
  assert.equal(await page.locator('#sign-in').count(), 0, 'the sign-in panel is not shown');
  assert.ok(visited.length > 0);
  for (const url of visited) assert.ok(!url.includes(code), `${url} holds the sign-in code`);
  // Back and forward again: the history has only the sign-in file (gone now) and the bare address.
  await page.goBack();
  assert.ok(!page.url().includes(code));
  await page.goForward();
  assert.ok(!page.url().includes(code));
  assert.equal(await page.evaluate(() => location.search), '');
});

test('a page on another loopback port gets the cookie but cannot call the API with it', async () => {
  const other = await browser.context.newPage();
  await other.goto(`${attackerOrigin}/`);
  await other.waitForFunction(() => document.title === 'sent' || document.title === 'failed');
  await other.close();
  const stolen = stolenCookies.find((c) => /eems_session_\d+=/.test(c));
  assert.ok(stolen, 'the browser sent the session cookie to the other port (the attack is real)');
  const cookie = /eems_session_\d+=[^;\s]+/.exec(stolen)![0];
  // The other program replays it with full access as it did before: refused without the page's key.
  const replay = await callApi(stack, cookie, 'getOverview', {});
  assert.equal(replay.status, 401, JSON.stringify(replay.body));
  const ack = await callApi(stack, cookie, 'ackAlert', { id: 'any' });
  assert.equal(ack.status, 401);
  // The page of this server still works.
  assert.equal(await browser.page.evaluate(async () => (await fetch('/api/getOverview', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status), 401, 'without the key even this origin is refused');
});

test('a replayed sign-in code is refused', async () => {
  const res = await fetch(`${stack.origin}/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  assert.equal(res.status, 401);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /already used/);
  // A copy of the used sign-in page (as someone who read it before it was removed would keep).
  const copy = join(stack.root, 'copied-sign-in.html');
  await writeFile(copy, signInPageHtml(stack.origin, code));
  const page = await browser.context.newPage();
  await page.goto(pathToFileURL(copy).href);
  await page.waitForSelector('#sign-in .sign-in-reason');
  assert.match(await page.locator('#sign-in .sign-in-reason').innerText(), /already used/);
  await page.close();
});

test('Sign out in Settings ends the session: the page shows the sign-in panel and its calls are refused', async () => {
  const { page } = browser;
  await page.goto(`${stack.origin}/#settings`);
  await page.waitForSelector('[data-role="sign-out"]');
  await page.click('[data-role="sign-out"]');
  await page.waitForSelector('#sign-in .sign-in-reason');
  assert.match(await page.locator('#sign-in .sign-in-reason').innerText(), /signed out/);
  await page.reload();
  await page.waitForSelector('#sign-in .sign-in-reason');
  assert.match(await page.locator('#sign-in .sign-in-reason').innerText(), /Not signed in|not valid/);
});
