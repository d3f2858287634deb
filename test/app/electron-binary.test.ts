/**
 * `npm start` and the Electron binary (issue 13, point 12): on a machine where the download fails,
 * it is tried once, the failure is remembered in the project's own folder, and later starts go
 * straight to the headless server without touching the network again. Runs the real
 * scripts/electron-binary.mjs against a temporary project folder whose node_modules/electron/install.js
 * is a stand-in (Electron's own installer would need the internet): it counts its runs and fails,
 * hangs or succeeds as each test needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';

interface ElectronBinary {
  findElectronBinary(root: string, env?: NodeJS.ProcessEnv): string | null;
  downloadFailedMarker(root: string): string;
  downloadElectronBinary(root: string, options?: { env?: NodeJS.ProcessEnv; say?: (line: string) => void; timeoutMs?: number }): string | null;
}
const load = async (): Promise<ElectronBinary> => (await import(pathToFileURL(join(projectRoot, 'scripts', 'electron-binary.mjs')).href)) as ElectronBinary;

/** A project folder whose Electron installer is `body` (plain Node), counting each run in runs.txt. */
function project(root: string, body: string): { runs: () => number } {
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  const counter = join(root, 'runs.txt');
  writeFileSync(join(pkg, 'install.js'), `require('node:fs').appendFileSync(${JSON.stringify(counter)}, 'run\\n');\n${body}\n`);
  return { runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

const quietEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  delete env.EEMS_RETRY_ELECTRON;
  return { ...env, ...extra };
};

test('a failed download is tried once: the marker remembers why, the next start does not try again, EEMS_RETRY_ELECTRON=1 does', async () => {
  const { downloadElectronBinary, downloadFailedMarker } = await load();
  await withTempDir('electron-dl', async (root) => {
    const installer = project(root, "console.error('HTTPError: Response code 403 (Forbidden) error fetching electron-v42.0.0-linux-x64.zip'); process.exit(1);");
    const said: string[] = [];
    const say = (line: string) => said.push(line);
    assert.equal(downloadElectronBinary(root, { env: quietEnv(), say }), null);
    assert.equal(installer.runs(), 1);
    assert.match(said.join('\n'), /The Electron binary could not be downloaded: HTTPError: Response code 403/);
    assert.match(readFileSync(downloadFailedMarker(root), 'utf8'), /403 \(Forbidden\)/);

    said.length = 0;
    assert.equal(downloadElectronBinary(root, { env: quietEnv(), say }), null);
    assert.equal(installer.runs(), 1, 'the second start does not try the network again');
    assert.match(said.join('\n'), /Not trying to download Electron again: it failed before on this machine \(to retry, delete .*electron-download-failed or set EEMS_RETRY_ELECTRON=1\)/);

    assert.equal(downloadElectronBinary(root, { env: quietEnv({ EEMS_RETRY_ELECTRON: '1' }), say }), null);
    assert.equal(installer.runs(), 2, 'asked to retry, it tries');
  });
});

test('a download that hangs is stopped at the time-out and remembered as such', async () => {
  const { downloadElectronBinary, downloadFailedMarker } = await load();
  await withTempDir('electron-dl', async (root) => {
    const installer = project(root, 'setTimeout(() => undefined, 600000);');
    const said: string[] = [];
    assert.equal(downloadElectronBinary(root, { env: quietEnv(), say: (l) => said.push(l), timeoutMs: 1000 }), null);
    assert.equal(installer.runs(), 1);
    assert.match(said.join('\n'), /could not be downloaded: no answer within 1 s/);
    assert.match(readFileSync(downloadFailedMarker(root), 'utf8'), /no answer within 1 s/);
  });
});

test('a download that works gives the binary; build machines (ELECTRON_SKIP_BINARY_DOWNLOAD=1) never try', async () => {
  const { downloadElectronBinary, findElectronBinary, downloadFailedMarker } = await load();
  await withTempDir('electron-dl', async (root) => {
    const pkg = join(root, 'node_modules', 'electron');
    const installer = project(root, `const fs = require('node:fs'); fs.mkdirSync(${JSON.stringify(join(pkg, 'dist'))}, { recursive: true }); fs.writeFileSync(${JSON.stringify(join(pkg, 'dist', 'electron'))}, ''); fs.writeFileSync(${JSON.stringify(join(pkg, 'path.txt'))}, 'electron');`);
    assert.equal(downloadElectronBinary(root, { env: quietEnv({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }), say: () => undefined }), null);
    assert.equal(installer.runs(), 0, 'skipped without a process');
    assert.equal(findElectronBinary(root, quietEnv()), null);
    assert.equal(downloadElectronBinary(root, { env: quietEnv(), say: () => undefined }), join(pkg, 'dist', 'electron'));
    assert.equal(installer.runs(), 1);
    assert.equal(existsSync(downloadFailedMarker(root)), false);
  });
});
