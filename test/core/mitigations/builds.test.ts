import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBuilds, formatBuild, nameBuild, parseBuild, productOf, serverBuild, type ExchangeBuild } from '../../../main/core/mitigations/builds.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import type { ServerState } from '../../../main/core/model.js';

const kb = defaultKnowledgeBase();

function b(text: string): ExchangeBuild {
  const parsed = parseBuild(text);
  assert.ok(parsed, `expected ${text} to parse`);
  return parsed;
}

function server(fields: Partial<ServerState>): ServerState {
  return { Name: 'EX01', MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null, ...fields };
}

test('parseBuild reads AdminDisplayVersion and both ExSetup forms', () => {
  assert.deepEqual(parseBuild('Version 15.2 (Build 1748.10)'), { major: 15, minor: 2, build: 1748, revision: 10 });
  assert.deepEqual(parseBuild('15.02.1748.046'), { major: 15, minor: 2, build: 1748, revision: 46 });
  assert.deepEqual(parseBuild('15.2.1748.46'), { major: 15, minor: 2, build: 1748, revision: 46 });
  assert.deepEqual(parseBuild(' Version 15.1  (Build 2507.6) '), { major: 15, minor: 1, build: 2507, revision: 6 });
  assert.deepEqual(parseBuild('version 15.2 (build 986.5)'), { major: 15, minor: 2, build: 986, revision: 5 });
});

test('parseBuild refuses what is not a four-part build', () => {
  for (const text of ['', '15.2', '15.2.1748', '15.2.1748.46.1', 'Version 15.2', 'Version 15.2 (Build 1748)', 'abc', '15.2.1748.x']) {
    assert.equal(parseBuild(text), null, text);
  }
  assert.equal(parseBuild(42 as unknown as string), null);
});

test('compareBuilds compares part by part as numbers, long and short forms alike', () => {
  assert.equal(compareBuilds(b('15.02.1748.046'), b('15.2.1748.46')), 0);
  assert.ok(compareBuilds(b('15.2.1748.46'), b('15.2.1748.43')) > 0);
  assert.ok(compareBuilds(b('15.2.1748.9'), b('15.2.1748.10')) < 0);
  assert.ok(compareBuilds(b('15.2.986.42'), b('15.2.1118.7')) < 0);
  assert.ok(compareBuilds(b('15.1.2507.72'), b('15.2.922.7')) < 0);
  const sorted = ['15.2.1748.46', '15.1.2507.69', '15.2.2562.43', '15.2.1544.41'].map(b).sort(compareBuilds).map(formatBuild);
  assert.deepEqual(sorted, ['15.1.2507.69', '15.2.1544.41', '15.2.1748.46', '15.2.2562.43']);
});

test('formatBuild prints the short form without leading zeros', () => {
  assert.equal(formatBuild(b('15.02.1748.046')), '15.2.1748.46');
  assert.equal(formatBuild(b('Version 15.2 (Build 1748.10)')), '15.2.1748.10');
});

test('productOf: 15.0 is 2013, 15.1 is 2016, 15.2 below 2562 is 2019, from 2562 SE', () => {
  assert.equal(productOf(b('15.0.1497.44')), 'Exchange 2013');
  assert.equal(productOf(b('15.1.2507.69')), 'Exchange 2016');
  assert.equal(productOf(b('15.2.2561.99')), 'Exchange 2019');
  assert.equal(productOf(b('15.2.2562.17')), 'Exchange SE');
  assert.equal(productOf(b('14.3.123.4')), 'unknown');
  assert.equal(productOf(b('15.3.1.1')), 'unknown');
});

// Spot checks across the table: CUs, SUs, HUs, v2 re-releases, ESU builds, every product.
const NAMED: [string, string][] = [
  ['15.2.1748.46', 'Exchange 2019 CU15 Jun26SU'],
  ['15.02.1748.046', 'Exchange 2019 CU15 Jun26SU'],
  ['15.2.1748.10', 'Exchange 2019 CU15'],
  ['15.2.1748.26', 'Exchange 2019 CU15 May25HU'],
  ['15.2.1748.49', 'Exchange 2019 CU15 Aug26SU'],
  ['15.2.1544.4', 'Exchange 2019 CU14'],
  ['15.2.1544.11', 'Exchange 2019 CU14 Apr24HU'],
  ['15.2.1544.14', 'Exchange 2019 CU14 Nov24SUv2'],
  ['15.2.1544.41', 'Exchange 2019 CU14 Jun26SU'],
  ['15.2.1544.44', 'Exchange 2019 CU14 Aug26SU'],
  ['15.2.1258.12', 'Exchange 2019 CU13'],
  ['15.2.1258.34', 'Exchange 2019 CU13 Apr24HU'],
  ['15.2.1258.39', 'Exchange 2019 CU13 Nov24SUv2'],
  ['15.2.1118.37', 'Exchange 2019 CU12 Aug23SUv2'],
  ['15.2.1118.20', 'Exchange 2019 CU12 Nov22SU'],
  ['15.2.986.5', 'Exchange 2019 CU11'],
  ['15.2.986.36', 'Exchange 2019 CU11 Nov22SU'],
  ['15.2.986.42', 'Exchange 2019 CU11 Mar23SU'],
  ['15.2.922.7', 'Exchange 2019 CU10'],
  ['15.2.922.27', 'Exchange 2019 CU10 Mar22SU'],
  ['15.2.2562.17', 'Exchange SE RTM'],
  ['15.2.2562.27', 'Exchange SE RTM Sep25HU'],
  ['15.2.2562.41', 'Exchange SE RTM May26HU'],
  ['15.2.2562.43', 'Exchange SE RTM Jun26SU'],
  ['15.2.2562.46', 'Exchange SE RTM Aug26SU'],
  ['15.1.2308.8', 'Exchange 2016 CU21'],
  ['15.1.2308.27', 'Exchange 2016 CU21 Mar22SU'],
  ['15.1.2375.7', 'Exchange 2016 CU22'],
  ['15.1.2375.37', 'Exchange 2016 CU22 Nov22SU'],
  ['15.1.2507.6', 'Exchange 2016 CU23'],
  ['15.1.2507.32', 'Exchange 2016 CU23 Aug23SUv2'],
  ['15.1.2507.39', 'Exchange 2016 CU23 Apr24HU'],
  ['15.1.2507.44', 'Exchange 2016 CU23 Nov24SUv2'],
  ['15.1.2507.66', 'Exchange 2016 CU23 Feb26SU'],
  ['15.1.2507.69', 'Exchange 2016 CU23 Jun26SU'],
  ['15.1.2507.72', 'Exchange 2016 CU23 Aug26SU'],
];

