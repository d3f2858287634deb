import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOrganisationStep, parseStepArgs } from '../../../main/core/mitigations/action-steps.js';
import type { ActionStep } from '../../../main/core/ports.js';

function step(kind: ActionStep['kind'], args: ActionStep['args'], server: string | null = 'EX01'): ActionStep {
  return { kind, server, args, description: kind, powershell: '' };
}

function refusal(s: ActionStep): string {
  const r = parseStepArgs(s);
  assert.equal(r.ok, false, `expected a refusal of ${JSON.stringify(s.args)}`);
  return r.ok ? '' : r.error;
}

test('the canonical shape of every kind is accepted and typed', () => {
  const good: ActionStep[] = [
    step('backup-config', { location: 'Default Web Site/owa', configFile: 'web.config' }),
    step('block-mitigation', { mitigation: 'M2', mitigationsBlocked: ['M1', 'M2'] }),
    step('remove-rewrite-rule', { name: 'EEMS M2.1 OWA CSP - outbound', direction: 'outbound', location: 'Default Web Site/owa', configFile: 'web.config' }),
    step('remove-rewrite-rule', { name: 'EEMS M1.1 PowerShell - inbound', direction: 'inbound', location: '', configFile: 'applicationHost.config' }),
    step('start-app-pool', { name: 'MSExchangeOWAAppPool' }),
    step('start-service', { name: 'MSExchangeMitigation' }),
    step('start-service', { name: 'MSExchangeTestService', startType: 'Automatic' }),
    step('set-org-mitigations-enabled', { enabled: true }, null),
    step('set-server-mitigations-enabled', { enabled: false }),
    step('verify', { mitigation: 'M2', absentRules: ['EEMS M2.1 OWA CSP - outbound'], expectBlocked: ['M2'] }),
    step('verify', { orgMitigationsEnabled: true }, null),
  ];
  for (const s of good) {
    const r = parseStepArgs(s);
    assert.ok(r.ok, r.ok ? '' : `${s.kind}: ${r.error}`);
    assert.deepEqual(r.step.args, s.args);
  }
  const block = parseStepArgs(good[1]!);
  assert.ok(block.ok && block.step.kind === 'block-mitigation' && block.step.args.mitigationsBlocked[1] === 'M2');
});

test('a refusal names the field in a sentence', () => {
  assert.match(
    refusal(step('block-mitigation', { mitigation: 'M2', mitigationsBlocked: ['M2.1$(calc)', 'M2'] })),
    /^args\.mitigationsBlocked\[0\]: must be a mitigation ID such as M2\.1\.0/,
  );
  assert.match(refusal(step('block-mitigation', { mitigationsBlocked: ['M2'] })), /^args\.mitigation: is missing; a block-mitigation step needs it\.$/);
  assert.match(refusal(step('block-mitigation', { mitigation: 'M2', mitigationsBlocked: ['M1'] })), /^args\.mitigationsBlocked: must contain the mitigation the step blocks\.$/);
  assert.match(refusal(step('block-mitigation', { mitigation: 'M2', mitigationsBlocked: [] })), /^args\.mitigationsBlocked: must name at least one/);
  assert.match(
    refusal(step('remove-rewrite-rule', { name: 'x', direction: 'sideways', location: 'Default Web Site/owa', configFile: 'web.config' })),
    /^args\.direction: must be inbound, outbound or precondition\.$/,
  );
  assert.match(
    refusal(step('remove-rewrite-rule', { name: 'bad\u0007rule', direction: 'outbound', location: 'Default Web Site/owa', configFile: 'web.config' })),
    /^args\.name: must not contain control characters\.$/,
  );
  assert.match(refusal(step('backup-config', { location: '../../Windows', configFile: 'web.config' })), /^args\.location: must be an IIS location/);
  assert.match(refusal(step('set-org-mitigations-enabled', { enabled: 'true' }, null)), /^args\.enabled: must be true or false\.$/);
  assert.match(refusal(step('start-service', { name: 'MSExchangeTestService', startType: 'Disabled' })), /^args\.startType: must be Automatic or Manual\.$/);
});

test('the variant keys of earlier drafts are refused, not guessed at', () => {
  assert.match(refusal(step('block-mitigation', { list: ['M2'] })), /^args: "list" is not an argument of block-mitigation\.$/);
  assert.match(refusal(step('block-mitigation', { identity: 'EX01', family: 'M2', mitigation: 'M2', mitigationsBlocked: ['M2'] })), /^args: "identity", "family" are not arguments of block-mitigation\.$/);
  assert.match(refusal(step('verify', { absentRules: ['x'], blocked: ['M2'] })), /^args: "blocked" is not an argument of verify\.$/);
  assert.match(refusal(step('remove-rewrite-rule', { names: ['a', 'b'], direction: 'outbound', location: '', configFile: 'web.config' })), /^args: "names" is not an argument of remove-rewrite-rule\.$/);
  assert.match(refusal(step('verify', { property: 'MitigationsEnabled', expected: true }, null)), /^args: "property", "expected" are not arguments of verify\.$/);
  assert.match(refusal({ ...step('verify', {}), kind: 'format-disk' as ActionStep['kind'] }), /^kind: "format-disk" is not a step kind EEMS Watch knows\.$/);
});

test('server or organisation: which steps may go without a server', () => {
  assert.ok(isOrganisationStep(step('set-org-mitigations-enabled', { enabled: true }, null)));
  assert.ok(isOrganisationStep(step('verify', { orgMitigationsEnabled: true }, null)));
  assert.ok(!isOrganisationStep(step('verify', { orgMitigationsEnabled: true })));
  assert.match(refusal(step('remove-rewrite-rule', { name: 'x', direction: 'outbound', location: '', configFile: 'web.config' }, null)), /^server: a remove-rewrite-rule step must name its server\.$/);
  assert.match(refusal(step('verify', { absentRules: ['x'] }, null)), /^args\.orgMitigationsEnabled: a verify step without a server/);
  assert.match(refusal(step('verify', { orgMitigationsEnabled: true, expectBlocked: ['M2'] }, null)), /^server: a verify step that checks rules or MitigationsBlocked must name its server\.$/);
});
