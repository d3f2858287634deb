import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerAppRequest } from '../../main/app/app-protocol.js';
import { isAppUrl, secureWebPreferences, windowOpenDecision, windowUrl } from '../../main/app/main-window.js';
import { locateRendererAssets } from '../../main/headless/renderer-assets.js';
import { CONTENT_SECURITY_POLICY } from '../../main/headless/security.js';

test('the window runs the renderer isolated and sandboxed, without node', () => {
  const prefs = secureWebPreferences('/app/dist/main/app/preload.cjs');
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/app/dist/main/app/preload.cjs');
});

test('only app://eems URLs count as the app; a notification click opens its alert', () => {
  assert.equal(isAppUrl('app://eems/index.html#alert=a1'), true);
  for (const url of ['https://eems/', 'app://evil/index.html', 'file:///C:/Windows/', 'javascript:alert(1)', 'not a url']) assert.equal(isAppUrl(url), false, url);
  assert.equal(windowUrl('fetch-error:EX01:signing-cert'), 'app://eems/index.html#alert=fetch-error%3AEX01%3Asigning-cert');
});

test('app:// serves the renderer with the same CSP as the headless server, and nothing off the allow-list', async () => {
  const assets = await locateRendererAssets();
  const page = await answerAppRequest('app://eems/index.html', assets);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.match(await page.text(), /<title>EEMS Watch<\/title>/);
  const script = await answerAppRequest('app://eems/js/app.js', assets);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  for (const url of ['app://eems/../package.json', 'app://eems/js/../../package.json', 'app://eems/%2e%2e/package.json', 'app://other/index.html', 'app://eems/main/app/main.ts']) {
    assert.equal((await answerAppRequest(url, assets)).status, 404, url);
  }
});

test('links that ask for a new window: https goes to the browser, nothing opens inside the app', () => {
  assert.equal(windowOpenDecision('https://learn.microsoft.com/exchange/exchange-emergency-mitigation-service'), 'open-in-browser');
  for (const url of ['http://example.com/', 'app://eems/index.html', 'file:///C:/Windows/System32/calc.exe', 'javascript:alert(1)', 'ms-settings:', 'not a url']) {
    assert.equal(windowOpenDecision(url), 'deny', url);
  }
});
