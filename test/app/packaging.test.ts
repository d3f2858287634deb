// Packaging smoke test: electron-builder really packs the app (Linux "dir" target) around a
// stand-in Electron distribution (no Electron binary can be downloaded here), and the app.asar
// holds what the app needs and nothing it must not ship. Needs the compiled dist/ (npm test builds it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../support/paths.js';
import { APP_ID } from '../../main/app/app-identity.js';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, options: { isPack: boolean }): string[] };

function fakeElectronDist(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'electron'), '#!/bin/sh\n');
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'LICENSE'), '');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '');
}

const config = JSON.parse(readFileSync(join(projectRoot, 'build', 'electron-builder.json'), 'utf8')) as Record<string, unknown>;

test('electron-builder config: appId equals the AppUserModelId, installers and fuses as designed', () => {
  assert.equal(config.appId, APP_ID);
  assert.deepEqual(config.nsis, { oneClick: true, perMachine: false, allowElevation: false, deleteAppDataOnUninstall: false });
  assert.deepEqual((config.linux as { target: string[] }).target, ['AppImage', 'deb']);
  assert.deepEqual((config.mac as { target: string[] }).target, ['dmg']);
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('electron-builder --linux dir builds an app.asar with the app and its production dependencies only', { timeout: 240_000 }, (t) => {
  const work = mkdtempSync(join(tmpdir(), 'eems-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dist = join(work, 'fakedist');
  fakeElectronDist(dist);
  const out = join(work, 'out');
  const cli = require.resolve('electron-builder/cli.js');
  // Fuses are flipped inside the real Electron binary; the stand-in has none, so this build uses the
  // project's configuration without them (their settings are checked in the config test above).
  const { electronFuses: _fuses, ...withoutFuses } = config;
  const configFile = join(work, 'electron-builder.json');
  writeFileSync(configFile, JSON.stringify(withoutFuses));
  const result = spawnSync(
    process.execPath,
    [cli, '--linux', 'dir', '--publish', 'never', '--config', configFile, `-c.electronDist=${dist}`, '-c.npmRebuild=false', `-c.directories.output=${out}`],
    { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, timeout: 200_000 },
  );
  assert.equal(result.status, 0, `electron-builder failed:\n${result.stdout}\n${result.stderr}`);

  const resources = join(out, 'linux-unpacked', 'resources');
  const files = asar.listPackage(join(resources, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
  const has = (re: RegExp) => files.some((f) => re.test(f));

  for (const wanted of [/^\/dist\/main\/app\/main\.js$/, /^\/dist\/main\/app\/preload\.cjs$/, /^\/dist\/main\/cli\/main\.js$/, /^\/dist\/main\/engine\//, /^\/dist\/renderer\/.+\.js$/, /^\/renderer\/index\.html$/, /^\/assets\/tray\/tray-ok\.png$/, /^\/package\.json$/]) {
    assert.ok(has(wanted), `app.asar lacks ${wanted}`);
  }
  for (const dep of ['zod', 'xml-crypto', '@xmldom/xmldom', 'winston', 'winston-daily-rotate-file', 'electron-store', 'conf', 'node-notifier', 'p-limit', 'undici']) {
    assert.ok(has(new RegExp(`^/node_modules/${dep.replace('/', '\\/')}/package\\.json$`)), `production dependency ${dep} is not packed`);
  }
  for (const unwanted of [/^\/node_modules\/typescript\//, /^\/node_modules\/electron\//, /^\/node_modules\/electron-builder\//, /^\/node_modules\/playwright-core\//, /^\/node_modules\/fast-check\//, /^\/dist\/test\//, /^\/test\//, /^\/(dist\/)?test\/fixtures\//, /\.ts$/, /\.map$/]) {
    assert.ok(!has(unwanted), `app.asar must not hold ${unwanted}: ${files.find((f) => unwanted.test(f))}`);
  }
  // node-notifier runs its helper binaries (notify-send wrappers, SnoreToast, terminal-notifier) from disk.
  const vendor = join(resources, 'app.asar.unpacked', 'node_modules', 'node-notifier', 'vendor');
  assert.ok(existsSync(vendor) && readdirSync(vendor).length > 0, 'node-notifier vendor helpers are not unpacked');
});
