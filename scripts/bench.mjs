// npm run bench: build, run every bench/*.bench.ts in its own process (so memory figures do not
// mix), print a table and write bench-results.json. Each module reports ratios against a baseline
// it measures itself in the same run.
import { readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';

ensureSetup({ systemPackages: false });
run('npx', ['tsc', '-b']);
const only = process.argv[2];
const files = readdirSync(new URL('../dist/bench', import.meta.url))
  .filter((f) => f.endsWith('.bench.js') && (!only || f.includes(only)))
  .sort();
const results = [];
for (const file of files) {
  console.log(`running ${file} ...`);
  const child = spawnSync(process.execPath, ['--expose-gc', 'dist/bench/run-one.js', `dist/bench/${file}`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...electronOfflineEnv }, maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (child.status !== 0 || !line) {
    results.push({ name: file, value: NaN, unit: '', baseline: null, ratio: null, goal: 'runs', met: false });
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
