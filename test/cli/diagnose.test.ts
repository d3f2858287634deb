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

const K2_TEXT = "Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's leaf certificate is from unknown issuer or has EKU mismatch";

test('--file stops reading at its byte limit: /dev/zero is refused with the limit and the next step, exit 2', async () => {
  const { code, out, err } = await run('--file', '/dev/zero');
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /\/dev\/zero is larger than the 16 MiB limit of diagnose --file/);
  assert.match(err, /Get-Content <file> -Tail 20000/);
});

test('--file stops reading at its line limit: 200,001 lines are refused, 200,000 are read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-diagnose-limit-'));
  try {
    const over = join(dir, 'over.log');
    await writeFile(over, 'x\n'.repeat(200_001));
    const refused = await run('--file', over);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /has more than 200,000 lines, the limit of diagnose --file/);
    const within = join(dir, 'within.log');
    await writeFile(within, `${K2_TEXT}\n${'x\n'.repeat(199_998)}`);
    const read = await run('--file', within, '--json');
    assert.equal(read.code, 0, read.err);
    assert.equal((JSON.parse(read.out) as { diagnoses: Sourced[] }).diagnoses[0]?.code, 'build-too-old');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--state: a build-too-old diagnosis says whether the server is below the June 2026 update', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-diagnose-state-'));
  try {
    const state = JSON.parse(await readFile(fixture('pshost', 'state-two-servers.json'), 'utf8')) as { servers: { Name: string; ExSetupVersion: string }[] };
    // EX01 one SU older than the fixture's Jun26SU build.
    state.servers[0]!.ExSetupVersion = '15.02.1748.043';
    const file = join(dir, 'state.json');
    await writeFile(file, JSON.stringify(state));
    const below = await run('--text', K2_TEXT, '--state', file, '--server', 'EX01', '--json');
    assert.equal(below.code, 0, below.err);
    const d = JSON.parse(below.out) as Sourced;
    assert.equal(d.code, 'build-too-old');
    assert.equal(d.details.belowJun26SU, true);
    assert.equal(d.details.server, 'EX01');
    assert.match(d.explanation, /EX01 runs 15\.2\.1748\.43.*That is below Exchange 2019 CU15 Jun26SU \(15\.2\.1748\.46\): this is the cause/);
    const patched = JSON.parse((await run('--text', K2_TEXT, '--state', file, '--server', 'EX02', '--json')).out) as Sourced;
    assert.equal(patched.details.belowJun26SU, false);
    assert.match(patched.title, /although the build is recent enough/);
    // A log line names its server: the context follows the line's ServerName.
    const log = join(dir, 'MitigationService.LOG');
    await writeFile(log, `2026-07-15T09:00:03.402Z,EX01,FetchMitigation,S:LogLevel=Error;'S:Message=${K2_TEXT.replace("xml's", "xml''s")}'\r\n`);
    const fromLog = JSON.parse((await run('--file', log, '--state', file, '--json')).out) as { diagnoses: Sourced[] };
    assert.equal(fromLog.diagnoses[0]?.details.belowJun26SU, true);
    const unknown = await run('--text', K2_TEXT, '--state', file, '--server', 'EX99');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /--server EX99: the state file .* has no such server \(it has EX01, EX02\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
