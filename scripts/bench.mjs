// npm run bench: build, run every bench/*.bench.ts in its own process (so memory figures do not
// mix), print a table and write bench-results.json. Each module reports ratios against a baseline
// it measures itself in the same run.
import { readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';

// The same set-up as npm test: Debian packages (chromium for the UI bench, python3 for a log-parsing
// peer) and npm dependencies, so an entry does not fail for want of a tool.
ensureSetup();
run('npx', ['tsc', '-b']);
const only = process.argv[2];
const files = readdirSync(new URL('../dist/bench', import.meta.url))
  .filter((f) => f.endsWith('.bench.js') && (!only || f.includes(only)))
  .sort();
const results = [];
for (const file of files) {
  console.log(`running ${file} ...`);
  const child = spawnSync(process.execPath, ['--expose-gc', 'dist/bench/run-one.js', `dist/bench/${file}`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...electronOfflineEnv }, maxBuffer: 64 * 1024 * 1024,
  });
  process.stderr.write(child.stderr ?? '');
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (child.status !== 0 || !line) {
    results.push({ name: file, value: NaN, unit: '', baseline: null, ratio: null, goal: `could not run: ${whyNot(child)}`, met: false });
    continue;
  }
  results.push(...JSON.parse(line.slice('BENCH-RESULT '.length)));
}
writeFileSync(new URL('../bench-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const rows = results.map((r) => [r.name, `${r.value} ${r.unit}`, r.baseline ?? '', r.ratio ?? '', r.goal, r.met ? 'yes' : 'NO']);
const head = ['name', 'value', 'baseline', 'ratio', 'goal', 'met'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const fmt = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
console.log(`\n${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(fmt).join('\n')}`);
console.log(`\nwrote bench-results.json (${results.length} entries, ${results.filter((r) => !r.met).length} goals not met)`);

/** Why a bench module produced no result, in one line: its last error line, or how it ended. */
function whyNot(child) {
  if (child.error) return child.error.message;
  const lines = `${child.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => /^(\w*Error|error)\b|:\s/.test(l)) ?? lines.at(-1);
  const ended = child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`;
  return error ? `${error.slice(0, 160)} (${ended})` : ended;
}
