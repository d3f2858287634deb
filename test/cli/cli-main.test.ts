/**
 * The eems-watch entry point. The behaviour of `main()` is tested in-process (works from source and
 * compiled alike); the launcher bin/eems-watch.js is tested on its own in a temporary copy of the
 * project layout, with a stand-in dist/ entry, so the test neither needs nor builds the real dist/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { cliBin, projectRoot } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';

const COMMANDS = ['diagnose', 'parse-log', 'stale', 'verify-feed', 'poll', 'lab', 'serve'];

test('eems-watch --help (and no argument, and help) lists every command of the contract', async () => {
  for (const args of [['--help'], ['-h'], ['help'], []]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.equal(r.stderr, '');
    for (const name of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${name}\\s+\\S`, 'm'), `${name} in ${args.join(' ') || '(no argument)'}`);
  }
});

test('an unknown command is one line on stderr and exit 2, no stack trace', async () => {
  const r = await runCli(['frobnicate', '--json']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command 'frobnicate'.*eems-watch --help/);
});

test('--version prints the version of package.json', async () => {
  const { version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `eems-watch ${version}\n`);
});

/** A copy of the launcher in a project-shaped temp folder; `entry` is the dist/main/cli/main.js it should load. */
async function withLauncher(entry: string | null, fn: (bin: string) => void): Promise<void> {
  await withTempDir('launcher', async (dir) => {
    await mkdir(join(dir, 'bin'));
    const bin = join(dir, 'bin', 'eems-watch.js');
    await copyFile(cliBin, bin);
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    if (entry !== null) {
      await mkdir(join(dir, 'dist', 'main', 'cli'), { recursive: true });
      await writeFile(join(dir, 'dist', 'main', 'cli', 'main.js'), entry);
    }
    fn(bin);
  });
}

test('launcher: passes its arguments to dist main() and exits with the code main() returns', async () => {
  const standIn = [
    'export async function main(argv) {',
    "  process.stdout.write(JSON.stringify(argv) + '\\n');",
    '  return 3;',
    '}',
  ].join('\n');
  await withLauncher(standIn, (bin) => {
    const r = spawnSync(process.execPath, [bin, 'stale', '--state', 'a b.json', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['stale', '--state', 'a b.json', '--json']);
    assert.equal(r.stderr, '');
  });
});

test('launcher: without the compiled program it says what to run, in one line, exit 2', async () => {
  await withLauncher(null, (bin) => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /npm ci/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
