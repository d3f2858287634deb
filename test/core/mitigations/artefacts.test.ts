import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findArtefacts } from '../../../main/core/mitigations/artefacts.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import { planRemoval } from '../../../main/core/mitigations/removal-plan.js';
import { judgeServer } from '../../../main/core/mitigations/staleness.js';
import type { RewriteRule, ServerState } from '../../../main/core/model.js';

const kb = defaultKnowledgeBase();
const OWA = 'Default Web Site/owa';
const OWA_URI = '^/owa/?($|\\?|default\\.aspx|projection\\.aspx|readingPane\\.aspx|popout\\.aspx)';
const CSP_ACTION = { Type: 'Rewrite', Value: "{R:1}; script-src-attr 'none'" };
const CSP_MATCH = { ServerVariable: 'RESPONSE_Content_Security_Policy', Pattern: '(.*)' };
const shell = (name: string): RewriteRule => ({ Name: name, Direction: 'precondition', Location: OWA, ConfigFile: 'web.config', Conditions: [{ Input: '{RESPONSE_CONTENT_TYPE}', Pattern: '^text/html' }, { Input: '{REQUEST_URI}', Pattern: OWA_URI }] });

function server(fields: Partial<ServerState>): ServerState {
  return { Name: 'EX01', MitigationsApplied: ['PING1'], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null, ...fields };
}

test("EOMT's M2 rules (K7) are M2 artefacts applied by EOMT, judged by M2's builds, removed by the same plan with EOMT's rollback as the alternative", () => {
  const rules: RewriteRule[] = [
    { Name: 'EOMT OWA CSP - outbound', Direction: 'outbound', Location: OWA, ConfigFile: 'web.config', PreCondition: 'EOMT OWA SPA HTML shell - precondition', Match: CSP_MATCH, Action: CSP_ACTION },
    shell('EOMT OWA SPA HTML shell - precondition'),
  ];
  const june = judgeServer(server({ ExSetupVersion: '15.2.1748.46', RewriteRules: rules }), kb).find((v) => v.family === 'M2')!;
  assert.deepEqual([june.verdict, june.removable, june.appliedBy], ['active', false, 'EOMT']);
  const july = server({ ExSetupVersion: '15.2.1748.48', RewriteRules: rules });
  const v = judgeServer(july, kb).find((x) => x.family === 'M2')!;
  assert.deepEqual([v.verdict, v.removable, v.appliedBy, v.artefacts], ['orphan-artefact', true, 'EOMT', ['EOMT OWA CSP - outbound', 'EOMT OWA SPA HTML shell - precondition']]);
  const planned = planRemoval(july, v, kb);
  assert.ok(planned.ok);
  assert.deepEqual(planned.plan.steps.filter((s) => s.kind === 'remove-rewrite-rule').map((s) => s.args.name), ['EOMT OWA CSP - outbound', 'EOMT OWA SPA HTML shell - precondition']);
  assert.deepEqual(planned.plan.evidence?.alternatives, [".\\EOMT.ps1 -RollbackMitigation -CVE 'CVE-2026-42897'"]);
});

test('a rule is recognised by behaviour whatever its name; a name whose reported behaviour differs is not taken for the mitigation', () => {
  const renamed: RewriteRule[] = [
    { Name: 'Contoso CSP', Direction: 'outbound', Location: OWA, ConfigFile: 'web.config', PreCondition: 'Contoso shell', Match: CSP_MATCH, Action: CSP_ACTION },
    shell('Contoso shell'),
  ];
  assert.deepEqual(findArtefacts(server({ RewriteRules: renamed }), kb).map((a) => [a.family, a.name, a.matchedBy, a.appliedBy]), [
    ['M2', 'Contoso CSP', 'behaviour', 'unknown'],
    ['M2', 'Contoso shell', 'behaviour', 'unknown'],
  ]);
  // The EOMT name on a rule that does something else (another CSP value): not M2's, left alone.
  const other: RewriteRule = { Name: 'EOMT OWA CSP - outbound', Direction: 'outbound', Location: OWA, ConfigFile: 'web.config', PreCondition: 'x', Match: CSP_MATCH, Action: { Type: 'Rewrite', Value: "{R:1}; frame-ancestors 'self'" } };
  assert.deepEqual(findArtefacts(server({ RewriteRules: [other] }), kb), []);
  // EOMTv2's generic "PowerShell - inbound" counts for M1 only by behaviour.
  const generic: RewriteRule = { Name: 'PowerShell - inbound', Direction: 'inbound', Location: 'Default Web Site', ConfigFile: 'web.config' };
  assert.deepEqual(findArtefacts(server({ RewriteRules: [generic] }), kb), []);
  const m1 = { ...generic, Match: { Url: '.*' }, Conditions: [{ Input: '{UrlDecode:{REQUEST_URI}}', Pattern: '(?=.*autodiscover)(?=.*powershell)' }], Action: { Type: 'AbortRequest' } };
  assert.deepEqual(findArtefacts(server({ RewriteRules: [m1] }), kb).map((a) => [a.family, a.appliedBy]), [['M1', 'EOMT']]);
});
