/**
 * `eems-watch ... | head -1`: the reader closes stdout after the first chunk. The real launcher runs
 * as a child process on outputs far larger than a pipe's buffer, so writes certainly happen after the
 * close; the command must end quietly (no EPIPE, no stack trace) with the exit code of a normal run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { cliBin, fixture } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';

interface ClosedRun {
  code: number | null;
  stderr: string;
  chunks: number;
}

/** Run the CLI, destroy the read end of its stdout after the first chunk, wait for it to end. */
function runClosingAfterFirstChunk(args: string[]): Promise<ClosedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let chunks = 0;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => void (stderr += t));
    child.stdout.on('data', () => {
      chunks += 1;
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, chunks }));
  });
}

/** A state file with `count` servers, each with two applied mitigations. */
function manyServers(count: number): string {
  const servers = Array.from({ length: count }, (_, i) => ({
    Name: `EX${i}`,
    AdminDisplayVersion: 'Version 15.2 (Build 1748.10)',
    ExSetupVersion: '15.02.1748.046',
    MitigationsEnabled: true,
    MitigationsApplied: ['PING1', 'M2.1.0'],
    MitigationsBlocked: [],
    RewriteRules: [],
    AppPools: [],
    Services: [],
    Error: null,
  }));
  return JSON.stringify({ collectedAt: '2026-11-27T10:00:00Z', organization: { MitigationsEnabled: true }, servers });
}

test('stale, parse-log and diagnose end quietly with their normal exit code when stdout closes early', async () => {
  await withTempDir('closed-pipe', async (dir) => {
    const state = join(dir, 'state.json');
    await writeFile(state, manyServers(3000));
    const log = join(dir, 'big.log');
    await writeFile(log, (await readFile(fixture('samples', 'mitigation-service.log'), 'utf8')).repeat(600));
    const runs = [
      ['stale', '--state', state],
      ['stale', '--state', state, '--json'],
      ['parse-log', log],
      ['parse-log', log, '--json'],
      ['diagnose', '--file', log, '--json'],
    ];
    for (const args of runs) {
      const name = args.join(' ').replace(dir, '<tmp>');
      const normal = await runCli(args);
      // Far more than a pipe holds (64 KiB): the command is still writing when the reader leaves.
      assert.ok(normal.stdout.length > 200_000, `${name} prints ${normal.stdout.length} characters`);
      const closed = await runClosingAfterFirstChunk(args);
      assert.ok(closed.chunks >= 1, `${name} printed something before the close`);
      assert.doesNotMatch(closed.stderr, /EPIPE|Error|\n\s+at /, name);
      assert.equal(closed.stderr, '', name);
      assert.equal(closed.code, normal.code, name);
    }
  });
});
