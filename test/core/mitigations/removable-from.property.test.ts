/**
 * The property behind issue 11.1: no server below a mitigation's removableFrom is ever offered a
 * removal, whatever its state: applied, blocked (family, exact ID, both), artefacts by EEMS or EOMT
 * names or by behaviour only, the build from ExSetup or from AdminDisplayVersion only, and CU lines
 * the knowledge base does not list. Checked twice: no verdict is removable, and planRemoval refuses
 * even a verdict forged to look removable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import { planRemoval } from '../../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../../main/core/mitigations/staleness.js';
import type { RewriteRule, ServerState } from '../../../main/core/model.js';

const kb = defaultKnowledgeBase();

/** The latest removableFrom build of each listed CU line of a family, as [major, minor, build, revision]. */
function removableFromLines(family: string): number[][] {
  const entry = kb.mitigations.find((m) => m.id === family)!;
  return entry.lines.map((line) => {
    const builds = [...line.removableFrom, ...line.fixedIn].map((c) => c.build).filter((b): b is string => b !== null).map((b) => b.split('.').map(Number));
    return builds.reduce((a, b) => (b[3]! > a[3]! ? b : a));
  });
}

/** CU lines no source covers as fixed for the family (older CUs, or a newer Exchange 2016 CU that never shipped). */
const UNCOVERED: Record<string, number[][]> = {
  M2: [[15, 2, 1258], [15, 2, 1118], [15, 2, 986], [15, 1, 2375], [15, 1, 2600], [15, 0, 1497]],
  M1: [[15, 2, 922], [15, 1, 2308], [15, 0, 1473]],
};

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A build strictly below removableFrom on a listed line, or any revision of an uncovered line. */
function buildBelow(family: string): fc.Arbitrary<number[]> {
  const listed = removableFromLines(family).map((b) => fc.integer({ min: 0, max: b[3]! - 1 }).map((rev) => [b[0]!, b[1]!, b[2]!, rev]));
  const uncovered = UNCOVERED[family]!.map((l) => fc.integer({ min: 0, max: 200 }).map((rev) => [...l, rev]));
  return fc.oneof(...listed, ...uncovered);
}

const CSP = { ServerVariable: 'RESPONSE_Content_Security_Policy', Url: null, Pattern: '(.*)' };
const OWA = '^/owa/?($|\\?|default\\.aspx|projection\\.aspx|readingPane\\.aspx|popout\\.aspx)';

