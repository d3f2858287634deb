/**
 * The bundled scripts must run on Windows PowerShell 5.1 (what Exchange servers have), while the
 * tests run them under PowerShell 7. test/support/ps51-syntax-check.ps1 parses each script with
 * PowerShell's own parser and refuses what 5.1 lacks. Each construct it knows is proven to be
 * caught by a snippet, and look-alikes that 5.1 runs are proven not to be flagged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveScriptsDir } from '../../main/engine/hosts/scripts-dir.js';
import { assertPwsh, PWSH } from '../support/sim-exchange/sim-host.js';
import { projectRoot } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';

interface Checked {
  path: string;
  parseErrors: { line: number; message: string }[];
  violations: { line: number; column: number; construct: string; text: string }[];
}

const checker = join(projectRoot, 'test', 'support', 'ps51-syntax-check.ps1');

function check(paths: string[]): Checked[] {
  assertPwsh();
  const r = spawnSync(PWSH, ['-NoProfile', '-NonInteractive', '-File', checker], { input: JSON.stringify(paths), encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { files: Checked[] }).files;
}

test('every bundled script parses and uses only what Windows PowerShell 5.1 has', () => {
  const dir = resolveScriptsDir();
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.ps1')).sort();
  assert.ok(scripts.length >= 5, `the bundled scripts are found in ${dir}`);
  const found = check(scripts.map((f) => join(dir, f)));
  const problems = found.flatMap((f) => [
    ...f.parseErrors.map((e) => `${f.path}:${e.line}: ${e.message}`),
    ...f.violations.map((v) => `${f.path}:${v.line}: ${v.construct}: ${v.text}`),
  ]);
  assert.deepEqual(problems, []);
});

/** One snippet per construct, on line 2 of its file, and the words the check must name it with. */
const SEVEN_ONLY: [string, string, RegExp][] = [
  ['ternary', '$x = $true ? 1 : 2', /ternary operator/],
  ['pipeline-chain-and', 'Get-Date && Get-Date', /pipeline chain/],
  ['pipeline-chain-or', 'Get-Date || Get-Date', /pipeline chain/],
  ['null-coalescing', '$y = $null ?? 3', /null-coalescing operator \?\?/],
  ['null-coalescing-assignment', '$z ??= 4', /null-coalescing assignment/],
  ['null-conditional-member', '$n = ${x}?.Length', /null-conditional member access/],
  ['null-conditional-method', '$n = ${x}?.ToString()', /null-conditional member access/],
  ['null-conditional-index', '$n = ${x}?[0]', /null-conditional index/],
  ['foreach-parallel', '1..3 | ForEach-Object -Parallel { $_ }', /ForEach-Object -Parallel/],
  ['clean-block', 'function F { process { 1 } clean { 2 } }', /clean block/],
  ['as-byte-stream', 'Get-Content -LiteralPath x -AsByteStream', /Get-Content -AsByteStream/],
  ['as-hashtable', "'{}' | ConvertFrom-Json -AsHashtable", /ConvertFrom-Json -AsHashtable/],
  ['as-hashtable-prefix', "'{}' | ConvertFrom-Json -AsHash", /ConvertFrom-Json -AsHashtable/],
  ['from-json-depth', "'{}' | ConvertFrom-Json -Depth 5", /ConvertFrom-Json -Depth/],
  ['skip-certificate-check', 'Invoke-WebRequest -Uri https://x -SkipCertificateCheck', /Invoke-WebRequest -SkipCertificateCheck/],
  ['utf8-no-bom', "Set-Content -LiteralPath x -Value 1 -Encoding utf8NoBOM", /-Encoding utf8NoBOM/],
  ['utf8-no-bom-colon', "Out-File -FilePath x -Encoding:utf8NoBOM", /-Encoding utf8NoBOM/],
  ['test-json', "Test-Json -Json '{}'", /the cmdlet Test-Json/],
  ['join-string', '1, 2 | Join-String', /the cmdlet Join-String/],
  ['is-windows', 'if ($IsWindows) { 1 }', /\$IsWindows/],
  ['ps-style', '$PSStyle.Reset', /\$PSStyle/],
  ['split-path-leafbase', 'Split-Path -LiteralPath x -LeafBase', /Split-Path -LeafBase/],
];

test('each construct Windows PowerShell 5.1 lacks is reported by name, at its line', async () => {
  await withTempDir('ps51', async (dir) => {
    const files = SEVEN_ONLY.map(([name, code]) => {
      const file = join(dir, `${name}.ps1`);
      writeFileSync(file, `# ${name}\n${code}\n`);
      return file;
    });
    const found = check(files);
    SEVEN_ONLY.forEach(([name, , construct], i) => {
      const v = found[i]?.violations ?? [];
      assert.ok(v.some((x) => construct.test(x.construct) && x.line === 2), `${name}: expected ${construct} on line 2, got ${JSON.stringify(v)}`);
    });
  });
});

test('look-alikes that Windows PowerShell 5.1 runs are not flagged', async () => {
  await withTempDir('ps51', async (dir) => {
    const file = join(dir, 'fine.ps1');
    writeFileSync(file, [
      "$text = 'a ? b : c, x ?? y, $a?.b && c || d'",
      '$ok = ($true -and $false) -or $true',
      "Out-File -FilePath x -Encoding UTF8 -NoNewline -InputObject 'a'",
      "'{}' | ConvertFrom-Json",
      '$ht = @{ a = 1 }; $ht.a',
      '1..3 | ForEach-Object { $_ } | ForEach-Object -Process { $_ }',
      'Get-Content -LiteralPath x -Encoding Byte -ReadCount 0',
      '$is = $env:OS -eq "Windows_NT"',
      'function F { begin { } process { } end { } }',
      '$q = $a[0]',
      '$leaf = Split-Path -Leaf $PSCommandPath',
      '',
    ].join('\n'));
    const [fine] = check([file]);
    assert.deepEqual(fine?.parseErrors, []);
    assert.deepEqual(fine?.violations, []);
  });
});

test('a script that does not parse is reported with its line', async () => {
  await withTempDir('ps51', async (dir) => {
    const file = join(dir, 'broken.ps1');
    writeFileSync(file, '$a = 1\nif ($a { 2 }\n');
    const [broken] = check([file]);
    assert.ok((broken?.parseErrors.length ?? 0) > 0);
    assert.equal(broken?.parseErrors[0]?.line, 2);
  });
});
