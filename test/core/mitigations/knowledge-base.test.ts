import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nameBuild, parseBuild, productOf, serverBuild } from '../../../main/core/mitigations/builds.js';
import { judgeEvidence } from '../../../main/core/mitigations/evidence.js';
import {
  applyKnowledgeOverride,
  defaultKnowledgeBase,
  familyMatches,
  findMitigation,
  type MitigationEntry,
} from '../../../main/core/mitigations/knowledge-base.js';
import type { ServerState } from '../../../main/core/model.js';
import { fixture } from '../../support/paths.js';

const kb = defaultKnowledgeBase();
const readJson = (...parts: string[]): unknown => JSON.parse(readFileSync(fixture('kb', ...parts), 'utf8'));

// Every row of eems-domain.md section 7, plus Sep26SU and its Oct 2 2026 re-release (K11): CU line -> revisions (the first one is the CU itself).
const SECTION_7: Record<string, number[]> = {
  '15.2.2562': [17, 20, 27, 29, 35, 37, 41, 43, 45, 46, 49, 53],
  '15.2.922': [7, 13, 14, 19, 20, 27],
  '15.2.986': [5, 9, 14, 15, 22, 26, 29, 30, 36, 37, 41, 42],
  '15.2.1118': [7, 9, 12, 15, 20, 21, 25, 26, 30, 36, 37, 39, 40],
  '15.2.1258': [12, 16, 23, 25, 27, 28, 32, 34, 38, 39],
  '15.2.1544': [4, 9, 11, 13, 14, 25, 27, 33, 34, 36, 37, 39, 41, 43, 44, 46, 48],
  '15.2.1748': [10, 24, 26, 36, 37, 39, 42, 43, 46, 48, 49, 51, 53],
  '15.1.2308': [8, 14, 15, 20, 21, 27],
  '15.1.2375': [7, 12, 17, 18, 24, 28, 31, 32, 37],
  '15.1.2507': [6, 9, 12, 13, 16, 17, 21, 23, 27, 31, 32, 34, 35, 37, 39, 43, 44, 55, 57, 58, 59, 61, 63, 66, 69, 71, 72, 73, 75],
};

function server(fields: Partial<ServerState>): ServerState {
  return { Name: 'EX01', MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null, ...fields };
}

