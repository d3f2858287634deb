import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigFileError, loadConfigFile } from '../../main/engine/config-file.js';
import { createLogger } from '../../main/engine/logging.js';
import { withTempDir } from '../support/temp-dir.js';

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('logcfg', fn);

test('the engine log lands in a dated file with its own audit file, flushed on close', () =>
  withDir(async (dir) => {
    const logger = createLogger({ dir });
    logger.info('Alert critical: Fetch error on EX16-LEGACY');
    await logger.close();
    const files = (await readdir(dir)).sort();
    assert.ok(files.includes('eems-watch-log-audit.json'), files.join());
    const log = files.find((f) => /^eems-watch-\d{4}-\d{2}-\d{2}\.log$/.test(f));
    assert.ok(log, files.join());
    assert.match(await readFile(join(dir, log), 'utf8'), /Fetch error on EX16-LEGACY/);
  }));

test('a config file gets the defaults, resolves relative paths, and its errors name the file and the field', () =>
  withDir(async (dir) => {
    const good = join(dir, 'eems.json');
    await writeFile(good, JSON.stringify({ connection: { mode: 'lab', labDir: 'lab' }, servers: [{ name: 'EX01', logFolder: 'logs/EX01' }] }));
    const settings = await loadConfigFile(good);
    assert.equal(settings.poll.stateMinutes, 5);
    assert.equal(settings.alerts.fetchErrorThreshold, 2);
    assert.equal(settings.connection.labDir, join(dir, 'lab'));
    assert.equal(settings.servers[0]!.logFolder, join(dir, 'logs', 'EX01'));

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ poll: { concurrency: 0 } }));
    await assert.rejects(loadConfigFile(bad), (e: Error) => e instanceof ConfigFileError && /bad\.json/.test(e.message) && /poll\.concurrency/.test(e.message));
    await writeFile(bad, '{ "servers": [ }');
    await assert.rejects(loadConfigFile(bad), /bad\.json is not valid JSON/);
    await assert.rejects(loadConfigFile(join(dir, 'none.json')), /none\.json: no such file/);
  }));
