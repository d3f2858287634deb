import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTestPki, eocs, signXml, TEST_AT, type TestPki } from '../support/test-pki.js';
import { startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';
import { classifyFetchError, fetchAndVerifyFeed, fetchFeed } from '../../main/engine/feed-fetch.js';

let pki: TestPki;
let signed: string;
let good: HttpsServer;
let expired: HttpsServer;
let silent: NetServer;
// Real HTTP proxies on loopback (Debian's tinyproxy): one open, one that asks for Basic authentication.
let proxy: Tinyproxy;
let authProxy: Tinyproxy;
let closedPort = 0;
let body = '';
let status = 200;
const sockets = new Set<Socket>();

function listen(server: HttpsServer | NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let goodPort = 0;
let expiredPort = 0;
let silentPort = 0;

before(async () => {
  pki = createTestPki();
  signed = signXml(eocs([{ id: 'PING1' }]), pki.leaf, [pki.leaf, pki.intermediate, pki.root]);
  const handler = (_req: unknown, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' });
    res.end(body);
  };
  good = createHttpsServer({ key: pki.tlsServer.keyPem, cert: pki.tlsServer.certPem + pki.intermediate.certPem }, handler);
  expired = createHttpsServer({ key: pki.tlsServerExpired.keyPem, cert: pki.tlsServerExpired.certPem + pki.intermediate.certPem }, handler);
  // Accepts the connection and never says a word: the time-out case.
  silent = createNetServer((socket) => sockets.add(socket));
  proxy = await startTinyproxy();
  authProxy = await startTinyproxy({ basicAuth: { user: 'eems', password: 'not-the-password-given' } });
  goodPort = await listen(good);
  expiredPort = await listen(expired);
  silentPort = await listen(silent);
  const closed = createNetServer();
  closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});

after(async () => {
  for (const s of sockets) s.destroy();
  for (const server of [good, expired]) server.closeAllConnections();
  await Promise.all([proxy.stop(), authProxy.stop()]);
  await Promise.all([good, expired, silent].map((s) => new Promise((resolve) => s.close(resolve))));
});

const url = () => `https://127.0.0.1:${goodPort}/getexchangemitigations`;
const noEnvProxy = {};

test('a trusted endpoint returns the definitions XML', async () => {
  body = signed;
  status = 200;
  const result = await fetchFeed({ url: url(), ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(result.ok, true);
  assert.equal(result.ok && result.xml, signed);
});

test('an endpoint whose TLS chain is not trusted (TLS inspection, missing CA) is tls-chain', async () => {
  body = signed;
  const result = await fetchFeed({ url: url(), ca: [pki.foreignRoot.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.diagnosis.code, 'tls-chain');
  assert.match(String(!result.ok && result.diagnosis.details.errorCode), /UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
});

test('an expired TLS certificate is tls-chain (CERT_HAS_EXPIRED)', async () => {
  const result = await fetchFeed({ url: `https://127.0.0.1:${expiredPort}/`, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(!result.ok && result.diagnosis.code, 'tls-chain');
  assert.equal(!result.ok && result.diagnosis.details.errorCode, 'CERT_HAS_EXPIRED');
});

/** CONNECTs to the good endpoint that this proxy's log shows. */
async function tunnels(through: Tinyproxy): Promise<number> {
  return (await through.connects()).filter((line) => line.includes(`127.0.0.1:${goodPort}`)).length;
}

test('the configured proxy is used (a CONNECT through real tinyproxy) and the fetch succeeds through it', async () => {
  body = signed;
  status = 200;
  const before = await tunnels(proxy);
  const result = await fetchFeed({ url: url(), proxy: proxy.url, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(result.ok, true);
  assert.equal(result.ok && result.xml, signed);
  assert.equal(await tunnels(proxy), before + 1);
});

test("without a configured proxy the system's HTTPS_PROXY is used", async () => {
  body = signed;
  status = 200;
  const before = await tunnels(proxy);
  const result = await fetchFeed({ url: url(), proxy: null, ca: [pki.root.certPem], env: { HTTPS_PROXY: proxy.url }, timeoutMs: 5000 });
  assert.equal(result.ok, true);
  assert.equal(await tunnels(proxy), before + 1);
});

test('a proxy that wants authentication (tinyproxy BasicAuth, 407) is a proxy failure', async () => {
  const result = await fetchFeed({ url: url(), proxy: authProxy.url, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(!result.ok && result.diagnosis.code, 'proxy');
  assert.match(String(!result.ok && result.diagnosis.details.reason), /407/);
});

test('a proxy that refuses connections is a proxy failure, not a network one', async () => {
  const result = await fetchFeed({ url: url(), proxy: `http://127.0.0.1:${closedPort}`, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(!result.ok && result.diagnosis.code, 'proxy');
  assert.equal(!result.ok && result.diagnosis.details.errorCode, 'ECONNREFUSED');
});

test('a refused connection to the endpoint is a network failure', async () => {
  const result = await fetchFeed({ url: `https://127.0.0.1:${closedPort}/`, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  assert.equal(!result.ok && result.diagnosis.code, 'network');
  assert.equal(!result.ok && result.diagnosis.details.errorCode, 'ECONNREFUSED');
});

test('an endpoint that never answers is a network failure after the time-out', async () => {
  const result = await fetchFeed({ url: `https://127.0.0.1:${silentPort}/`, ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 300 });
  assert.equal(!result.ok && result.diagnosis.code, 'network');
  assert.equal(!result.ok && result.diagnosis.details.reason, 'time-out');
});

test('name resolution and proxy-name failures are classified from the error codes', () => {
  const dns = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND officeclient.microsoft.com'), { code: 'ENOTFOUND' }) });
  assert.equal(classifyFetchError(dns, { url: 'https://x', proxy: null, timedOut: false }).code, 'network');
  assert.equal(classifyFetchError(dns, { url: 'https://x', proxy: 'http://proxy.corp:8080', timedOut: false }).code, 'proxy');
});

test('an HTTP error status is reported with the status, not as valid XML', async () => {
  status = 503;
  body = 'busy';
  const result = await fetchFeed({ url: url(), ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000 });
  status = 200;
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.diagnosis.details.status, 503);
});

test('fetched fine but the signature would be refused: signing-cert, with the reasons', async () => {
  body = signed.replace('Test mitigation PING1.', 'Test mitigation PING9.');
  const bad = await fetchAndVerifyFeed({ url: url(), ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000, at: TEST_AT, extraTrustedRoots: [pki.root.certPem] });
  assert.equal(!bad.ok && bad.diagnosis.code, 'signing-cert');
  assert.deepEqual(!bad.ok && (bad.diagnosis.details.reasons as { code: string }[]).map((r) => r.code), ['signature-invalid']);
  body = signed;
  const okResult = await fetchAndVerifyFeed({ url: url(), ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000, at: TEST_AT, extraTrustedRoots: [pki.root.certPem] });
  assert.equal(okResult.ok, true);
  assert.equal(okResult.ok && okResult.verification.verdict, 'valid');
  // A file signed by a chain that is not Microsoft's is also the signing-cert failure.
  const untrusted = await fetchAndVerifyFeed({ url: url(), ca: [pki.root.certPem], env: noEnvProxy, timeoutMs: 5000, at: TEST_AT });
  assert.equal(!untrusted.ok && untrusted.diagnosis.code, 'signing-cert');
});