test('nameBuild names table rows exactly, with a short form', () => {
  for (const [text, label] of NAMED) {
    const name = nameBuild(b(text), kb);
    assert.equal(name.label, label, text);
    assert.equal(name.short, label.replace('Exchange ', ''), text);
    assert.equal(name.exact, true, text);
  }
  const jun = nameBuild(b('15.2.1748.46'), kb);
  assert.deepEqual(jun, { product: 'Exchange 2019', cu: 'CU15', update: 'Jun26SU', label: 'Exchange 2019 CU15 Jun26SU', short: '2019 CU15 Jun26SU', exact: true });
  assert.equal(nameBuild(b('15.2.2562.17'), kb).update, null);
});

test('nameBuild gives a build between known SUs the nearest lower name, not exact', () => {
  const between = nameBuild(b('15.2.1748.47'), kb);
  assert.equal(between.label, 'Exchange 2019 CU15 Jun26SU');
  assert.equal(between.exact, false);
  const beforeCu = nameBuild(b('15.2.1748.5'), kb);
  assert.deepEqual([beforeCu.label, beforeCu.cu, beforeCu.update, beforeCu.exact], ['Exchange 2019 CU15', 'CU15', null, false]);
  assert.equal(nameBuild(b('15.1.2507.70'), kb).short, '2016 CU23 Jun26SU');
  assert.equal(nameBuild(b('15.2.2562.44'), kb).label, 'Exchange SE RTM Jun26SU');
});

test('nameBuild keeps the product and the number for a CU line the table lacks', () => {
  const cu20 = nameBuild(b('15.1.2176.2'), kb);
  assert.deepEqual([cu20.product, cu20.cu, cu20.label, cu20.short, cu20.exact], ['Exchange 2016', null, 'Exchange 2016 15.1.2176.2', '2016 15.1.2176.2', false]);
  assert.equal(nameBuild(b('15.0.1497.44'), kb).product, 'Exchange 2013');
  const old = nameBuild(b('14.3.123.4'), kb);
  assert.equal(old.product, 'unknown');
  assert.match(old.label, /14\.3\.123\.4/);
});

test('serverBuild prefers ExSetupVersion (it shows the SU)', () => {
  const sb = serverBuild(server({ AdminDisplayVersion: 'Version 15.2 (Build 1748.10)', ExSetupVersion: '15.02.1748.046' }));
  assert.equal(sb.source, 'ExSetup');
  assert.equal(formatBuild(sb.build!), '15.2.1748.46');
  assert.equal(sb.note, null);
});

test('serverBuild falls back to AdminDisplayVersion and says only the CU is known', () => {
  for (const ExSetupVersion of [undefined, null, '']) {
    const sb = serverBuild(server({ AdminDisplayVersion: 'Version 15.2 (Build 1748.10)', ExSetupVersion }));
    assert.equal(sb.source, 'AdminDisplayVersion');
    assert.equal(formatBuild(sb.build!), '15.2.1748.10');
    assert.match(sb.note!, /Only the CU is known/);
    assert.match(sb.note!, /ExSetup/);
  }
  const garbled = serverBuild(server({ AdminDisplayVersion: 'Version 15.2 (Build 1748.10)', ExSetupVersion: 'n/a' }));
  assert.equal(garbled.source, 'AdminDisplayVersion');
  assert.match(garbled.note!, /ExSetupVersion 'n\/a' could not be read/);
});

test('serverBuild says so when no build is known', () => {
  const sb = serverBuild(server({}));
  assert.deepEqual([sb.build, sb.source], [null, 'none']);
  assert.match(sb.note!, /build is unknown/);
});
