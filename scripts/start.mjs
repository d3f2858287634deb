// npm start: set up what is missing, build, then run the Electron app when its binary is on this
// machine; otherwise say why and start the headless server (the same UI in a browser) on demo data.
// Extra arguments go to `eems-watch serve` (e.g. `npm start -- --open --port 8080`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';
import { downloadElectronBinary, findElectronBinary } from './electron-binary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

ensureSetup({ systemPackages: false });
run('npx', ['tsc', '-b']);

const electron = findElectronBinary(root) ?? downloadElectronBinary(root);
const env = { ...process.env, ...electronOfflineEnv };
let result;
if (electron) {
  console.log(`Starting EEMS Watch (Electron: ${electron})`);
  result = spawnSync(electron, [root], { cwd: root, stdio: 'inherit', env: process.env });
} else {
  console.log('no Electron binary on this machine (it cannot be downloaded here); starting the headless server on demo data instead');
  result = spawnSync(process.execPath, [join(root, 'bin', 'eems-watch.js'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
}
if (result.error) {
  console.error(result.error.message);
  process.exit(1);
}
process.exit(result.status ?? (result.signal ? 0 : 1));
