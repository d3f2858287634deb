// npm test: set up what is missing, build from clean, lint (with the layer rules), then run every
// test under a virtual X display with its own session D-Bus, so the notification tests reach a
// real notification daemon (dunst, started by D-Bus on the first notification).
import { rmSync } from 'node:fs';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';

ensureSetup({ pwsh: true });
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
run('npx', ['tsc', '-b']);
run('npx', ['eslint', '.']);

const filter = process.argv.slice(2);
const nodeArgs = ['--test', '--test-reporter=tap', '--test-concurrency=2', ...(filter.length ? filter : ['dist/test/'])];
run('xvfb-run', ['-a', 'dbus-run-session', '--', process.execPath, ...nodeArgs], {
  env: { ...process.env, ...electronOfflineEnv, NODE_ENV: 'test', NO_COLOR: '1' },
});
