/**
 * Issue 14.5: the PowerShell an admin is shown (and copies) quotes every string so that no character
 * can end it. Proven two ways: a property over all of Unicode against a model of PowerShell's
 * single-quoted string rule, and the shown commands of real plans for hostile rule names run through
 * PowerShell's own parser ([System.Management.Automation.Language.Parser]::ParseInput): exactly the
 * expected command, and the string constant equal to the name, code unit for code unit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { psString, psStringArray } from '../../../main/core/mitigations/powershell-quote.js';
import { defaultKnowledgeBase } from '../../../main/core/mitigations/knowledge-base.js';
import { planRemoval } from '../../../main/core/mitigations/removal-plan.js';
import { planScript } from '../../../main/core/mitigations/plan-script.js';
import { judgeServer } from '../../../main/core/mitigations/staleness.js';
import type { ServerState } from '../../../main/core/model.js';
import { assertPwsh, PWSH } from '../../support/sim-exchange/sim-host.js';

const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);

/**
 * PowerShell's reading of a single-quoted literal (tokenizer ScanStringLiteral): a single-quote
 * character followed by another single-quote character stands for the second; a lone one ends the
 * string. Returns the value and what follows the literal.
 */
function readSingleQuoted(text: string): { value: string; rest: string } {
  assert.ok(SINGLE_QUOTES.has(text[0]!), 'starts with a quote');
  let value = '';
  let i = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (SINGLE_QUOTES.has(c)) {
      if (i + 1 < text.length && SINGLE_QUOTES.has(text[i + 1]!)) {
        value += text[i + 1]!;
        i += 2;
        continue;
      }
      return { value, rest: text.slice(i + 1) };
    }
    value += c;
    i += 1;
  }
  throw new Error('unterminated string');
}

test('property: psString of any Unicode text reads back as exactly that text and ends where it should', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, tail) => {
      const read = readSingleQuoted(psString(text) + ' ' + tail);
      assert.equal(read.value, text);
      assert.equal(read.rest, ' ' + tail, 'nothing of the text leaks past the literal');
    }),
    { numRuns: 2000 },
  );
  // The typographic quotes are the ones that used to break out.
  for (const q of ["'", '\u2018', '\u2019', '\u201A', '\u201B']) assert.equal(readSingleQuoted(psString(`a${q}b`)).value, `a${q}b`);
});


/** Parse each script with PowerShell's parser; per script: errors, command names, string constants. */
const PARSE = `
$ErrorActionPreference = 'Stop'
$items = [Console]::In.ReadToEnd() | ConvertFrom-Json
$out = foreach ($s in $items) {
  $tokens = $null; $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseInput([string]$s, [ref]$tokens, [ref]$errors)
  $commands = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() })
  $strings = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.StringConstantType -eq 'SingleQuoted' }, $true) | ForEach-Object { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($_.Value)) })
  $subs = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.SubExpressionAst] -or $n -is [System.Management.Automation.Language.ExpandableStringExpressionAst] }, $true)).Count
  [pscustomobject]@{ errors = @($errors | ForEach-Object { $_.Message }); commands = $commands; strings = $strings; subexpressions = $subs }
}
ConvertTo-Json -InputObject @($out) -Depth 5 -Compress
`;

interface Parsed {
  errors: string[];
  commands: string[];
  strings: string[];
  subexpressions: number;
}

