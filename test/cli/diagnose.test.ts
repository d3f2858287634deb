import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../main/cli/main.js';
import type { CliIo } from '../../main/cli/cli-io.js';
import { fixture } from '../support/paths.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  const code = await main(['diagnose', ...args], io);
  return { code, out, err };
}

type Sourced = { code: string; title: string; explanation: string; fix: string[]; links: string[]; details: Record<string, unknown>; source: Record<string, unknown> };

async function runFile(path: string): Promise<Sourced[]> {
  const result = await run('--file', path, '--json');
  assert.equal(result.code, 0, result.err);
  assert.equal(result.err, '');
  const doc = JSON.parse(result.out) as { diagnoses: Sourced[] };
  assert.deepEqual(Object.keys(doc), ['diagnoses']);
  return doc.diagnoses;
}

const GRANIKOS_1008 =
  'An unexpected exception occurred.\r\nDiagnostic information: Exception encountered while fetching mitigations : System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: An error occurred while sending the request. ---> System.Net.WebException: The underlying connection was closed: Could not establish trust relationship for the SSL/TLS secure channel.';

test('--text --json prints exactly one diagnosis document of the contract', async () => {
  const { code, out, err } = await run('--text', GRANIKOS_1008, '--json');
  assert.equal(code, 0);
  assert.equal(err, '');
  const d = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(d).sort(), ['code', 'details', 'explanation', 'fix', 'links', 'title']);
  assert.equal(d.code, 'tls-chain');
  assert.ok(Array.isArray(d.fix) && d.fix.length > 0);
  assert.ok((d.links as string[]).includes('https://aka.ms/HelpConnectivityEEMS'));
});

test('--text for people: title, explanation, numbered fix steps, links', async () => {
  const { code, out } = await run('--text', 'System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.');
  assert.equal(code, 0);
  assert.match(out, /^The proxy blocks the mitigation fetch {2}\[proxy\]/);
  assert.match(out, /\nFix:\n {2}1\. /);
  assert.match(out, /netsh winhttp set proxy/);
  assert.match(out, /Set-ExchangeServer -Identity <server> -InternetWebProxy/);
  assert.match(out, /\nLinks:\n {2}https:\/\/learn\.microsoft\.com\/exchange\/exchange-emergency-mitigation-service/);
});

test('--text with an unknown message shows the message itself, never drops it', async () => {
  const text = 'Something nobody has seen before\r\non two lines';
  const human = await run('--text', text);
  assert.match(human.out, /\[unknown\]/);
  assert.match(human.out, /Something nobody has seen before\n {2}on two lines/);
  const json = JSON.parse((await run('--text', text, '--json')).out) as { details: { text: string } };
  assert.equal(json.details.text, text);
});

test('--file on the sample Mitigation Service log diagnoses every failure line', async () => {
  const found = await runFile(fixture('samples', 'mitigation-service.log'));
  assert.deepEqual(
    found.map((d) => [d.code, d.source.line]),
    [['tls-chain', 10], ['tls-chain', 11], ['signing-cert', 26], ['untrusted-endpoint', 30], ['untrusted-endpoint', 31]],
  );
  for (const d of found) {
    assert.ok(d.title && d.explanation && d.fix.length > 0 && d.links.length > 0);
    assert.equal(d.source.server, 'EX01');
  }
});

test('--file on a log of hourly failures keeps every repeat, skips non-failure warnings', async () => {
  const found = await runFile(fixture('diagnosis', 'hourly-failures.log'));
  assert.deepEqual(
    found.map((d) => [d.source.line, d.code]),
    [[9, 'proxy'], [13, 'proxy'], [17, 'proxy'], [20, 'network'], [23, 'network'], [26, 'untrusted-endpoint'], [27, 'untrusted-endpoint'], [34, 'unknown']],
  );
  assert.equal(found[0]?.details.proxy, 'http://proxy.contoso.com:3128/');
  assert.ok(found[0]?.fix.includes('Set the same proxy for WinHTTP: netsh winhttp set proxy proxy.contoso.com:3128'));
  assert.equal(found[3]?.details.host, 'officeclient.microsoft.com');
  assert.equal(found[7]?.details.text, 'Exception encountered while fetching mitigations : One or more errors occurred.');
});

test('--file on event exports (Get-WinEvent JSON, wevtutil XML) gives record ids', async () => {
  const json = await runFile(fixture('samples', 'events.getwinevent.json'));
  assert.deepEqual(json.map((d) => [d.code, d.source.recordId]), [['tls-chain', 884177], ['signing-cert', 884260], ['crash', 884390]]);
  assert.equal(json[2]?.details.exception, 'System.OutOfMemoryException');
  const xml = await runFile(fixture('samples', 'events.wevtutil.xml'));
  assert.deepEqual(xml.map((d) => [d.code, d.source.recordId]), [['tls-chain', 884177]]);
});

test('--file on an Application log export: other providers left out, crash of another process named', async () => {
  const found = await runFile(fixture('diagnosis', 'events-application.json'));
  assert.deepEqual(
    found.map((d) => [d.source.recordId, d.code]),
    [[901002, 'proxy'], [901003, 'network'], [901005, 'unknown'], [901006, 'crash'], [901007, 'crash']],
  );
  assert.equal(found[2]?.details.process, 'w3wp#MSExchangeOWAAppPool');
});

test('--file reads a UTF-16 export as PowerShell 5.1 Out-File writes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-diagnose-'));
  try {
    const text = await readFile(fixture('samples', 'events.getwinevent.json'), 'utf8');
    const path = join(dir, 'events-utf16.json');
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const found = await runFile(path);
    assert.deepEqual(found.map((d) => d.code), ['tls-chain', 'signing-cert', 'crash']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--file holding one pasted message (German stack trace, CRLF) gives one diagnosis', async () => {
  const found = await runFile(fixture('diagnosis', 'message-de-tls.txt'));
  assert.equal(found.length, 1);
  assert.equal(found[0]?.code, 'tls-chain');
  assert.deepEqual(found[0]?.source, { line: 1 });
});

test('--file on a log without errors: an empty list, and a sentence for people', async () => {
  assert.deepEqual(await runFile(fixture('diagnosis', 'no-errors.log')), []);
  const human = await run('--file', fixture('diagnosis', 'no-errors.log'));
  assert.equal(human.code, 0);
  assert.match(human.out, /^No errors found in .*no-errors\.log \(2 log lines read\)\./);
});

test('--file for people: each failure once in full, its hourly repeats in one line', async () => {
  const { code, out } = await run('--file', fixture('diagnosis', 'hourly-failures.log'));
  assert.equal(code, 0);
  assert.match(out, /^8 error\(s\) in /);
  assert.equal(out.match(/The proxy blocks the mitigation fetch {2}\[proxy\]\n/g)?.length, 1);
  assert.match(out, /Line 13 \(2026-07-01T07:00:02\.103Z, EX02\): The proxy blocks the mitigation fetch \[proxy\], as above\./);
  assert.match(out, /\[untrusted-endpoint\]/);
});

test('bad input: one line on stderr, exit 2, nothing on stdout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-diagnose-'));
  try {
    const cases: string[][] = [[], ['--json'], ['--text', '   '], ['--file', join(dir, 'missing.log')], ['--file', dir], ['--text', 'x', '--file', 'y'], ['--bogus']];
    for (const args of cases) {
      const { code, out, err } = await run(...args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(out, '');
      assert.equal(err.trim().split('\n').length, 1, err);
      assert.doesNotMatch(err, /\n\s+at /);
    }
    assert.match((await run('--file', join(dir, 'missing.log'))).err, /cannot read .*missing\.log: no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
