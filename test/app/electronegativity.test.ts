// @doyensec/electronegativity on the app's Electron code and the renderer: no finding above
// informational may stand unless build/electronegativity-allowlist.json explains it. It scans the
// compiled JavaScript (what ships; its TypeScript reading garbles its own report) and the HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../support/paths.js';

interface Finding {
  issue: string;
  severity: string;
  file: string;
  location: string;
}
interface AllowEntry {
  issue: string;
  file: string;
  reason: string;
}

const require = createRequire(import.meta.url);

/** Parse electronegativity's CSV (quoted fields, commas inside quotes). */
function parseCsv(text: string): Finding[] {
  const rows = text.trim().split('\n').slice(1);
  return rows.map((row) => {
    const cells = [...row.matchAll(/"((?:[^"]|"")*)"|([^,]+)|(?<=,)(?=,|$)/g)].map((m) => (m[1] ?? m[2] ?? '').trim());
    return { issue: cells[0] ?? '', severity: cells[1] ?? '', file: cells[3] ?? '', location: cells[4] ?? '' };
  });
}

/** Copy what ships of the window into one folder, so global checks (CSP, navigation) see it all. */
function assembleScanInput(dir: string): string {
  const input = join(dir, 'app');
  const compiled = join(projectRoot, 'dist', 'main', 'app');
  assert.ok(existsSync(compiled), 'dist/ is missing: run `npm run build` (npm test does) before this test.');
  cpSync(compiled, join(input, 'main-app'), { recursive: true });
  cpSync(join(projectRoot, 'dist', 'renderer'), join(input, 'renderer'), { recursive: true });
  cpSync(join(projectRoot, 'renderer', 'index.html'), join(input, 'renderer', 'index.html'));
  return input;
}

function scan(): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), 'eems-eneg-'));
  try {
    const input = assembleScanInput(dir);
    const out = join(dir, 'findings.csv');
    const cli = join(require.resolve('@doyensec/electronegativity/package.json'), '..', 'dist', 'index.js');
    const result = spawnSync(
      process.execPath,
      // The offline shim keeps the tool from reaching for the internet (translations, Electron releases);
      // serial-writes keeps its two concurrent writes of the CSV report from garbling it.
      ['--require', join(projectRoot, 'test', 'support', 'offline.cjs'), '--require', join(projectRoot, 'test', 'support', 'serial-writes.cjs'), cli, '-i', input, '-r', '-o', out, '-v', 'false', '-e', '45.5.0', '-x', 'AvailableSecurityFixesGlobalCheck'],
      { cwd: projectRoot, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(result.status, 0, `electronegativity failed: ${result.stderr}`);
    return parseCsv(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('electronegativity leaves no finding above informational unexplained', { timeout: 180_000 }, () => {
  const allow = JSON.parse(readFileSync(join(projectRoot, 'build', 'electronegativity-allowlist.json'), 'utf8')) as AllowEntry[];
  for (const entry of allow) assert.ok(entry.reason.length > 20, `allow-list entry ${entry.issue} needs a reason`);
  const findings = scan().filter((f) => f.severity !== 'INFORMATIONAL');
  const unexplained = findings.filter((f) => !allow.some((a) => a.issue === f.issue && (a.file === '*' || f.file.endsWith(a.file))));
  assert.deepEqual(unexplained, [], `unexplained findings:\n${unexplained.map((f) => `${f.issue} ${f.severity} ${f.file}:${f.location}`).join('\n')}`);
});