function rulesArb(family: string): fc.Arbitrary<RewriteRule[]> {
  const owa = 'Default Web Site/owa';
  const m2: RewriteRule[] = [
    { Name: 'EEMS M2.1 OWA CSP - outbound', Direction: 'outbound', Location: owa, ConfigFile: 'web.config' },
    { Name: 'EEMS M2.1 OWA SPA HTML shell - precondition', Direction: 'precondition', Location: owa, ConfigFile: 'web.config' },
    { Name: 'EOMT OWA CSP - outbound', Direction: 'outbound', Location: owa, ConfigFile: 'web.config', PreCondition: 'EOMT OWA SPA HTML shell - precondition', Match: CSP, Action: { Type: 'Rewrite', Value: "{R:1}; script-src-attr 'none'" } },
    { Name: 'EOMT OWA SPA HTML shell - precondition', Direction: 'precondition', Location: owa, ConfigFile: 'web.config', Conditions: [{ Input: '{RESPONSE_CONTENT_TYPE}', Pattern: '^text/html' }, { Input: '{REQUEST_URI}', Pattern: OWA }] },
    { Name: 'Contoso CSP hardening', Direction: 'outbound', Location: owa, ConfigFile: 'web.config', PreCondition: 'Contoso shell', Match: CSP, Action: { Type: 'Rewrite', Value: "{R:1}; script-src-attr 'none'" } },
    { Name: 'Contoso shell', Direction: 'precondition', Location: owa, ConfigFile: 'web.config', Conditions: [{ Input: '{RESPONSE_CONTENT_TYPE}', Pattern: '^text/html' }, { Input: '{REQUEST_URI}', Pattern: OWA }] },
  ];
  const m1: RewriteRule[] = [
    { Name: 'EEMS M1.1 PowerShell - inbound', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config' },
    { Name: 'PowerShell - inbound', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config', Match: { Url: '.*', Pattern: null, ServerVariable: null }, Conditions: [{ Input: '{UrlDecode:{REQUEST_URI}}', Pattern: '(?=.*autodiscover)(?=.*powershell)' }], Action: { Type: 'AbortRequest' } },
  ];
  return fc.subarray(family === 'M2' ? m2 : m1).chain((rules) =>
    fc.tuple(...rules.map((r) => fc.boolean().map((upper) => (upper ? { ...r, Name: r.Name.toUpperCase() } : r)))).map((list) => list as RewriteRule[]),
  );
}

function serverArb(family: string): fc.Arbitrary<ServerState> {
  const ids = family === 'M2' ? ['M2.1.0', 'M2.1', 'M2.2.0', 'PING1'] : ['M1.1', 'M1.2', 'PING1'];
  const blocks = family === 'M2' ? ['M2', 'M2.1.0', 'm2', 'M1'] : ['M1', 'M1.1', 'M2'];
  return fc
    .record({
      build: buildBelow(family),
      adminOnly: fc.boolean(),
      applied: fc.subarray(ids),
      blocked: fc.subarray(blocks),
      rules: rulesArb(family),
    })
    .map(({ build, adminOnly, applied, blocked, rules }) => {
      const [major, minor, b, rev] = build as [number, number, number, number];
      return {
        Name: 'EX01',
        AdminDisplayVersion: `Version ${major}.${minor} (Build ${b}.${adminOnly ? rev : 10})`,
        ...(adminOnly ? {} : { ExSetupVersion: `${pad(major, 2)}.${pad(minor, 2)}.${pad(b, 4)}.${pad(rev, 3)}` }),
        MitigationsApplied: applied,
        MitigationsBlocked: blocked,
        RewriteRules: rules,
        AppPools: [],
        Services: [],
        Error: null,
      } as ServerState;
    });
}

for (const family of ['M2', 'M1']) {
  test(`property: no ${family} removal is ever offered below its removableFrom, whatever the state`, () => {
    let judged = 0;
    fc.assert(
      fc.property(serverArb(family), (server) => {
        const verdicts = judgeServer(server, kb).filter((v) => v.family === family);
        for (const v of verdicts) {
          judged += 1;
          assert.equal(v.removable, false, `${v.id} ${v.verdict} removable on ${server.ExSetupVersion ?? server.AdminDisplayVersion}: ${v.reason}`);
          assert.ok(!['stale-applied', 'orphan-artefact'].includes(v.verdict), `${v.id} ${v.verdict}`);
          for (const forged of ['stale-applied', 'orphan-artefact'] as const) {
            const planned = planRemoval(server, { ...v, verdict: forged, removable: true }, kb);
            assert.equal(planned.ok, false, `a forged ${forged} ${v.id} was planned`);
          }
        }
      }),
      { numRuns: 400 },
    );
    assert.ok(judged > 200, `only ${judged} verdicts were judged: the generator does not reach the mitigation`);
  });
}

test('the property is not vacuous: at removableFrom the same states are removable', () => {
  for (const [major, minor, b, rev] of removableFromLines('M2')) {
    const server: ServerState = {
      Name: 'EX01', ExSetupVersion: `${major}.${minor}.${b}.${rev}`, MitigationsApplied: ['M2.1.0'], MitigationsBlocked: [],
      RewriteRules: [{ Name: 'EEMS M2.1 OWA CSP - outbound', Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' }], AppPools: [], Services: [], Error: null,
    };
    const v = judgeServer(server, kb).find((x) => x.family === 'M2')!;
    assert.deepEqual([v.verdict, v.removable], ['stale-applied', true], String(server.ExSetupVersion));
    assert.ok(planRemoval(server, v, kb).ok);
  }
});
