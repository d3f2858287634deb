/**
 * "Copy as .ps1" (issue 13.10): the exact script of a plan, for admins who run it themselves. The
 * same steps in the same order with the same quoting as shown; each part runs where the plan says:
 * Exchange steps (Set-ExchangeServer, Set-OrganizationConfig, Get-ExchangeServer) in the Exchange
 * Management Shell or a session imported from the server's /PowerShell endpoint, server steps
 * (WebAdministration, services, files) on the server itself through Invoke-Command -ComputerName.
 * Windows PowerShell 5.1 compatible: no ternaries, no ?? or &&, and nothing but single-quoted
 * strings for data. A confirmation prompt comes before any change; the script stops at the first
 * error ($ErrorActionPreference = 'Stop'), as the app does.
 */
import { countOf } from '../plural.js';
import type { ActionStep } from '../ports.js';
import { psString, psStringArray } from './powershell-quote.js';
import type { ActionPlan } from './removal-plan.js';

/** Where a step runs: its channel, or by kind for steps made before channels existed. */
export function stepChannel(step: ActionStep): 'exchange' | 'server' {
  if (step.channel) return step.channel;
  return ['backup-config', 'remove-rewrite-rule', 'start-app-pool', 'start-service'].includes(step.kind) ? 'server' : 'exchange';
}

/** A comment line: no line break can end the comment and start a command. */
const comment = (text: string) => `# ${text.replace(/[\r\n\u0085\u2028\u2029]+/g, ' ')}`;

function serverPart(step: ActionStep): string[] {
  const server = step.server ?? '';
  const needsIis = step.kind === 'backup-config' || step.kind === 'remove-rewrite-rule' || step.kind === 'start-app-pool';
  return [
    `Invoke-Command -ComputerName ${psString(server)} -ErrorAction Stop -ScriptBlock {`,
    `    $ErrorActionPreference = 'Stop'`,
    ...(needsIis ? ['    Import-Module WebAdministration'] : []),
    `    ${step.powershell}`,
    '}',
  ];
}

/** The complete script of a plan. */
export function planScript(plan: ActionPlan): string {
  const target = plan.server ?? 'the organisation';
  const lines: string[] = [
    comment(`EEMS Watch plan ${plan.id}: ${plan.title}`),
    comment(`Target: ${target}. Steps: ${plan.steps.length}.`),
    comment('Exchange steps run here: start this script in the Exchange Management Shell, or in a session imported from'),
    comment("http://<server>/PowerShell/ (Import-PSSession). Server steps run on the server itself through Invoke-Command -ComputerName (WinRM)."),
    ...plan.warnings.map((w) => comment(`Warning: ${w}`)),
    comment('The script stops at the first error. Every step is safe to run again: it skips what is already done.'),
    '#Requires -Version 5.1',
    "$ErrorActionPreference = 'Stop'",
    `$answer = Read-Host ${psString(`Run ${plan.steps.length === 1 ? 'the step' : `the ${countOf(plan.steps.length, 'step')}`} of '${plan.title}' now? Type YES to continue`)}`,
    "if ($answer -cne 'YES') { Write-Host 'Nothing was changed.'; return }",
    '',
  ];
  plan.steps.forEach((step, i) => {
    const where = stepChannel(step) === 'server' ? `on ${step.server ?? target} itself (WinRM)` : "through Exchange's remote PowerShell";
    lines.push(comment(`Step ${i + 1} of ${plan.steps.length} (${step.kind}, ${where}): ${step.description}`));
    lines.push(`Write-Host ${psString(`Step ${i + 1}: ${step.kind}`)}`);
    if (stepChannel(step) === 'server' && step.server) lines.push(...serverPart(step));
    else lines.push(step.powershell);
    if (step.kind === 'verify' && step.server) {
      for (const check of plan.ruleChecks ?? []) lines.push(...serverPart({ ...step, kind: 'remove-rewrite-rule', powershell: check }));
      const expected = Array.isArray(step.args.expectBlocked) ? step.args.expectBlocked.map(String) : [];
      if (expected.length > 0) {
        lines.push(`$blocked = @((Get-ExchangeServer -Identity ${psString(step.server)}).MitigationsBlocked)`);
        lines.push(`foreach ($id in ${psStringArray(expected)}) { if ($blocked -notcontains $id) { throw ('Not blocked: ' + $id) } }`);
      }
    }
    lines.push('');
  });
  lines.push("Write-Host 'Done. Check the verify step above.'");
  return `${lines.join('\r\n')}\r\n`;
}
