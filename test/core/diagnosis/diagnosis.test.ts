import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { diagnose, diagnosisFor, diagnoseEvents, diagnoseLogEntries, LINKS } from '../../../main/core/diagnosis/diagnosis.js';
import { DIAGNOSIS_CODES, type Diagnosis, type DiagnosisCode, type LogEntry } from '../../../main/core/model.js';
import { parseMitigationLog } from '../../../main/core/parsers/mitigation-log.js';
import { parseGetWinEventJson } from '../../../main/core/parsers/events.js';
import { fixture } from '../../support/paths.js';

interface Case {
  code: DiagnosisCode;
  name: string;
  text: string;
  details?: Record<string, unknown>;
}

const cases = JSON.parse(readFileSync(fixture('diagnosis', 'cases.json'), 'utf8')) as Case[];

function assertComplete(d: Diagnosis): void {
  assert.ok(DIAGNOSIS_CODES.includes(d.code), `code ${d.code}`);
  assert.ok(d.title.length > 10, 'title');
  assert.ok(d.explanation.length > 40, 'explanation');
  assert.ok(d.fix.length >= 2 && d.fix.every((step) => step.trim().length > 10), 'fix steps');
  assert.ok(d.links.length >= 1 && d.links.every((link) => link.startsWith('https://')), 'links');
  assert.equal(typeof d.details, 'object');
}

test('the fixture table covers every diagnosis code with several texts', () => {
  for (const code of DIAGNOSIS_CODES) {
    assert.ok(cases.filter((c) => c.code === code).length >= 4, `at least 4 cases for ${code}`);
  }
});

for (const c of cases) {
  test(`${c.code}: ${c.name}`, () => {
    const d = diagnose(c.text);
    assert.equal(d.code, c.code, `got ${d.code}: ${JSON.stringify(d.details)}`);
    for (const [key, value] of Object.entries(c.details ?? {})) {
      assert.deepEqual(d.details[key], value, `details.${key}`);
    }
    assertComplete(d);
    if (d.code === 'unknown') assert.equal(d.details.text, c.text, 'unknown keeps the whole original text');
  });
}

test('precedence: the specific cause wins over the generic wrapper', () => {
  const generic = 'Exception encountered while fetching mitigations : System.AggregateException: One or more errors occurred.';
  const table: Array<[string, DiagnosisCode]> = [
    [`${generic} ---> System.Net.WebException: Could not establish trust relationship for the SSL/TLS secure channel.`, 'tls-chain'],
    [`${generic} This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft`, 'signing-cert'],
    [`${generic} The revocation function was unable to check revocation because the revocation server was offline.`, 'revocation'],
    [`Connection attempted against untrusted endpoint. ${generic}`, 'untrusted-endpoint'],
    [`${generic} ---> System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.`, 'proxy'],
    [`${generic} ---> System.Net.WebException: The remote name could not be resolved: 'officeclient.microsoft.com'`, 'network'],
    // TLS failure seen through a proxy: TLS inspection, so tls-chain (with the proxy noted).
    ['Using Proxy http://10.0.0.10:8080/ To Fetch Configurations. TLS certificate or its chain validation failed', 'tls-chain'],
    // Revocation is the root cause of the signing-cert refusal.
    ["This XML is not deemed safe to consume since Response xml's signing cert is invalid. RevocationStatusUnknown", 'revocation'],
  ];
  for (const [text, code] of table) assert.equal(diagnose(text).code, code, text);
});

