// npm test: set up what is missing, build from clean, lint (with the layer rules), then run every
// test under a virtual X display with its own session D-Bus, so the notification tests reach a
// real notification daemon (dunst, started by D-Bus on the first notification).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';

/**
 * Every compiled test file under `dir`, sorted, so support modules (helpers, fakes) are not run
 * as tests. node 20's --test given a folder would load every .js file in it.
 */
function testFilesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => join(dir, name))
    .sort();
}

ensureSetup({ pwsh: true });
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
run('npx', ['tsc', '-b']);
run('npx', ['eslint', '.']);

const filter = process.argv.slice(2);
const files = filter.length ? filter : testFilesUnder('dist/test');
console.log(`# running ${files.length} test file(s)`);
const nodeArgs = ['--test', '--test-reporter=tap', '--test-concurrency=2', ...files];
run('xvfb-run', ['-a', 'dbus-run-session', '--', process.execPath, ...nodeArgs], {
  env: { ...process.env, ...electronOfflineEnv, NODE_ENV: 'test', NO_COLOR: '1' },
});
