// npm start: set up what is missing, build, then run the Electron app when its binary is on this
// machine; otherwise say why and start the headless server (the same UI in a browser) on demo data.
// Extra arguments go to `eems-watch serve` (e.g. `npm start -- --open --port 8080`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSetup, run, electronOfflineEnv } from './ensure-setup.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Electron executable, found the way require('electron') finds it, but without its side
 * effect: require('electron') downloads the binary when it is missing, which cannot work here.
 */
function findElectronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, relative || 'electron') : relative ? join(pkg, 'dist', relative) : null;
  return candidate && existsSync(candidate) ? candidate : null;
}

/**
 * A failed download is remembered in the project's own folder, so later starts on this machine go
 * straight to the headless server instead of waiting on the network again.
 */
const downloadFailedMarker = join(root, 'node_modules', '.cache', 'eems-watch', 'electron-download-failed');

/**
 * Electron 42+ downloads its binary on first use, not at npm install. Try that once (it needs the
 * internet), with a short time-out; ELECTRON_SKIP_BINARY_DOWNLOAD=1, set on build machines without
 * internet, skips it, and so does the marker of an earlier failure (EEMS_RETRY_ELECTRON=1 retries).
 */
function downloadElectronBinary() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' || process.env.ELECTRON_OVERRIDE_DIST_PATH) return null;
  if (existsSync(downloadFailedMarker) && process.env.EEMS_RETRY_ELECTRON !== '1') {
    console.log(`Not trying to download Electron again: it failed before on this machine (to retry, delete ${downloadFailedMarker} or set EEMS_RETRY_ELECTRON=1).`);
    return null;
  }
  console.log('Fetching the Electron binary (first start only)...');
  const install = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { cwd: root, encoding: 'utf8', timeout: 90_000 });
  if (install.status === 0) return findElectronBinary();
  const reason = `${install.stderr ?? ''}`.split('\n').find((line) => /error/i.test(line)) ?? install.error?.message ?? `exit ${install.status}`;
  console.log(`The Electron binary could not be downloaded: ${reason.trim()}`);
  try {
    mkdirSync(dirname(downloadFailedMarker), { recursive: true });
    writeFileSync(downloadFailedMarker, `${new Date().toISOString()} ${reason.trim()}\n`);
  } catch {
    // Without the marker the next start simply tries again.
  }
  return null;
}

ensureSetup({ systemPackages: false });
run('npx', ['tsc', '-b']);

const electron = findElectronBinary() ?? downloadElectronBinary();
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
