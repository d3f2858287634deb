import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfSettingsStore } from '../../main/engine/settings/settings-store.js';
import { openAppSettings } from '../../main/app/app-settings.js';
import { defaultSettings } from '../../main/engine/settings/settings-schema.js';

// electron-store runs under plain Node only with this set (no Electron binary here).
process.env.ELECTRON_OVERRIDE_DIST_PATH ??= '/nonexistent';

const openers = {
  'conf (headless)': openConfSettingsStore,
  'electron-store (app)': openAppSettings,
};

for (const [name, open] of Object.entries(openers)) {
  test(`${name}: a corrupt settings file is moved aside, defaults are loaded and the admin is told`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eems-settings-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'settings.json'), '{"servers": [ {"name": "EX01"', 'utf8');
    const store = await open(dir);
    assert.deepEqual(store.get(), defaultSettings());
    assert.match(store.notice ?? '', /could not be used: it is not readable JSON/);
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(join(dir, aside[0] as string), 'utf8'), '{"servers": [ {"name": "EX01"');
    assert.match(store.notice ?? '', new RegExp(aside[0] as string));
  });

  test(`${name}: a file that is JSON but not valid settings is also moved aside, naming the field`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eems-settings-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ schemaVersion: 1, poll: { concurrency: 0 } }));
    const store = await open(dir);
    assert.match(store.notice ?? '', /poll\.concurrency/);
    assert.equal(store.get().poll.concurrency, defaultSettings().poll.concurrency);
  });

  test(`${name}: settings survive a reopen, updates are validated, old documents are migrated`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eems-settings-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ powershellPath: 'C:\\PS\\pwsh.exe', servers: [{ name: 'EX01' }] }));
    const first = await open(dir);
    assert.equal(first.notice, null);
    assert.equal(first.get().connection.powershellPath, 'C:\\PS\\pwsh.exe');
    assert.equal(first.get().schemaVersion, 1);
    const refused = first.update({ ...first.get(), servers: [{ name: 'EX01; calc' }] });
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.error : '', /^Server 1, name \(servers\.0\.name\): 'EX01; calc' has a space; server names are letters, digits/);
    const saved = first.update({ ...first.get(), poll: { ...first.get().poll, concurrency: 16 } });
    assert.equal(saved.ok, true);
    const again = await open(dir);
    assert.equal(again.get().poll.concurrency, 16);
    assert.deepEqual(again.get().servers.map((s) => s.name), ['EX01']);
  });
}
