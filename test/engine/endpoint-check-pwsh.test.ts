/**
 * "Can the server reach the mitigation endpoint?" for real (issue 13.6, issue 12): the bundled
 * test-endpoint.ps1 runs unchanged under PowerShell 7.6.10 through the production PowerShell host
 * and the simulated Exchange (Get-ExchangeServer gives each server's InternetWebProxy, Invoke-Command
 * runs the block "on the server"), and HttpClient fetches a real TLS endpoint on 127.0.0.1 directly
 * or through a real proxy (Debian's tinyproxy): open, asking for authentication, not answering.
 * The endpoint presents a trusted chain, a chain without its intermediate, and a certificate from
 * an unknown root as a TLS-inspecting proxy would; each answer is diagnosed with the 1008's codes.
 *
 * Verified here: .NET 10 on Linux under pwsh 7.6.10 (OpenSSL does the chain building; the test root
 * is trusted through SSL_CERT_FILE). Only on Windows: .NET Framework 4.8 under Windows PowerShell 5.1,
 * its wordings (endpoint-texts.ts marks them INFERRED), the WinHTTP registry value, real WinRM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedPowerShellHost } from '../../main/api/simulated-powershell.js';
import { diagnoseEndpointCheck } from '../../main/core/diagnosis/endpoint-diagnosis.js';
import type { EndpointCheck, HostPort } from '../../main/core/ports.js';
import { createFakeClock } from '../../main/engine/scheduler.js';
import { initLab, advanceLab, labPaths } from '../../main/lab/index.js';
import { assertPwsh, PWSH } from '../support/sim-exchange/sim-host.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { freePort, startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';

let root = '';
let labDir = '';
let pki: TestPki;
let caFile = '';
const servers: Server[] = [];
const endpoints: Record<'trusted' | 'partial' | 'inspecting', string> = { trusted: '', partial: '', inspecting: '' };
let openProxy: Tinyproxy;
let authProxy: Tinyproxy;
let deadProxyUrl = '';
let requests = 0;

/** An HTTPS endpoint on 127.0.0.1 answering 200 with `chain` as its certificate list. */
async function endpoint(key: string, chain: string): Promise<string> {
  const server = createServer({ key, cert: chain }, (req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<EOCS/>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/getexchangemitigations`;
}

/** Give the lab's servers the InternetWebProxy values of this test (null: none). */
async function setProxies(proxies: Record<string, string | null>): Promise<void> {
  const path = labPaths.state(labDir);
  const state = JSON.parse(await readFile(path, 'utf8')) as { servers: Array<{ Name: string; InternetWebProxy?: string | null }> };
  for (const server of state.servers) if (server.Name in proxies) server.InternetWebProxy = proxies[server.Name] ?? null;
  await writeFile(path, JSON.stringify(state, null, 2));
}

/** The PowerShell host over the simulated Exchange, asking the servers to fetch `url`. */
function hostFor(url: string): HostPort {
  return createSimulatedPowerShellHost(labDir, {
    clock: createFakeClock(new Date('2026-06-16T12:00:00Z')),
    pwsh: PWSH,
    host: { endpointUrl: url, timeoutMs: 90_000 },
    // .NET on Linux takes its trusted roots from OpenSSL, which reads SSL_CERT_FILE: the test root
    // only, as a server that trusts Microsoft's roots and not an inspecting proxy's.
    env: { SSL_CERT_FILE: caFile, SSL_CERT_DIR: join(root, 'no-cert-dir'), http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '', all_proxy: '', ALL_PROXY: '' },
  });
}

before(async () => {
  assertPwsh();
  root = await mkdtemp(join(tmpdir(), 'eems-endpoint-'));
  labDir = join(root, 'lab');
  await initLab(labDir, { scenario: 'demo' });
  await advanceLab(labDir, 2);
  pki = createTestPki();
  caFile = join(root, 'ca.pem');
  await writeFile(caFile, pki.root.certPem);
  endpoints.trusted = await endpoint(pki.tlsServer.keyPem, pki.tlsServer.certPem + pki.intermediate.certPem);
  endpoints.partial = await endpoint(pki.tlsServer.keyPem, pki.tlsServer.certPem);
  endpoints.inspecting = await endpoint(pki.tlsInspecting.keyPem, pki.tlsInspecting.certPem + pki.foreignRoot.certPem);
  openProxy = await startTinyproxy();
  authProxy = await startTinyproxy({ basicAuth: { user: 'eems', password: 'not-for-local-system' } });
  deadProxyUrl = `http://127.0.0.1:${await freePort()}/`;
  await setProxies({ EX01: null, EX02: openProxy.url, EX03: authProxy.url, EX04: deadProxyUrl, EX05: 'proxy.contoso.com:8080' });
});

after(async () => {
  await openProxy?.stop();
  await authProxy?.stop();
  for (const server of servers) server.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function expectUnreachable(check: EndpointCheck): void {
  assert.equal(check.reachable, false, JSON.stringify(check));
  assert.ok(check.error, 'an unreachable endpoint says why');
}

test('direct, trusted chain: reachable (200), no proxy; the endpoint was really fetched', async () => {
  const before = requests;
  const check = await hostFor(endpoints.trusted).testEndpoint('EX01');
  assert.deepEqual([check.server, check.reachable, check.statusCode, check.proxy, check.error, check.internetWebProxy], ['EX01', true, 200, null, null, null]);
  assert.equal(check.url, endpoints.trusted);
  const labNow = (JSON.parse(await readFile(labPaths.lab(labDir), 'utf8')) as { now: string }).now;
  assert.equal(check.checkedAt, new Date(labNow).toISOString(), 'checked at the lab clock (Get-Date of the simulated server)');
  assert.equal(diagnoseEndpointCheck(check), null);
  assert.equal(requests, before + 1);
});

test("through the server's InternetWebProxy (an open tinyproxy): reachable, and the proxy log shows the CONNECT", async () => {
  const check = await hostFor(endpoints.trusted).testEndpoint('EX02');
  assert.deepEqual([check.reachable, check.statusCode, check.proxy, check.internetWebProxy], [true, 200, openProxy.url, openProxy.url]);
  const port = new URL(endpoints.trusted).port;
  assert.ok((await openProxy.connects()).some((line) => line.startsWith(`CONNECT 127.0.0.1:${port} `)), (await openProxy.connects()).join('\n'));
});

test('a proxy that asks for authentication: not reachable, 407, diagnosed "proxy" with that proxy in the fix', async () => {
  const check = await hostFor(endpoints.trusted).testEndpoint('EX03');
  expectUnreachable(check);
  assert.match(check.error!, /proxy tunnel request to proxy .* failed with status code '407'/);
  const diagnosis = diagnoseEndpointCheck(check)!;
  assert.equal(diagnosis.code, 'proxy');
  assert.ok(diagnosis.fix.some((step) => step.includes(`Set-ExchangeServer -Identity EX03 -InternetWebProxy http://127.0.0.1:${authProxy.port}`)), diagnosis.fix.join('\n'));
});

test('a proxy that does not answer: not reachable, the refused connection named, diagnosed "proxy" (not the endpoint\'s fault)', async () => {
  const check = await hostFor(endpoints.trusted).testEndpoint('EX04');
  expectUnreachable(check);
  assert.equal(check.statusCode, null);
  assert.match(check.error!, /Connection refused/);
  assert.equal(diagnoseEndpointCheck(check)?.code, 'proxy');
});

test('an InternetWebProxy that is no http:// address: nothing fetched, the setting named', async () => {
  const before = requests;
  const check = await hostFor(endpoints.trusted).testEndpoint('EX05');
  expectUnreachable(check);
  assert.match(check.error!, /InternetWebProxy 'proxy\.contoso\.com:8080' is invalid: it is not an absolute http:\/\/ address/);
  assert.equal(requests, before);
});

test('direct, the intermediate missing: PartialChain, diagnosed "tls-chain"', async () => {
  const check = await hostFor(endpoints.partial).testEndpoint('EX01');
  expectUnreachable(check);
  assert.match(check.error!, /The SSL connection could not be established/);
  assert.match(check.error!, /errors in the certificate chain: PartialChain/);
  assert.equal(diagnoseEndpointCheck(check)?.code, 'tls-chain');
});

test('through the open proxy, a certificate from an unknown root (what a TLS-inspecting proxy shows): UntrustedRoot, "tls-chain"', async () => {
  const check = await hostFor(endpoints.inspecting).testEndpoint('EX02');
  expectUnreachable(check);
  assert.equal(check.proxy, openProxy.url);
  assert.match(check.error!, /errors in the certificate chain: UntrustedRoot/);
  const diagnosis = diagnoseEndpointCheck(check)!;
  assert.equal(diagnosis.code, 'tls-chain');
  assert.ok(diagnosis.fix.some((step) => /TLS inspection/i.test(step)), diagnosis.fix.join('\n'));
});

test('a server the lab does not have: the check is refused with a sentence, not a result', async () => {
  await assert.rejects(hostFor(endpoints.trusted).testEndpoint('EX99'), /EX99/);
});
