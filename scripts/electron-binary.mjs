// Where `npm start` gets the Electron binary from (used by start.mjs; tested by
// test/app/electron-binary.test.ts with a stand-in install.js in a temporary project folder).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

/**
 * The Electron executable, found the way require('electron') finds it, but without its side
 * effect: require('electron') downloads the binary when it is missing, which cannot work here.
 */
export function findElectronBinary(root, env = process.env) {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, relative || 'electron') : relative ? join(pkg, 'dist', relative) : null;
  return candidate && existsSync(candidate) ? candidate : null;
}

/**
 * A failed download is remembered in the project's own folder, so later starts on this machine go
 * straight to the headless server instead of waiting on the network again.
 */
export function downloadFailedMarker(root) {
  return join(root, 'node_modules', '.cache', 'eems-watch', 'electron-download-failed');
}

/**
 * Electron 42+ downloads its binary on first use, not at npm install. Try that once (it needs the
 * internet), with a short time-out; ELECTRON_SKIP_BINARY_DOWNLOAD=1, set on build machines without
 * internet, skips it, and so does the marker of an earlier failure (EEMS_RETRY_ELECTRON=1 retries).
 * Returns the binary, or null with the reason said on `say`.
 */
export function downloadElectronBinary(root, { env = process.env, say = (line) => console.log(line), timeoutMs = 90_000 } = {}) {
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' || env.ELECTRON_OVERRIDE_DIST_PATH) return null;
  const marker = downloadFailedMarker(root);
  if (existsSync(marker) && env.EEMS_RETRY_ELECTRON !== '1') {
    say(`Not trying to download Electron again: it failed before on this machine (to retry, delete ${marker} or set EEMS_RETRY_ELECTRON=1).`);
    return null;
  }
  say('Fetching the Electron binary (first start only)...');
  const install = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env });
  if (install.status === 0) return findElectronBinary(root, env);
  const timedOut = install.error && /ETIMEDOUT/.test(String(install.error.code ?? install.error.message));
  const reason = timedOut
    ? `no answer within ${Math.round(timeoutMs / 1000)} s`
    : (`${install.stderr ?? ''}`.split('\n').find((line) => /error/i.test(line)) ?? install.error?.message ?? `exit ${install.status}`).trim();
  say(`The Electron binary could not be downloaded: ${reason}`);
  try {
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()} ${reason}\n`);
  } catch {
    // Without the marker the next start simply tries again.
  }
  return null;
}