test('a 4999 of the mitigation service is a crash naming the exception; of another process it is not', () => {
  const ours = diagnose(
    'Watson report about to be sent for process id: 5120, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.043, MSExchangeMitigation, Microsoft.Exchange.Mitigation.Service, ..., System.OutOfMemoryException, ..., 15.02.1748.043.\nErrorReportingEnabled: False',
  );
  assert.equal(ours.code, 'crash');
  assert.equal(ours.details.exception, 'System.OutOfMemoryException');
  assert.match(ours.title, /OutOfMemoryException/);
  assert.match(ours.explanation, /memory/i);
  assert.ok(ours.fix.some((step) => /(Start|Restart)-Service MSExchangeMitigation/.test(step)));

  const other = diagnose(
    'Watson report about to be sent for process id: 10072, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.043, MSExchangeTransport, M.Exchange.Transport, M.E.T.Foo.Bar, System.NullReferenceException, 1b3c, 15.02.1748.043.',
  );
  assert.equal(other.code, 'unknown');
  assert.equal(other.details.process, 'MSExchangeTransport');
  assert.match(other.explanation, /MSExchangeTransport/);
  assert.match(other.explanation, /not of the Emergency Mitigation service/);
});

test('the fix steps carry the concrete commands of each failure', () => {
  const fixOf = (code: DiagnosisCode, details?: Record<string, unknown>) => diagnosisFor(code, details).fix.join('\n');
  assert.match(fixOf('proxy'), /Set-ExchangeServer -Identity <server> -InternetWebProxy http:\/\/proxy:port/);
  assert.match(fixOf('proxy'), /netsh winhttp set proxy proxy:port/);
  assert.match(fixOf('tls-chain'), /Exclude officeclient\.microsoft\.com from SSL\/TLS inspection/);
  assert.match(fixOf('revocation'), /TCP 80/);
  assert.match(fixOf('revocation'), /ctldl\.windowsupdate\.com/);
  assert.match(fixOf('signing-cert'), /ctldl\.windowsupdate\.com/);
  assert.match(fixOf('untrusted-endpoint'), /latest Cumulative Update and the latest Security Update/);
  assert.match(fixOf('crash'), /Restart-Service MSExchangeMitigation/);
  const network = fixOf('network');
  assert.match(network, /Stop-Service MSExchangeMitigation/);
  assert.match(network, /Set-Service MSExchangeMitigation -StartupType Disabled/);
  assert.match(network, /MitigationsEnabled \$false does NOT stop the hourly fetch/);
  assert.match(network, /acknowledge or snooze this alert, or remove the server from the watched servers/);
});

test("Microsoft's links go with the right diagnosis", () => {
  assert.ok(diagnosisFor('untrusted-endpoint').links.includes(LINKS.blogUntrustedEndpoint));
  assert.ok(diagnosisFor('untrusted-endpoint').links.includes(LINKS.buildNumbers));
  for (const code of DIAGNOSIS_CODES) {
    assert.ok(diagnosisFor(code).links.includes(LINKS.learnEm), `${code} links the Learn EM page`);
  }
  for (const code of ['tls-chain', 'network', 'proxy', 'revocation'] as const) {
    assert.ok(diagnosisFor(code).links.includes('https://aka.ms/HelpConnectivityEEMS'), code);
  }
});

test('diagnosisFor returns the catalogue entry with the details it was given', () => {
  for (const code of DIAGNOSIS_CODES) {
    const d = diagnosisFor(code, { server: 'EX07' });
    assert.equal(d.code, code);
    assert.equal(d.details.server, 'EX07');
    assertComplete(d);
  }
  const proxied = diagnosisFor('proxy', { proxy: 'http://10.0.0.10:8080/', server: 'EX01' });
  assert.ok(proxied.fix.includes('Set the Exchange proxy: Set-ExchangeServer -Identity EX01 -InternetWebProxy http://10.0.0.10:8080'));
  assert.ok(proxied.fix.includes('Set the same proxy for WinHTTP: netsh winhttp set proxy 10.0.0.10:8080'));
  assert.equal(diagnosisFor('no-such-code' as DiagnosisCode).code, 'unknown');
});

test('a whole log: every failure once, the generic Error line explained by its cycle', () => {
  const { entries } = parseMitigationLog(readFileSync(fixture('samples', 'mitigation-service.log'), 'utf8'));
  const found = diagnoseLogEntries(entries).map(({ entry, diagnosis }) => [entry.line, diagnosis.code, diagnosis.details.proxy]);
  assert.deepEqual(found, [
    [10, 'tls-chain', 'http://10.0.0.10:8080/'],
    [11, 'tls-chain', 'http://10.0.0.10:8080/'],
    [26, 'signing-cert', 'http://10.0.0.10:8080/'],
    [30, 'untrusted-endpoint', 'http://10.0.0.10:8080/'],
    [31, 'untrusted-endpoint', 'http://10.0.0.10:8080/'],
  ]);
});