test('the shipped knowledge base is versioned', () => {
  assert.equal(kb.versions.schemaVersion, 2);
  assert.match(kb.versions.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.match(kb.versions.builds, /\S/);
  assert.match(kb.versions.mitigations, /\S/);
  assert.equal(kb.versions.override, null);
});

test('builds.json holds every row of the build table of section 7, and nothing else', () => {
  const expected = Object.entries(SECTION_7).flatMap(([line, revs]) => revs.map((r) => `${line}.${r}`)).sort();
  const actual = kb.builds.map((r) => r.build).sort();
  assert.deepEqual(actual, expected);
  assert.equal(new Set(actual).size, actual.length, 'no duplicate build');
});

test('every build row is dated 2021-2026, has its product right, and names itself exactly', () => {
  for (const row of kb.builds) {
    assert.match(row.date, /^202[1-6]-\d\d-\d\d$/, row.build);
    assert.ok(!Number.isNaN(Date.parse(row.date)), row.build);
    const build = parseBuild(row.build)!;
    assert.equal(productOf(build), row.product, row.build);
    const name = nameBuild(build, kb);
    assert.equal(name.exact, true, row.build);
    assert.equal(name.cu, row.cu, row.build);
  }
  const byBuild = new Map(kb.builds.map((r) => [r.build, r]));
  assert.deepEqual(byBuild.get('15.2.1748.46'), { ...byBuild.get('15.2.1748.46'), product: 'Exchange 2019', cu: 'CU15', update: 'Jun26SU', date: '2026-06-09' });
  assert.equal(byBuild.get('15.2.2562.17')?.date, '2025-07-01');
  assert.equal(byBuild.get('15.1.2507.44')?.date, '2024-11-27');
  assert.equal(byBuild.get('15.2.1118.37')?.update, 'Aug23SUv2');
  assert.equal(byBuild.get('15.2.1118.37')?.date, '2023-08-15');
  assert.equal(byBuild.get('15.1.2375.7')?.date, '2021-09-28');
  assert.match(byBuild.get('15.2.1748.42')?.note ?? '', /ESU/);
  // K11: Sep26SU rows and the October 2 re-release ("v2"), third-party, with their marks.
  for (const [b, update] of [['15.2.2562.49', 'Sep26SU'], ['15.2.1748.51', 'Sep26SU'], ['15.2.1544.46', 'Sep26SU'], ['15.1.2507.73', 'Sep26SU'], ['15.2.2562.53', 'Sep26SUv2'], ['15.2.1748.53', 'Sep26SUv2'], ['15.2.1544.48', 'Sep26SUv2'], ['15.1.2507.75', 'Sep26SUv2']] as const) {
    const row = byBuild.get(b)!;
    assert.deepEqual([row.update, row.source], [update, 'third-party'], b);
    assert.match(row.note ?? '', /\[3RD-PARTY\]/, b);
  }
  assert.match(byBuild.get('15.2.2562.53')?.note ?? '', /re-release of October 2, 2026/);
  assert.ok(!kb.builds.some((r) => /CVE-2026-96940 fix/.test(r.update ?? '')));
});

test('each CU line has its CU row (update null)', () => {
  for (const line of Object.keys(SECTION_7)) {
    const rows = kb.builds.filter((r) => r.build.startsWith(`${line}.`));
    assert.equal(rows.filter((r) => r.update === null).length, 1, line);
  }
});

test('PING1 is the heartbeat: no CVE, no artefact, no fix', () => {
  const ping = findMitigation(kb, 'PING1')!;
  assert.equal(ping.kind, 'heartbeat');
  assert.equal(ping.cve, null);
  assert.deepEqual([ping.artefacts, ping.lines], [[], []]);
});

test('M1: CVE-2022-41040, fixed by the Nov22SU builds, one inbound rule on Default Web Site', () => {
  const m1 = findMitigation(kb, 'M1')!;
  assert.equal(m1.cve, 'CVE-2022-41040');
  assert.equal(m1.appliedAs, 'M1.1');
  const fixed = m1.lines.map((l) => l.fixedIn.map((c) => c.build));
  assert.deepEqual(fixed, [['15.0.1497.44'], ['15.1.2375.37'], ['15.1.2507.16'], ['15.2.986.36'], ['15.2.1118.20']]);
  // M1: fixedIn = removableFrom = the Nov22SU builds (EOMTv2's thresholds).
  assert.deepEqual(m1.lines.map((l) => l.removableFrom.map((c) => c.build)), fixed);
  for (const l of m1.lines.filter((x) => x.product !== 'Exchange 2013')) assert.equal(nameBuild(parseBuild(l.fixedIn[0]!.build)!, kb).update, 'Nov22SU');
  assert.deepEqual(m1.artefacts.map((a) => [a.name, a.type === 'rewrite-rule' ? a.appliedBy : '']), [
    ['EEMS M1.1 PowerShell - inbound', 'EEMS'],
    ['PowerShell - inbound', 'EOMT'],
  ]);
  assert.match(m1.userImpact, /PowerShell/);
  assert.match(m1.userImpact, /autodiscover/i);
  assert.match(m1.userImpact, /abort/i);
});

test('M2: CVE-2026-42897, fixed by the Jun26SU builds, outbound rule plus preCondition in the OWA web.config', () => {
  const m2 = findMitigation(kb, 'M2')!;
  assert.equal(m2.cve, 'CVE-2026-42897');
  assert.equal(m2.appliedAs, 'M2.1.x');
  assert.deepEqual(m2.lines.map((l) => l.fixedIn[0]!.build), ['15.1.2507.69', '15.2.1544.41', '15.2.1748.46', '15.2.2562.43']);
  for (const l of m2.lines) assert.equal(nameBuild(parseBuild(l.fixedIn[0]!.build)!, kb).update, 'Jun26SU');
  // K1: removable only from Jul26SU.
  const removable = m2.lines.map((l) => l.removableFrom.map((c) => c.build).filter((b) => b !== null));
  assert.deepEqual(removable, [['15.1.2507.71'], ['15.2.1544.43'], ['15.2.1748.48'], ['15.2.2562.45']]);
  for (const [b] of removable) assert.equal(nameBuild(parseBuild(b!)!, kb).update, 'Jul26SU');
  assert.deepEqual(m2.artefacts.map((a) => [a.type, a.name, a.type === 'rewrite-rule' ? a.direction : '', a.type === 'rewrite-rule' ? a.appliedBy : '']), [
    ['rewrite-rule', 'EEMS M2.1 OWA CSP - outbound', 'outbound', 'EEMS'],
    ['rewrite-rule', 'EEMS M2.1 OWA SPA HTML shell - precondition', 'precondition', 'EEMS'],
    ['rewrite-rule', 'EOMT OWA CSP - outbound', 'outbound', 'EOMT'],
    ['rewrite-rule', 'EOMT OWA SPA HTML shell - precondition', 'precondition', 'EOMT'],
  ]);
  for (const a of m2.artefacts) {
    assert.ok(a.type === 'rewrite-rule');
    assert.equal(a.location, 'Default Web Site/owa');
    assert.equal(a.configFile, 'web.config');
  }
  // K6: Microsoft's known issues and the IE caveat.
  for (const issue of [/calendar printing/, /inline images/, /OWA Light/, /published calendars \(HTTP 500\)/, /OWACalendar\.Proxy/, /Internet Explorer and IE mode are not protected/, /script-src-attr 'none'/]) {
    assert.match(m2.userImpact, issue);
  }
  assert.ok(m2.rollback.some((s) => s.includes('Remove-WebConfigurationProperty')));
  assert.ok(m2.links.length > 0 && m2.protectsAgainst.includes('CVE-2026-42897'));
});

test('findMitigation takes family IDs and applied IDs, never a longer family', () => {
  assert.equal(findMitigation(kb, 'M2')?.id, 'M2');
  assert.equal(findMitigation(kb, 'M2.1.0')?.id, 'M2');
  assert.equal(findMitigation(kb, 'm2.1')?.id, 'M2');
  assert.equal(findMitigation(kb, 'M1.1')?.id, 'M1');
  assert.equal(findMitigation(kb, 'PING1')?.id, 'PING1');
  assert.equal(findMitigation(kb, 'M21.0'), null);
  assert.equal(findMitigation(kb, 'M21'), null);
  assert.equal(findMitigation(kb, 'PING12'), null);
  assert.equal(findMitigation(kb, 'X'), null);
});

test('familyMatches: M2 matches M2, M2.1, M2.1.0 but not M21.0', () => {
  assert.ok(familyMatches('M2', 'M2'));
  assert.ok(familyMatches('M2', 'M2.1'));
  assert.ok(familyMatches('M2', 'M2.1.0'));
  assert.ok(familyMatches('m2', ' M2.1.0 '));
  assert.ok(!familyMatches('M2', 'M21.0'));
  assert.ok(!familyMatches('M2', 'M21'));
  assert.ok(!familyMatches('M2.1.0', 'M2'));
});

test('defaultKnowledgeBase hands out copies: changing one does not change the next', () => {
  const a = defaultKnowledgeBase();
  a.mitigations.length = 0;
  a.builds[0]!.update = 'changed';
  const b = defaultKnowledgeBase();
  assert.ok(b.mitigations.length >= 3);
  assert.notEqual(b.builds[0]!.update, 'changed');
});

test('an override replaces fields by id/build and adds complete new entries', () => {
  const result = applyKnowledgeOverride(kb, readJson('overrides', 'good.json'));
  assert.ok(result.ok, result.ok ? '' : result.error);
  const merged = result.value;
  assert.equal(merged.versions.override, 'test-override-1');
  const m2 = findMitigation(merged, 'M2.1.0')!;
  assert.match(m2.userImpact, /Changed by the override/);
  assert.deepEqual(m2.lines, findMitigation(kb, 'M2')!.lines, 'fields not given are kept');
  const m9 = findMitigation(merged, 'M9.1') as MitigationEntry;
  assert.deepEqual(m9.artefacts.map((a) => a.type), ['app-pool', 'service']);
  assert.equal(nameBuild(parseBuild('15.2.1748.57')!, merged).label, 'Exchange 2019 CU15 Dec26SU');
  assert.equal(merged.builds.find((r) => r.build === '15.2.1748.57')?.source, 'user');
  const replaced = merged.builds.find((r) => r.build === '15.2.1748.46')!;
  assert.deepEqual([replaced.update, replaced.note], ['Jun26SU', 'Replaced note only.']);
  assert.equal(kb.builds.length + 1, merged.builds.length);
  assert.equal(findMitigation(kb, 'M9'), null, 'the base is not changed');
  assert.doesNotMatch(findMitigation(kb, 'M2')!.userImpact, /override/);
});

test('a malformed override is refused with the exact field at fault', () => {
  const cases: [string, string][] = [
    ['bad-fixed-build.json', 'mitigations[1].lines[0].fixedIn[0].build: expected a build like "15.2.1748.46"'],
    ['bad-schema-version.json', 'schemaVersion: this file has another schema version; EEMS Watch reads schemaVersion 2'],
    ['bad-new-incomplete.json', "mitigations[0].title: required, because mitigation 'M9' is not in the knowledge base yet"],
    ['bad-build-date.json', 'builds[0].date: expected a date like "2026-06-09"'],
    ['bad-artefact-type.json', 'mitigations[0].artefacts[0].type: '],
    ['bad-id-with-dot.json', 'mitigations[0].id: expected a family ID like "M2"'],
    ['bad-product.json', 'builds[0].product: '],
    ['bad-not-object.json', '(document): '],
  ];
  for (const [file, start] of cases) {
    const result = applyKnowledgeOverride(kb, readJson('overrides', file));
    assert.equal(result.ok, false, file);
    assert.ok(!result.ok && result.error.startsWith(start), `${file}: ${result.ok ? '' : result.error}`);
  }
});

test('override error paths also cover missing keys, wrong types and a new build without fields', () => {
  const check = (doc: unknown, start: string) => {
    const result = applyKnowledgeOverride(kb, doc);
    assert.ok(!result.ok && result.error.startsWith(start), result.ok ? 'accepted' : result.error);
  };
  check({ schemaVersion: 2, mitigations: [{ title: 'no id' }] }, 'mitigations[0].id: ');
  check({ schemaVersion: 2, mitigations: [{ id: 'M2', links: 'x' }] }, 'mitigations[0].links: ');
  check({ schemaVersion: 2, mitigations: [{ id: 'M2', lines: [{ product: 'Exchange 2019', fixedIn: [{ build: '15.2.1748.46', sources: ['learn-em'] }], removableFrom: [] }] }] }, 'mitigations[0].lines[0].cu: ');
  check({ schemaVersion: 2, mitigations: [{ id: 'M2', lines: [{ product: 'Exchange 2019', cu: 'CU15', fixedIn: [{ build: '15.2.1748.46', sources: ['nobody'] }], removableFrom: [] }] }] }, "mitigations[2].lines[0].fixedIn[0].sources: names the source 'nobody'");
  check({ schemaVersion: 2, mitigations: [{ id: 'M2', artefacts: [{ type: 'rewrite-rule', name: 'x', direction: 'sideways', location: '', configFile: 'web.config' }] }] }, 'mitigations[0].artefacts[0].direction: ');
  check({ schemaVersion: 2, builds: [{ build: '15.2.1748.99' }] }, "builds[0].product: required, because build '15.2.1748.99' is not in the knowledge base yet");
  check({ schemaVersion: 2, builds: [{ build: 'latest' }] }, 'builds[0].build: expected a build');
  check({ mitigations: [] }, 'schemaVersion: ');
  check(null, '(document): ');
});

test('evidence: a CU line newer than any listed counts as fixed, an older one does not', () => {
  const m1 = findMitigation(kb, 'M1')!;
  const m2 = findMitigation(kb, 'M2')!;
  const at = (ExSetupVersion: string) => serverBuild(server({ ExSetupVersion }));
  // M1's lines end at 2019 CU12: CU13, CU14, CU15 and SE include the fix.
  for (const v of ['15.2.1258.12', '15.2.1544.4', '15.2.1748.10', '15.2.2562.17']) {
    const s = judgeEvidence(at(v), m1, kb);
    assert.equal(s.fixed, true, v);
    assert.equal(s.fixedIn, null, v);
    assert.match(s.reason, /newer CU line/, v);
  }
  // M2 shipped for 2019 CU14/CU15: CU13 and CU12 got no fix; 2016 CU22 neither.
  for (const v of ['15.2.1258.39', '15.2.1118.40', '15.1.2375.37']) {
    const s = judgeEvidence(at(v), m2, kb);
    assert.equal(s.fixed, false, v);
    assert.match(s.reason, /got no fix for CVE-2026-42897/, v);
    assert.match(s.reason, /move the server to a supported CU/, v);
  }
  const cu13 = judgeEvidence(at('15.2.1258.39'), m2, kb);
  assert.match(cu13.reason, /^Exchange 2019 CU13 got no fix/);
  assert.equal(judgeEvidence(at('15.0.1497.44'), m2, kb).fixed, false);
  assert.equal(judgeEvidence(at('15.0.1497.44'), m1, kb).fixed, true);
  assert.equal(judgeEvidence(at('15.0.1497.42'), m1, kb).fixed, false);
});

test('evidence: with only AdminDisplayVersion a listed CU line cannot count as fixed', () => {
  const m2 = findMitigation(kb, 'M2')!;
  const s = judgeEvidence(serverBuild(server({ AdminDisplayVersion: 'Version 15.2 (Build 1748.10)' })), m2, kb);
  assert.deepEqual([s.fixed, s.fixedIn], [false, '15.2.1748.46']);
  assert.match(s.reason, /only the CU is known/);
  const none = judgeEvidence(serverBuild(server({})), m2, kb);
  assert.equal(none.fixed, false);
  assert.match(none.reason, /build is unknown/);
});
