import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/eems-watch.js', import.meta.url));

test('eems-watch --help lists every command of the contract', () => {
  const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(result.status, 0);
  for (const name of ['diagnose', 'parse-log', 'stale', 'verify-feed', 'poll', 'lab', 'serve']) {
    assert.match(result.stdout, new RegExp(`\\b${name}\\b`));
  }
});

test('an unknown command is one line on stderr and exit 2, no stack trace', () => {
  const result = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});