test('a generic error with nothing before it in its cycle stays unknown, text kept', () => {
  const entry = (line: number, level: LogEntry['level'], message: string): LogEntry => ({
    time: '2026-07-01T06:00:02.100Z', server: 'EX02', operation: 'FetchMitigation', level, message, source: null, line,
  });
  const result = diagnoseLogEntries([
    entry(1, 'Information', 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations'),
    entry(2, 'Warning', 'Connection attempted against untrusted endpoint'),
    entry(3, 'Information', 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations'),
    entry(4, 'Error', 'Exception encountered while fetching mitigations : One or more errors occurred.'),
    entry(5, 'Warning', 'MitigationsEnabled is False at organization level. Skipping apply'),
  ]);
  assert.deepEqual(result.map((r) => [r.entry.line, r.diagnosis.code]), [[2, 'untrusted-endpoint'], [4, 'unknown']]);
  assert.equal(result[1]?.diagnosis.details.text, 'Exception encountered while fetching mitigations : One or more errors occurred.');
});

test('an event export: 1008 and 4999 diagnosed, success events left out', () => {
  const { events } = parseGetWinEventJson(readFileSync(fixture('samples', 'events.getwinevent.json'), 'utf8'));
  const found = diagnoseEvents(events).map(({ event, diagnosis }) => [event.recordId, diagnosis.code, diagnosis.details.server]);
  assert.deepEqual(found, [
    [884177, 'tls-chain', 'EX01'],
    [884260, 'signing-cert', 'EX02'],
    [884390, 'crash', 'EX03'],
  ]);
});

test('diagnose never throws and always returns a complete diagnosis', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
      const d = diagnose(text);
      assertComplete(d);
      if (d.code === 'unknown') assert.equal(d.details.text, text);
    }),
    { numRuns: 400 },
  );
});

test('fragments of real messages in any order and any mangling: never throws, nothing dropped', () => {
  const fragments = cases.flatMap((c) => c.text.split(/(?<=[.:>])\s+/)).filter((f) => f.length > 0);
  const mangle = fc.constantFrom<(s: string) => string>(
    (s) => s,
    (s) => s.replace(/ /g, '  '),
    (s) => s.replace(/\n/g, '\r\n'),
    (s) => s.replace(/>/g, '&gt;'),
    (s) => s.replace(/'/g, "''"),
    (s) => `'S:Message=${s}'`,
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 8 }), mangle, fc.string({ maxLength: 20 }), (parts, fn, junk) => {
      const text = fn(parts.join(` ${junk} `));
      const d = diagnose(text);
      assertComplete(d);
      if (d.code === 'unknown') assert.equal(d.details.text, text);
    }),
    { numRuns: 300 },
  );
});

test('text with no words of any known failure is unknown and kept whole', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789 ,;:-_+=#\r\n\t'.split('')), maxLength: 200 }), (text) => {
      const d = diagnose(text);
      assert.equal(d.code, 'unknown');
      assert.equal(d.details.text, text);
    }),
  );
});

test('non-string input from an untyped caller still gives a diagnosis', () => {
  for (const value of [undefined, null, 42, { a: 1 }]) {
    const d = diagnose(value as unknown as string);
    assert.equal(d.code, 'unknown');
    assertComplete(d);
  }
});

test('huge and hostile pastes are classified and kept', () => {
  const huge = `${'a.'.repeat(200_000)} The remote name could not be resolved: 'officeclient.microsoft.com'`;
  assert.equal(diagnose(`The remote name could not be resolved: 'x' ${'b.'.repeat(100_000)}`).code, 'network');
  const d = diagnose(huge);
  // Past the scanned head: unknown, but the whole text is still there.
  assert.equal(d.code, 'unknown');
  assert.equal(d.details.text, huge);
});
