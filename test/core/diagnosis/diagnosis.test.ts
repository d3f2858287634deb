import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { diagnose, diagnosisFor, diagnoseEvents, diagnoseLogEntries, LINKS } from '../../../main/core/diagnosis/diagnosis.js';
import { DIAGNOSIS_CODES, type Diagnosis, type DiagnosisCode, type EemsEvent, type LogEntry } from '../../../main/core/model.js';
import { parseMitigationLog } from '../../../main/core/parsers/mitigation-log.js';
import { parseGetWinEventJson } from '../../../main/core/parsers/events.js';
import { fixture } from '../../support/paths.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';

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

test('build-too-old (K2): the July 2026 text wins over signing-cert, and its fix is the June 2026 update, not trust-list or CRL steps', () => {
  const text = "Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's leaf certificate is from unknown issuer or has EKU mismatch";
  const d = diagnose(text);
  assert.equal(d.code, 'build-too-old');
  const fix = d.fix.join('\n');
  assert.match(fix, /June 2026 Security Update \(Jun26SU\)/);
  assert.doesNotMatch(fix, /ctldl|certutil|TCP 80|CRL|Import-Certificate/);
  assert.ok(d.links.includes(LINKS.buildNumbers));
  // The 2021/2022 wording is still the signing-certificate error, with its trust-list steps.
  const old = diagnose("Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft");
  assert.equal(old.code, 'signing-cert');
  assert.match(old.fix.join('\n'), /ctldl\.windowsupdate\.com/);
});

const JULY_TEXT = "An unexpected exception occurred.\r\nDiagnostic information: Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml's leaf certificate is from unknown issuer or has EKU mismatch";

test('build-too-old with the server: a server below Jun26SU is named as the cause, with the update it needs', () => {
  const knowledge = defaultKnowledgeBase();
  const d = diagnose(JULY_TEXT, { server: { Name: 'EX02', ExSetupVersion: '15.02.1748.043' }, knowledge });
  assert.equal(d.code, 'build-too-old');
  assert.equal(d.details.belowJun26SU, true);
  assert.equal(d.details.server, 'EX02');
  assert.equal(d.details.build, '15.2.1748.43');
  assert.deepEqual(d.details.requiredUpdate, { build: '15.2.1748.46', name: 'Exchange 2019 CU15 Jun26SU' });
  assert.match(d.explanation, /EX02 runs 15\.2\.1748\.43 \(Exchange 2019 CU15 Feb26SU\)\. That is below Exchange 2019 CU15 Jun26SU \(15\.2\.1748\.46\): this is the cause\./);
  assert.match(d.fix[0] ?? '', /^Install Exchange 2019 CU15 Jun26SU \(15\.2\.1748\.46\) or a later Security Update/);

  // A CU that never got a June 2026 update: below, whatever its SU.
  const cu13 = diagnose(JULY_TEXT, { server: { Name: 'EX13', ExSetupVersion: '15.2.1258.39' }, knowledge });
  assert.equal(cu13.details.belowJun26SU, true);
  assert.equal(cu13.details.requiredUpdate, undefined);
  assert.match(String(cu13.details.buildNote), /got no update from June 2026 on/);
});

test('build-too-old with the server: at or above Jun26SU the build is not blamed; with the CU only it cannot tell', () => {
  const knowledge = defaultKnowledgeBase();
  const patched = diagnose(JULY_TEXT, { server: { Name: 'EX01', ExSetupVersion: '15.2.1748.48' }, knowledge });
  assert.equal(patched.code, 'build-too-old');
  assert.equal(patched.details.belowJun26SU, false);
  assert.match(patched.explanation, /at or above the June 2026 update, so the build is not the cause/);
  assert.doesNotMatch(patched.fix.join('\n'), /^Install /m);

  const cuOnly = diagnose(JULY_TEXT, { server: { Name: 'EX04', AdminDisplayVersion: 'Version 15.2 (Build 1544.4)' }, knowledge });
  assert.equal(cuOnly.details.belowJun26SU, null);
  assert.equal(cuOnly.details.buildSource, 'AdminDisplayVersion');
  assert.match(cuOnly.explanation, /Only the CU is known/);

  const unknownBuild = diagnose(JULY_TEXT, { server: { Name: 'EX09' }, knowledge });
  assert.equal(unknownBuild.details.belowJun26SU, null);
  // Other codes are not touched by the server context.
  assert.equal(diagnose('The remote name could not be resolved', { server: { Name: 'EX02', ExSetupVersion: '15.2.1748.43' }, knowledge }).details.belowJun26SU, undefined);
});

test('a log and an event export diagnosed with server context: each line judged by its own server', () => {
  const knowledge = defaultKnowledgeBase();
  const servers: Record<string, { Name: string; ExSetupVersion: string }> = {
    EX01: { Name: 'EX01', ExSetupVersion: '15.2.1748.48' },
    EX02: { Name: 'EX02', ExSetupVersion: '15.2.1748.43' },
  };
  const contextFor = (name: string | null) => (name && servers[name.toUpperCase()] ? { server: servers[name.toUpperCase()]!, knowledge } : undefined);
  const line = (server: string, n: number) =>
    `2026-07-15T0${n}:00:03.402Z,${server},FetchMitigation,S:LogLevel=Error;'S:Message=Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml''s leaf certificate is from unknown issuer or has EKU mismatch';S:Source=Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine`;
  const { entries } = parseMitigationLog([line('EX01', 1), line('EX02', 2), line('EX77', 3)].join('\r\n'));
  const found = diagnoseLogEntries(entries, contextFor).map(({ diagnosis }) => [diagnosis.code, diagnosis.details.server, diagnosis.details.belowJun26SU]);
  assert.deepEqual(found, [['build-too-old', 'EX01', false], ['build-too-old', 'EX02', true], ['build-too-old', 'EX77', undefined]]);

  const event: EemsEvent = { recordId: 7, eventId: 1008, provider: 'MSExchange Mitigation Service', level: 'Error', time: '2026-07-15T02:00:03Z', machine: 'ex02.contoso.com', message: JULY_TEXT };
  const [fromEvent] = diagnoseEvents([event], contextFor);
  assert.equal(fromEvent?.diagnosis.details.belowJun26SU, true);
});
