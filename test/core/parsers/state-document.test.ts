import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fixture } from '../../support/paths.js';
import {
  parseExchangeServerJson,
  parseOrganizationConfigJson,
  parseStateDocument,
} from '../../../main/core/parsers/state-document.js';

const json = (...parts: string[]): unknown => JSON.parse(readFileSync(fixture(...parts), 'utf8'));
const doc = (servers: unknown[]) => ({ collectedAt: '2026-11-27T10:00:00Z', organization: { MitigationsEnabled: true }, servers });

test('the contract state file is accepted as is, with an unreadable server defaulted to empty lists', () => {
  const result = parseStateDocument(json('parsers', 'state.json'));
  assert.ok(result.ok, result.ok ? '' : result.error);
  assert.deepEqual(result.warnings, []);
  const [ex01, ex02] = result.value.servers;
  assert.deepEqual(ex01!.MitigationsApplied, ['PING1', 'M2.1.0']);
  assert.equal(ex01!.RewriteRules[0]!.Location, 'Default Web Site/owa');
  assert.deepEqual([ex02!.MitigationsApplied, ex02!.RewriteRules, ex02!.AppPools], [[], [], []]);
  assert.match(ex02!.Error ?? '', /unreachable/);
});

test('Get-ExchangeServer JSON, both serialization shapes: the same servers', () => {
  const plain = parseExchangeServerJson(json('samples', 'get-exchangeserver.json'));
  assert.deepEqual(plain.warnings, []);
  assert.deepEqual(plain.servers.map((s) => [s.Name, s.AdminDisplayVersion, s.MitigationsApplied, s.MitigationsBlocked]), [
    ['EX01', 'Version 15.2 (Build 1748.10)', ['PING1', 'M2.1.0'], []],
    ['EX02', 'Version 15.2 (Build 1748.10)', ['PING1'], ['M2']],
    ['EX16-LEGACY', 'Version 15.1 (Build 2507.6)', ['PING1', 'M1.1'], []],
  ]);
  const snapin = parseExchangeServerJson(json('samples', 'get-exchangeserver.localsnapin-variant.json'));
  assert.equal(snapin.servers.length, 1, 'a single object is one server');
  assert.equal(snapin.servers[0]!.AdminDisplayVersion, 'Version 15.2 (Build 1748.10)');
  assert.deepEqual(snapin.warnings, ['[0].AdminDisplayVersion: a ServerVersion object; read as its string form.']);
});

test('MitigationsApplied as null, missing, one string, Format-List text or a MultiValuedProperty object', () => {
  const result = parseStateDocument(
    doc([
      { Name: 'A', MitigationsApplied: null },
      { Name: 'B' },
      { Name: 'C', MitigationsApplied: 'PING1' },
      { Name: 'D', MitigationsApplied: '{PING1, M2.1.0}' },
      { Name: 'E', MitigationsApplied: { value: ['M1.1'], Count: 1 } },
    ]),
  );
  assert.ok(result.ok);
  assert.deepEqual(result.value.servers.map((s) => s.MitigationsApplied), [[], [], ['PING1'], ['PING1', 'M2.1.0'], ['M1.1']]);
  // null and missing are the documented "nothing applied": no warning. Every rewrite is warned.
  assert.deepEqual(result.warnings, [
    'servers[2].MitigationsApplied: a single string instead of a list; read as ["PING1"].',
    'servers[3].MitigationsApplied: a single string instead of a list; read as ["PING1", "M2.1.0"].',
    'servers[4].MitigationsApplied: a MultiValuedProperty object; read its value list.',
  ]);
});

