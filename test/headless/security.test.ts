/**
 * The headless server refuses what it must, over plain HTTP from node, against the real stack on
 * a lab: each refusal has its status and leaves the journal and the lab exactly as they were.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { CONTENT_SECURITY_POLICY } from '../../main/headless/security.js';
import { labPaths } from '../../main/lab/index.js';
import { authHeaders, callApi, journalText, signIn, signInWithCode, startLabStack, type LabStack } from './support/serve-lab.js';

let stack: LabStack;
let cookie: string;
let planId: string;
let alertId: string;

/** A raw request, so Host, Origin and the body can be anything. */
function raw(options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(stack.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), method: options.method ?? 'POST', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close the connection after answering an oversize body: that is a refusal too.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve({ status: -1, headers: {}, body: '' });
      else reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** What a refusal must not change: the journal and the lab's state file. */
async function footprint(): Promise<string> {
  return `${await journalText(stack)}\n---\n${await readFile(labPaths.state(stack.labDir), 'utf8')}`;
}

async function assertRefused(send: () => ReturnType<typeof raw>, status: number): Promise<ReturnType<typeof raw>> {
  const before = await footprint();
  const res = await send();
  assert.equal(res.status, status, `status ${res.status}, body ${res.body}`);
  assert.equal(await footprint(), before, 'a refused request changed the journal or the lab');
  return res;
}

const json = (extra: Record<string, string> = {}) => ({ 'Content-Type': 'application/json', Host: new URL(stack.origin).host, ...authHeaders(cookie), ...extra });

before(async () => {
  stack = await startLabStack();
  cookie = await signIn(stack);
  const plan = await callApi(stack, cookie, 'planRemoval', { server: 'EX01', mitigation: 'M2' });
  assert.equal(plan.body.ok, true, JSON.stringify(plan.body));
  planId = (plan.body.value as { id: string }).id;
  const alerts = await callApi(stack, cookie, 'listAlerts', {});
  alertId = (alerts.body.value as { alerts: { id: string }[] }).alerts[0]!.id;
});
after(async () => stack?.close());

test('a one-time code is traded for an HttpOnly SameSite=Strict cookie named after the port, and a header key', async () => {
  const grant = stack.running.server.mintSignIn();
  const res = await fetch(`${stack.origin}/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: grant.code }) });
  assert.equal(res.status, 200);
  const port = new URL(stack.origin).port;
  assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^eems_session_${port}=[A-Za-z0-9_.-]{40,}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400$`));
  assert.match(((await res.json()) as { value: { key: string } }).value.key, /^[A-Za-z0-9_-]{40,}$/);
  assert.doesNotMatch(stack.running.url, /token|code/, 'the printed address carries no secret');
});

test('a replayed or unknown sign-in code is refused, and says how to get a new one', async () => {
  const grant = stack.running.server.mintSignIn();
  await signInWithCode(stack.origin, grant.code);
  const again = await fetch(`${stack.origin}/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: grant.code }) });
  assert.equal(again.status, 401);
  assert.equal(again.headers.get('set-cookie'), null);
  assert.match(((await again.json()) as { error: { message: string } }).error.message, /already used.*Run `eems-watch serve`/);
  const unknown = await fetch(`${stack.origin}/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'not-a-code' }) });
  assert.equal(unknown.status, 401);
});

test('the cookie alone, the key alone, a forged cookie or no credentials at all are refused', async () => {
  const headers = authHeaders(cookie);
  const noKey = await assertRefused(() => raw({ path: '/api/ackAlert', headers: { ...json(), 'X-Eems-Session': '' }, body: JSON.stringify({ id: alertId }) }), 401);
  assert.match(noKey.body, /Not signed in/);
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: { ...json(), Cookie: '' }, body: JSON.stringify({ id: alertId }) }), 401);
  const port = new URL(stack.origin).port;
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: json({ Cookie: `eems_session_${port}=forged.value` }), body: JSON.stringify({ id: alertId }) }), 401);
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: json({ 'X-Eems-Session': `${headers['X-Eems-Session']}x` }), body: JSON.stringify({ id: alertId }) }), 401);
  assert.equal((await raw({ method: 'GET', path: '/api/events', headers: { Host: new URL(stack.origin).host } })).status, 401);
});

test('a token in the address is never honoured, and no answer redirects anywhere', async () => {
  for (const path of ['/?token=T', '/x/..//evil.example/?token=T', '//evil.example/', '/%2F%2Fevil.example/?token=T']) {
    const res = await raw({ method: 'GET', path, headers: { Host: new URL(stack.origin).host } });
    assert.ok(res.status < 300 || res.status >= 400, `${path} answered ${res.status}`);
    assert.equal(res.headers.location, undefined, `${path} redirected`);
    assert.equal(res.headers['set-cookie'], undefined);
  }
});

