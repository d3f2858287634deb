import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyKnowledgeOverride, defaultKnowledgeBase, type KnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { MitigationVerdict, ServerState, StateDocument } from '../../../main/core/model.js';
import { parseStateDocument } from '../../../main/core/parsers/state-document.js';
import { findArtefacts, judgeServer, judgeState } from '../../../main/core/mitigations/staleness.js';
import { fixture } from '../../support/paths.js';

const kb = defaultKnowledgeBase();

function loadState(name: string): StateDocument {
  const parsed = parseStateDocument(JSON.parse(readFileSync(fixture('kb', name), 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}

function withOverride(): KnowledgeBase {
  const r = applyKnowledgeOverride(kb, JSON.parse(readFileSync(fixture('kb', 'overrides', 'good.json'), 'utf8')));
  assert.ok(r.ok);
  return r.value;
}

const M2_OUT = { Name: 'EEMS M2.1 OWA CSP - outbound', Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' };
const M2_PRE = { Name: 'EEMS M2.1 OWA SPA HTML shell - precondition', Direction: 'precondition', Location: 'Default Web Site/owa', ConfigFile: 'web.config' };

function server(fields: Partial<ServerState>): ServerState {
  return { Name: 'EX01', MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null, ...fields };
}

function verdictsOf(list: MitigationVerdict[]): Record<string, string> {
  return Object.fromEntries(list.map((v) => [v.id, v.verdict]));
}

test('the state-file example of contracts.md: PING1 heartbeat, M2.1.0 active on CU15 Jun26SU (fix installed, keep until Jul26SU)', () => {
  const report = judgeState(loadState('contracts-example.json'), kb);
  assert.equal(report.servers.length, 1);
  const ex01 = report.servers[0]!;
  assert.deepEqual([ex01.name, ex01.build, ex01.buildName, ex01.buildSource], ['EX01', '15.2.1748.46', 'Exchange 2019 CU15 Jun26SU', 'ExSetup']);
  assert.deepEqual(ex01.mitigations.map((m) => [m.id, m.family, m.verdict, m.removable, m.fixedIn, m.removableFrom, m.artefacts]), [
    ['PING1', 'PING1', 'heartbeat', false, null, null, []],
    ['M2.1.0', 'M2', 'active', false, '15.2.1748.46', '15.2.1748.48', ['EEMS M2.1 OWA CSP - outbound']],
  ]);
  const m2 = ex01.mitigations[1]!;
  assert.match(m2.reason, /fix installed \(Jun26SU\); Microsoft advises keeping M2 until Jul26SU/);
  assert.doesNotMatch(m2.reason, /block M2|remove/);
  // The evidence behind both builds, and who says what.
  assert.deepEqual(m2.sources.filter((x) => x.build).map((x) => [x.what, x.build]), [
    ['fixedIn', '15.2.1748.46'], ['fixedIn', '15.2.1748.46'], ['removableFrom', '15.2.1748.48'], ['removableFrom', '15.2.1748.48'],
  ]);
  assert.ok(m2.sources.some((x) => x.what === 'removableFrom' && /EOMT/.test(x.source) && x.confidence === 'confirmed'));
  assert.ok(m2.sources.some((x) => x.what === 'removableFrom' && x.confidence === 'third-party'));
  assert.match(m2.disagreement!, /HealthChecker.*Jun26SU/);
  assert.match(m2.disagreement!, /EOMT.*Jul26SU/);
  assert.match(m2.disagreement!, /keep it in place/);
  assert.match(m2.disagreement!, /later build decides/);
  assert.equal(m2.appliedBy, 'EEMS');
});

test('every verdict, one server each', () => {
  const report = judgeState(loadState('every-verdict.json'), kb);
  const by = Object.fromEntries(report.servers.map((s) => [s.name, s]));
  const expect: Record<string, Record<string, string>> = {
    'EX-ACTIVE': { PING1: 'heartbeat', 'M2.1.0': 'active' },
    'EX-STALE': { PING1: 'heartbeat', 'M2.1.0': 'stale-applied' },
    'EX-KEEP': { PING1: 'heartbeat', 'M2.1.0': 'active' },
    'EX-ORPHAN': { PING1: 'heartbeat', M2: 'orphan-artefact' },
    'EX-UNFIXED': { PING1: 'heartbeat', M2: 'orphan-unfixed' },
    'EX-BLOCKED': { PING1: 'heartbeat', 'M2.1.0': 'blocked' },
    'EX-HALF': { PING1: 'heartbeat', M2: 'orphan-artefact' },
    'EX-NULLS': {},
    'EX-DOWN': {},
    'EX-ADV': { PING1: 'heartbeat', 'M2.1.0': 'active' },
    'EX-CU13': { PING1: 'heartbeat', 'M2.1.0': 'active' },
    'EX-UNKNOWN': { PING1: 'heartbeat', 'M7.1': 'active', M9: 'blocked' },
    'EX-M21': { PING1: 'heartbeat', M2: 'blocked', M21: 'orphan-unfixed' },
    'EX-M1': { PING1: 'heartbeat', 'M1.1': 'stale-applied' },
  };
  assert.deepEqual(Object.keys(by).sort(), Object.keys(expect).sort());
  for (const [name, verdicts] of Object.entries(expect)) assert.deepEqual(verdictsOf(by[name]!.mitigations), verdicts, name);
  const removable = report.servers.flatMap((s) => s.mitigations.filter((m) => m.removable).map((m) => `${s.name}/${m.id}`));
  assert.deepEqual(removable.sort(), ['EX-HALF/M2', 'EX-M1/M1.1', 'EX-ORPHAN/M2', 'EX-STALE/M2.1.0']);
});

test('reasons say what an admin needs to know', () => {
  const by = Object.fromEntries(judgeState(loadState('every-verdict.json'), kb).servers.map((s) => [s.name, s]));
  const reason = (srv: string, id: string) => by[srv]!.mitigations.find((m) => m.id === id)!.reason;
  assert.match(reason('EX-UNFIXED', 'M2'), /exposed to CVE-2026-42897/);
  assert.match(reason('EX-UNFIXED', 'M2'), /install the June 2026 SU \(Jun26SU\) first/);
  assert.match(reason('EX-HALF', 'M2'), /blocked/);
  assert.match(reason('EX-HALF', 'M2'), /artefact is still on the server/);
  assert.match(reason('EX-CU13', 'M2.1.0'), /Exchange 2019 CU13 got no fix/);
  assert.match(reason('EX-CU13', 'M2.1.0'), /supported CU/);
  assert.match(reason('EX-UNKNOWN', 'M7.1'), /no fix is known/i);
  assert.match(reason('EX-ADV', 'M2.1.0'), /only the CU is known/);
  assert.match(by['EX-ADV']!.buildNote!, /Only the CU is known/);
  assert.equal(by['EX-DOWN']!.error, 'Connecting to remote server ex-down.contoso.com failed: WinRM cannot complete the operation.');
  assert.equal(by['EX-DOWN']!.build, null);
  for (const s of Object.values(by)) for (const m of s.mitigations) assert.match(m.reason, /^[A-Z].*\.$/, `${s.name}/${m.id}`);
});

// M2 on every CU line that got a fix: exactly at, one SU below, one SU above.
const M2_LINES: { line: string; below: string; at: string; above: string }[] = [
  { line: '2016 CU23', below: '15.1.2507.66', at: '15.1.2507.69', above: '15.1.2507.71' },
  { line: '2019 CU14', below: '15.2.1544.39', at: '15.2.1544.41', above: '15.2.1544.43' },
  { line: '2019 CU15', below: '15.2.1748.43', at: '15.2.1748.46', above: '15.2.1748.48' },
  { line: 'SE RTM', below: '15.2.2562.41', at: '15.2.2562.43', above: '15.2.2562.45' },
];

test('M2 on each CU line: below the fix active / orphan-unfixed, fix installed (Jun26SU) still active, from removableFrom (Jul26SU) stale / orphan-artefact', () => {
  for (const { line, below, at, above } of M2_LINES) {
    for (const [build, applied, orphan] of [
      [below, 'active', 'orphan-unfixed'],
      [at, 'active', 'active'],
      [above, 'stale-applied', 'orphan-artefact'],
    ] as const) {
      const rules = [M2_OUT, M2_PRE];
      const a = judgeServer(server({ ExSetupVersion: build, MitigationsApplied: ['M2.1.0'], RewriteRules: rules }), kb);
      assert.equal(a[0]!.verdict, applied, `${line} ${build} applied`);
      assert.equal(a[0]!.fixedIn, at, `${line} ${build}`);
      assert.equal(a[0]!.removableFrom, above, `${line} ${build}`);
      assert.equal(a[0]!.removable, build === above, `${line} ${build} removable only from removableFrom`);
      if (build === at) assert.match(a[0]!.reason, /fix installed \(Jun26SU\); Microsoft advises keeping M2 until Jul26SU/, `${line}`);
      const o = judgeServer(server({ ExSetupVersion: build, RewriteRules: rules }), kb);
      assert.deepEqual([o[0]!.id, o[0]!.verdict], ['M2', orphan], `${line} ${build} orphan`);
    }
  }
});

test('Exchange 2019 CU13 never counts as fixed for M2, even on its last SU', () => {
  const applied = judgeServer(server({ ExSetupVersion: '15.2.1258.39', MitigationsApplied: ['M2.1.0'] }), kb)[0]!;
  assert.deepEqual([applied.verdict, applied.removable, applied.fixedIn], ['active', false, null]);
  const orphan = judgeServer(server({ ExSetupVersion: '15.2.1258.39', RewriteRules: [M2_OUT] }), kb)[0]!;
  assert.deepEqual([orphan.verdict, orphan.removable], ['orphan-unfixed', false]);
  assert.match(orphan.reason, /move the server to a supported CU/);
});

test('M1 on a CU line newer than any listed (2019 CU14, SE) is stale; on CU11 below Nov22SU active', () => {
  const m1Rule = { Name: 'EEMS M1.1 PowerShell - inbound', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config' };
  for (const v of ['15.2.1544.4', '15.2.2562.17']) {
    const r = judgeServer(server({ ExSetupVersion: v, MitigationsApplied: ['M1.1'], RewriteRules: [m1Rule] }), kb)[0]!;
    assert.deepEqual([r.verdict, r.fixedIn], ['stale-applied', null], v);
    assert.match(r.reason, /newer CU line/);
  }
  assert.equal(judgeServer(server({ ExSetupVersion: '15.2.986.30', MitigationsApplied: ['M1.1'] }), kb)[0]!.verdict, 'active');
});

test('null and missing lists count as empty', () => {
  const s = { Name: 'EX01', ExSetupVersion: '15.2.1748.48', MitigationsApplied: null, MitigationsBlocked: undefined, RewriteRules: null, Error: null } as unknown as ServerState;
  assert.deepEqual(judgeServer(s, kb), []);
  const withRule = { ...s, RewriteRules: [M2_OUT] } as unknown as ServerState;
  assert.deepEqual(verdictsOf(judgeServer(withRule, kb)), { M2: 'orphan-artefact' });
});

test('a server with Error set gets no verdicts', () => {
  assert.deepEqual(judgeServer(server({ Error: 'Access is denied.', MitigationsApplied: ['M2.1.0'], RewriteRules: [M2_OUT] }), kb), []);
});

test('missing ExSetupVersion: only the CU is known, so nothing is called fixed on a listed line', () => {
  const s = server({ AdminDisplayVersion: 'Version 15.2 (Build 1748.10)', RewriteRules: [M2_OUT] });
  const v = judgeServer(s, kb)[0]!;
  assert.deepEqual([v.verdict, v.removable, v.fixedIn], ['orphan-unfixed', false, '15.2.1748.46']);
  assert.match(v.reason, /collect ExSetupVersion/);
  const none = judgeServer(server({ MitigationsApplied: ['M2.1.0'] }), kb)[0]!;
  assert.equal(none.verdict, 'active');
  assert.match(none.reason, /build is unknown/);
});

test('blocked family IDs: "M2" blocks M2.1.0 and M2.1 but not M21.0', () => {
  const v = judgeServer(server({ ExSetupVersion: '15.2.1748.43', MitigationsApplied: ['M2.1.0', 'M2.1', 'M21.0'], MitigationsBlocked: ['M2'] }), kb);
  assert.deepEqual(verdictsOf(v), { 'M2.1.0': 'blocked', 'M2.1': 'blocked', 'M21.0': 'active' });
  assert.equal(v.find((x) => x.id === 'M21.0')!.family, 'M21.0');
  assert.equal(v.length, 3, 'the block entry M2 is not listed again on its own');
  const lower = judgeServer(server({ ExSetupVersion: '15.2.1748.43', MitigationsApplied: ['M2.1.0'], MitigationsBlocked: ['m2'] }), kb);
  assert.deepEqual(verdictsOf(lower), { 'M2.1.0': 'blocked' });
  const specific = judgeServer(server({ ExSetupVersion: '15.2.1748.43', MitigationsApplied: ['M2.1.0'], MitigationsBlocked: ['M2.1.0'] }), kb);
  assert.deepEqual(verdictsOf(specific), { 'M2.1.0': 'blocked' });
});

test('blocked with the fix installed: removable while an artefact is left, plain blocked once none is', () => {
  const half = judgeServer(server({ ExSetupVersion: '15.2.1748.48', MitigationsApplied: ['M2.1.0'], MitigationsBlocked: ['M2'], RewriteRules: [M2_PRE] }), kb)[0]!;
  // Still in MitigationsApplied, so stale-applied (contracts.md: orphan-artefact is "no longer in MitigationsApplied").
  assert.deepEqual([half.verdict, half.removable, half.artefacts], ['stale-applied', true, ['EEMS M2.1 OWA SPA HTML shell - precondition']]);
  assert.match(half.reason, /already blocked/);
  const orphan = judgeServer(server({ ExSetupVersion: '15.2.1748.48', MitigationsBlocked: ['M2'], RewriteRules: [M2_PRE] }), kb)[0]!;
  assert.deepEqual([orphan.id, orphan.verdict, orphan.removable], ['M2', 'orphan-artefact', true]);
  // Blocked on Jun26SU with the preCondition left: keep it (not removable before removableFrom).
  const early = judgeServer(server({ ExSetupVersion: '15.2.1748.46', MitigationsBlocked: ['M2'], RewriteRules: [M2_PRE] }), kb)[0]!;
  assert.deepEqual([early.verdict, early.removable], ['blocked', false]);
  const done = judgeServer(server({ ExSetupVersion: '15.2.1748.48', MitigationsBlocked: ['M2'] }), kb)[0]!;
  assert.deepEqual([done.id, done.verdict, done.removable], ['M2', 'blocked', false]);
});

test('PING1 is never stale, whatever the build; blocked PING1 says the heartbeat is off', () => {
  for (const v of ['15.2.2562.53', '15.1.2375.7', '15.2.986.5']) {
    const r = judgeServer(server({ ExSetupVersion: v, MitigationsApplied: ['PING1'] }), kb)[0]!;
    assert.deepEqual([r.verdict, r.removable, r.fixedIn], ['heartbeat', false, null], v);
  }
  const blocked = judgeServer(server({ ExSetupVersion: '15.2.2562.53', MitigationsApplied: ['PING1'], MitigationsBlocked: ['PING1'] }), kb)[0]!;
  assert.equal(blocked.verdict, 'blocked');
  assert.match(blocked.reason, /heartbeat/);
});

test('unknown IDs are active with no fix known, blocked when blocked, orphan-unfixed when only their rule is left', () => {
  const v = judgeServer(server({ ExSetupVersion: '15.2.2562.53', MitigationsApplied: ['M7.1'], MitigationsBlocked: ['M8'] }), kb);
  assert.deepEqual(verdictsOf(v), { 'M7.1': 'active', M8: 'blocked' });
  assert.match(v[0]!.reason, /no fix is known for M7\.1/i);
  const rule = { Name: 'EEMS M7.1 Something - inbound', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config' };
  const applied = judgeServer(server({ ExSetupVersion: '15.2.2562.53', MitigationsApplied: ['M7.1'], RewriteRules: [rule] }), kb)[0]!;
  assert.deepEqual([applied.verdict, applied.artefacts], ['active', ['EEMS M7.1 Something - inbound']]);
  const orphan = judgeServer(server({ ExSetupVersion: '15.2.2562.53', RewriteRules: [rule] }), kb)[0]!;
  assert.deepEqual([orphan.id, orphan.verdict, orphan.removable], ['M7', 'orphan-unfixed', false]);
});

test('artefacts: catalogue names in any case (EEMS and EOMT), EEMS-named rules of a known family, no unrelated rule', () => {
  const rules = [
    { ...M2_OUT, Name: 'eems m2.1 owa csp - OUTBOUND' },
    { Name: 'EEMS M2.2 OWA CSP - outbound', Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' },
    { Name: 'EOMT OWA CSP - outbound', Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' },
    { Name: 'HTTP to HTTPS redirect', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config' },
  ];
  const found = findArtefacts(server({ RewriteRules: rules }), kb);
  assert.deepEqual(found.map((a) => [a.family, a.name, a.appliedBy]), [
    ['M2', 'eems m2.1 owa csp - OUTBOUND', 'EEMS'],
    ['M2', 'EEMS M2.2 OWA CSP - outbound', 'EEMS'],
    ['M2', 'EOMT OWA CSP - outbound', 'EOMT'],
  ]);
});

test('stopped app pools and stopped or disabled services named by a mitigation are artefacts', () => {
  const kb9 = withOverride();
  const by = Object.fromEntries(judgeState(loadState('pool-service.json'), kb9).servers.map((s) => [s.name, s.mitigations]));
  const pool = by['EX-POOL']!.find((m) => m.family === 'M9')!;
  assert.deepEqual([pool.verdict, pool.artefacts], ['orphan-artefact', ['MSExchangeTestAppPool', 'MSExchangeTestService']]);
  const old = by['EX-POOL-OLD']!.find((m) => m.family === 'M9')!;
  assert.deepEqual([old.id, old.verdict, old.artefacts, old.fixedIn], ['M9.1', 'active', ['MSExchangeTestAppPool'], '15.2.1748.49']);
  // The same stopped OWA pool is not an artefact: no mitigation names it.
  assert.ok(!by['EX-POOL']!.some((m) => m.artefacts.includes('MSExchangeOWAAppPool')));
  // Without the override nobody names the pool or the service.
  assert.deepEqual(findArtefacts(loadState('pool-service.json').servers[0]!, kb), []);
});

test('duplicate applied IDs are judged once', () => {
  const v = judgeServer(server({ ExSetupVersion: '15.2.1748.46', MitigationsApplied: ['PING1', 'ping1', 'M2.1.0', 'M2.1.0 '] }), kb);
  assert.deepEqual(v.map((x) => x.id), ['PING1', 'M2.1.0']);
});