test('errors name the exact field', () => {
  const bad = parseStateDocument(doc([{ Name: 'EX01' }, { Name: 'EX02', MitigationsApplied: [1] }]));
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /^servers\[1\]\.MitigationsApplied\[0\]: expected string, received number\./);
  const noName = parseStateDocument(doc([{ MitigationsApplied: [] }]));
  assert.match(noName.ok ? '' : noName.error, /^servers\[0\]\.Name: /);
  const time = parseStateDocument({ ...doc([]), collectedAt: 'soon' });
  assert.match(time.ok ? '' : time.error, /^collectedAt: not a readable ISO 8601 time/);
  const enabled = parseStateDocument(doc([{ Name: 'EX01', MitigationsEnabled: 'maybe' }]));
  assert.match(enabled.ok ? '' : enabled.error, /^servers\[0\]\.MitigationsEnabled: /);
  assert.match((parseStateDocument([]) as { error: string }).error, /must be a JSON object, got an array/);
});

test('"True"/"False" text for a boolean is read, with a warning', () => {
  const result = parseStateDocument({ ...doc([{ Name: 'EX01', MitigationsEnabled: 'False' }]), organization: { MitigationsEnabled: 'True' } });
  assert.ok(result.ok);
  assert.equal(result.value.organization.MitigationsEnabled, true);
  assert.equal(result.value.servers[0]!.MitigationsEnabled, false);
  assert.equal(result.warnings.length, 2);
});

test('Get-OrganizationConfig JSON', () => {
  assert.deepEqual(parseOrganizationConfigJson(json('samples', 'get-organizationconfig.json')), { MitigationsEnabled: true });
  assert.deepEqual(parseOrganizationConfigJson([{ MitigationsEnabled: false }]), { MitigationsEnabled: false });
  assert.deepEqual(parseOrganizationConfigJson({}), { MitigationsEnabled: null });
  assert.deepEqual(parseOrganizationConfigJson('nonsense'), { MitigationsEnabled: null });
});

test('property: any JSON value gives a result or a named error, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.record({ collectedAt: fc.string(), organization: fc.jsonValue(), servers: fc.array(fc.jsonValue()) })), (value) => {
      const result = parseStateDocument(value);
      if (!result.ok) assert.ok(result.error.length > 0);
      parseExchangeServerJson(value);
      parseOrganizationConfigJson(value);
    }),
    { numRuns: 400 },
  );
});

test('K10 fields: InternetWebProxy as Windows PowerShell 5.1 writes a System.Uri, ExchangeInstallPath and MitigationsAppliedTime pass; a bad time is refused by name', () => {
  // What 5.1's ConvertTo-Json makes of [System.Uri]'http://10.0.0.10:8080/' (abridged).
  const uriObject = { AbsolutePath: '/', AbsoluteUri: 'http://10.0.0.10:8080/', Host: '10.0.0.10', Port: 8080, OriginalString: 'http://10.0.0.10:8080', IsAbsoluteUri: true };
  const server = (extra: Record<string, unknown>) => ({ Name: 'EX01', MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null, ...extra });
  const ok = parseStateDocument(doc([server({ InternetWebProxy: uriObject, ExchangeInstallPath: 'D:\\Exchange Server\\V15\\', MitigationsAppliedTime: '2026-12-01T10:00:13Z' })]));
  assert.ok(ok.ok, ok.ok ? '' : ok.error);
  assert.equal(ok.value.servers[0]!.InternetWebProxy, 'http://10.0.0.10:8080/');
  assert.equal(ok.value.servers[0]!.ExchangeInstallPath, 'D:\\Exchange Server\\V15\\');
  assert.equal(ok.value.servers[0]!.MitigationsAppliedTime, '2026-12-01T10:00:13Z');
  const onlyOriginal = parseStateDocument(doc([server({ InternetWebProxy: { OriginalString: 'http://proxy:3128' } })]));
  assert.ok(onlyOriginal.ok);
  assert.equal(onlyOriginal.value.servers[0]!.InternetWebProxy, 'http://proxy:3128');
  const bad = parseStateDocument(doc([server({ MitigationsAppliedTime: 'yesterday' })]));
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : '', /MitigationsAppliedTime/);
});