test('sign-out ends the session at once: the same cookie and key are refused afterwards', async () => {
  const mine = await signIn(stack);
  assert.equal((await callApi(stack, mine, 'getOverview', {})).status, 200);
  const out = await fetch(`${stack.origin}/auth/sign-out`, { method: 'POST', headers: authHeaders(mine) });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  const after = await callApi(stack, mine, 'getOverview', {});
  assert.equal(after.status, 401);
  assert.match(after.body.error?.message ?? '', /not valid any more/);
  assert.equal((await callApi(stack, cookie, 'getOverview', {})).status, 200, 'another browser stays signed in');
});

test('a call from a foreign Origin is refused, even with the cookie', async () => {
  const res = await assertRefused(() => raw({ path: '/api/runPlan', headers: json({ Origin: 'http://evil.example' }), body: JSON.stringify({ planId, confirm: true }) }), 403);
  assert.match(res.body, /another web site/);
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: json({ 'Sec-Fetch-Site': 'cross-site' }), body: JSON.stringify({ id: alertId }) }), 403);
});

test('a foreign Host header (DNS rebinding) is refused', async () => {
  await assertRefused(() => raw({ path: '/api/runPlan', headers: json({ Host: `evil.example:${new URL(stack.origin).port}` }), body: JSON.stringify({ planId, confirm: true }) }), 403);
  await assertRefused(() => raw({ path: '/api/runPlan', headers: json({ Host: '127.0.0.1:1' }), body: JSON.stringify({ planId, confirm: true }) }), 403);
});

test('a malformed payload is refused: bad JSON, a wrong field, a runPlan without confirm', async () => {
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: json(), body: '{"id": ' }), 400);
  const wrong = await assertRefused(() => raw({ path: '/api/snoozeAlert', headers: json(), body: JSON.stringify({ id: alertId, until: 'tomorrow' }) }), 400);
  assert.match(JSON.parse(wrong.body).error.message, /until/);
  await assertRefused(() => raw({ path: '/api/runPlan', headers: json(), body: JSON.stringify({ planId }) }), 400);
  await assertRefused(() => raw({ path: '/api/runPlan', headers: json(), body: JSON.stringify({ planId, confirm: true, extra: 1 }) }), 400);
  await assertRefused(() => raw({ path: '/api/ackAlert', headers: json({ 'Content-Type': 'text/plain' }), body: JSON.stringify({ id: alertId }) }), 415);
});

test('an unknown method is refused', async () => {
  const res = await assertRefused(() => raw({ path: '/api/deleteEverything', headers: json(), body: '{}' }), 404);
  assert.equal(JSON.parse(res.body).ok, false);
  await assertRefused(() => raw({ path: '/api/__proto__', headers: json(), body: '{}' }), 404);
  await assertRefused(() => raw({ method: 'GET', path: '/api/runPlan', headers: json() }), 405);
});

test('an oversize body is refused', async () => {
  const big = Buffer.alloc(13 * 1024 * 1024, 0x20);
  const res = await assertRefused(() => raw({ path: '/api/verifyFeed', headers: { ...json(), 'Content-Length': String(big.length) }, body: big }), 413);
  assert.equal(res.status, 413);
});

test('every answer carries the strict CSP and no CORS header', async () => {
  for (const res of [
    await raw({ method: 'GET', path: '/', headers: { Host: new URL(stack.origin).host } }),
    await raw({ path: '/api/getOverview', headers: json(), body: '{}' }),
    await raw({ path: '/api/nope', headers: json(), body: '{}' }),
  ]) {
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  }
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'; script-src 'self'; style-src 'self'/);
  const api = await raw({ path: '/api/getOverview', headers: json(), body: '{}' });
  assert.equal(api.headers['cache-control'], 'no-store');
  const page = await raw({ method: 'GET', path: '/', headers: { Host: new URL(stack.origin).host } });
  assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i, 'index.html has inline script, style or handlers');
});

test('static files are served only from the allowlist (no traversal)', async () => {
  const host = new URL(stack.origin).host;
  assert.equal((await raw({ method: 'GET', path: '/js/app.js', headers: { Host: host } })).status, 200);
  for (const path of ['/js/../../package.json', '/js/%2e%2e/%2e%2e/package.json', '/package.json', '/js/APP.JS']) {
    assert.equal((await raw({ method: 'GET', path, headers: { Host: host } })).status, 404, path);
  }
});
