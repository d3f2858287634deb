/** Counts in admin sentences agree with their number: "1 server", "2 servers", "1 hour". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countOf } from '../../main/core/plural.js';
import { wording } from '../../main/core/alerts/alert-wording.js';
import { runCli } from '../support/cli.js';
import { withTempDir } from '../support/temp-dir.js';
import { join } from 'node:path';

test('countOf: singular for 1, plural otherwise, irregular plurals given', () => {
  assert.equal(countOf(1, 'server'), '1 server');
  assert.equal(countOf(0, 'server'), '0 servers');
  assert.equal(countOf(2, 'server'), '2 servers');
  assert.equal(countOf(1, 'entry', 'entries'), '1 entry');
  assert.equal(countOf(3, 'entry', 'entries'), '3 entries');
});

test('a missed heartbeat of one hour says "1 hour", of five "5 hours"', () => {
  assert.match(wording.heartbeatMissed('EX01', '2026-11-27T10:00:00Z', 1).title, /for 1 hour$/);
  assert.match(wording.heartbeatMissed('EX01', '2026-11-27T10:00:00Z', 5).title, /for 5 hours$/);
});

test('lab init and poll --once of a one-server lab say "1 server", never "1 servers"', async () => {
  await withTempDir('plural', async (dir) => {
    const lab = join(dir, 'lab');
    const init = await runCli(['lab', 'init', lab, '--scenario', 'quiet', '--servers', '1']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /lab with 1 server in /);
    const poll = await runCli(['poll', '--once', '--lab', lab]);
    assert.match(poll.stdout, /\(1 server, collected /);
    assert.doesNotMatch(init.stdout + poll.stdout, /\b1 servers\b/);
  });
});