function parseWithPowerShell(scripts: string[]): Parsed[] {
  assertPwsh();
  const r = spawnSync(PWSH, ['-NoProfile', '-NonInteractive', '-Command', PARSE], { input: JSON.stringify(scripts), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Parsed[]).map((p) => ({ ...p, strings: p.strings.map((b) => Buffer.from(b, 'base64').toString('utf8')) }));
}

const HOSTILE = [
  "O'Brien",
  'a\u2019; Remove-Item C:\\ -Recurse; \u2019',
  'x\u2018)\u2018; calc; \u2018',
  'y\u201A\u201B\u201A',
  '$(Remove-Item C:\\)',
  '`$x` `n',
  'a; b | c & d',
  '\u201Cdouble\u201D \u201E"',
  'Ünïcödé – 規則 🛡️',
  "''''",
];

test('shown commands for hostile rule names parse in real PowerShell to exactly the expected command, the name byte for byte', () => {
  const kb = defaultKnowledgeBase();
  const shown: { name: string; powershell: string }[] = [];
  for (const name of HOSTILE) {
    const server: ServerState = {
      Name: 'EX01', ExSetupVersion: '15.2.1748.48', MitigationsApplied: ['PING1'], MitigationsBlocked: [],
      RewriteRules: [{ Name: `EEMS M2.1 ${name} - outbound`, Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' }],
      AppPools: [], Services: [], Error: null,
    };
    const verdict = judgeServer(server, kb).find((v) => v.family === 'M2')!;
    const planned = planRemoval(server, verdict, kb);
    assert.ok(planned.ok, planned.ok ? '' : planned.error);
    const remove = planned.plan.steps.find((s) => s.kind === 'remove-rewrite-rule')!;
    shown.push({ name: `EEMS M2.1 ${name} - outbound`, powershell: remove.powershell });
  }
  const block = `Set-ExchangeServer -Identity EX01 -MitigationsBlocked ${psStringArray(HOSTILE)}`;
  const parsed = parseWithPowerShell([...shown.map((s) => s.powershell), block]);
  shown.forEach(({ name, powershell }, i) => {
    const p = parsed[i]!;
    assert.deepEqual(p.errors, [], powershell);
    assert.deepEqual(p.commands, ['Remove-WebConfigurationProperty'], powershell);
    assert.equal(p.subexpressions, 0, powershell);
    assert.ok(p.strings.includes(name), `${powershell}: the name constant is ${JSON.stringify(p.strings)}`);
  });
  const b = parsed.at(-1)!;
  assert.deepEqual([b.errors, b.commands, b.subexpressions], [[], ['Set-ExchangeServer'], 0]);
  assert.deepEqual(b.strings, HOSTILE);
});

test('a rule name with a newline or control character is refused, not quoted', () => {
  const kb = defaultKnowledgeBase();
  for (const name of ['EEMS M2.1 a\nRemove-Item x - outbound', 'EEMS M2.1 a\r - outbound', 'EEMS M2.1 a\u0000 - outbound']) {
    const server: ServerState = {
      Name: 'EX01', ExSetupVersion: '15.2.1748.48', MitigationsApplied: ['PING1'], MitigationsBlocked: [],
      RewriteRules: [{ Name: name, Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' }], AppPools: [], Services: [], Error: null,
    };
    const verdict = judgeServer(server, kb).find((v) => v.family === 'M2')!;
    const planned = planRemoval(server, verdict, kb);
    assert.equal(planned.ok, false, JSON.stringify(name));
    assert.match(planned.ok ? '' : planned.error, /cannot be run: .*Remove it by hand/);
  }
});

test('"Copy as .ps1": the whole script parses in real PowerShell, asks first, runs IIS steps on the server and keeps hostile names byte for byte', () => {
  const kb = defaultKnowledgeBase();
  const hostile = 'EEMS M2.1 x\u2019; Remove-Item C:\\ -Recurse; \u2019 $(calc) - outbound';
  const server: ServerState = {
    Name: 'EX01', ExSetupVersion: '15.2.1748.48', MitigationsApplied: ['PING1', 'M2.1.0'], MitigationsBlocked: ['M7'],
    RewriteRules: [
      { Name: hostile, Direction: 'outbound', Location: 'Default Web Site/owa', ConfigFile: 'web.config' },
      { Name: 'EEMS M2.1 OWA SPA HTML shell - precondition', Direction: 'precondition', Location: 'Default Web Site/owa', ConfigFile: 'web.config' },
    ],
    AppPools: [], Services: [], Error: null,
  };
  const verdict = judgeServer(server, kb).find((v) => v.family === 'M2')!;
  const planned = planRemoval(server, verdict, kb);
  assert.ok(planned.ok, planned.ok ? '' : planned.error);
  const script = planScript(planned.plan);
  const [p] = parseWithPowerShell([script]);
  assert.deepEqual(p!.errors, []);
  assert.equal(p!.subexpressions, 0, 'no $() or expandable string anywhere');
  const commands = p!.commands.filter((c) => c !== 'Write-Host');
  assert.deepEqual(commands, [
    'Read-Host',
    'Invoke-Command', 'Import-Module', 'Get-WebConfigFile', 'Copy-Item', 'Get-Date',
    'Set-ExchangeServer',
    'Invoke-Command', 'Import-Module', 'Remove-WebConfigurationProperty',
    'Invoke-Command', 'Import-Module', 'Remove-WebConfigurationProperty',
    'Get-ExchangeServer', 'Format-List',
    'Invoke-Command', 'Import-Module', 'Get-WebConfiguration', 'Where-Object',
    'Invoke-Command', 'Import-Module', 'Get-WebConfiguration', 'Where-Object',
    'Get-ExchangeServer',
  ]);
  assert.ok(p!.strings.includes(hostile), 'the hostile name is one string constant, unchanged');
  assert.ok(p!.strings.includes('EX01'), 'Invoke-Command -ComputerName EX01');
  for (const id of ['M7', 'M2', 'M2.1.0']) assert.ok(p!.strings.includes(id), id);
  assert.ok(script.indexOf('Read-Host') < script.indexOf('Set-ExchangeServer'), 'the prompt comes before any change');
});
