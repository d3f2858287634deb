import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_OUTPUT_BYTES, runProcess } from '../../main/engine/hosts/process-runner.js';
import {
  assertHangTreeGone, ensureStandInExecutable, makeTempDir, receivedCalls, removeDir, standIn, waitUntilGone,
} from '../fixtures/pshost/stand-in-support.js';

const dirs: string[] = [];
function tempDir(control?: unknown): string {
  const dir = makeTempDir(control);
  dirs.push(dir);
  return dir;
}
function run(dir: string, options: { stdin?: string; timeoutMs?: number; maxOutputBytes?: number; args?: string[] } = {}) {
  return runProcess({
    executable: standIn,
    args: options.args ?? ['-File', join(dir, 'x.ps1')],
    stdin: options.stdin,
    timeoutMs: options.timeoutMs ?? 20_000,
    maxOutputBytes: options.maxOutputBytes,
    label: 'The test script',
  });
}

before(ensureStandInExecutable);
after(() => dirs.forEach(removeDir));

describe('runProcess', () => {
  it('passes stdin through byte for byte and returns stdout', async () => {
    const dir = tempDir({ '*': { mode: 'echo' } });
    const stdin = JSON.stringify({ name: 'EEMS "M2" ; $(whoami) `id` \'x\' é €' }) + '\n';
    const outcome = await run(dir, { stdin });
    assert.equal(outcome.ok, true);
    assert.ok(outcome.ok);
    assert.equal(outcome.stdout, stdin);
  });

  it('hands every argument over as one argv entry, with no shell in between', async () => {
    const dir = tempDir({ '*': { mode: 'echo' } });
    const marker = join(dir, 'shell-ran');
    const args = ['-File', join(dir, 'x.ps1'), 'two words', `$(touch ${marker})`, `; touch ${marker}`, '"quoted"', '`backtick`', "'single'"];
    const outcome = await run(dir, { args });
    assert.equal(outcome.ok, true);
    const [call] = receivedCalls(dir);
    assert.deepEqual(call?.argv, args);
    assert.equal(existsSync(marker), false, 'no shell may have interpreted the arguments');
  });

  it('reports a non-zero exit with the first line of stderr', async () => {
    const dir = tempDir({ '*': { mode: 'exit', exitCode: 3, stderr: '\r\nAdd-PSSnapin : No snap-ins have been registered.\r\nAt line:1 char:1\r\n' } });
    const outcome = await run(dir);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'exit-code');
    assert.equal(outcome.exitCode, 3);
    assert.match(outcome.message, /exit code 3: Add-PSSnapin : No snap-ins have been registered\.$/);
    assert.doesNotMatch(outcome.message, /At line/);
    assert.ok(outcome.nextStep.length > 0);
  });

  it('kills the program and its grandchild at the time-out', async () => {
    const dir = tempDir({ '*': { mode: 'hang' } });
    const outcome = await run(dir, { timeoutMs: 2_000 });
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'timeout');
    assert.match(outcome.message, /did not finish within 2 seconds/);
    await assertHangTreeGone(dir);
  });

  it('an abort (engine stop) ends the program and its grandchild at once, and says so', async () => {
    const dir = tempDir({ '*': { mode: 'hang' } });
    const controller = new AbortController();
    const pending = runProcess({
      executable: standIn, args: ['-File', join(dir, 'x.ps1')], timeoutMs: 60_000, label: 'The test script', signal: controller.signal,
    });
    // Abort once the stand-in has started its grandchild (it records both pids).
    for (let waited = 0; !existsSync(join(dir, 'hang-pids.json')) && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const outcome = await pending;
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'aborted');
    assert.match(outcome.message, /every process it started was ended/);
    await assertHangTreeGone(dir);
  });

  it('stops a flood of output at the cap and keeps no more than the cap', async () => {
    const dir = tempDir({ '*': { mode: 'huge', bytes: 50 * 1024 * 1024 } });
    const outcome = await run(dir);
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'output-too-large');
    assert.match(outcome.message, /more than 16 MB/);
    assert.equal(Buffer.byteLength(outcome.stdout), DEFAULT_MAX_OUTPUT_BYTES, 'exactly the cap is kept');
    assert.ok(outcome.outputBytes < DEFAULT_MAX_OUTPUT_BYTES + 1024 * 1024, 'reading stopped right after the cap');
    assert.equal(existsSync(join(dir, 'huge-finished.txt')), false, 'the program was stopped before it finished');
    const [call] = receivedCalls(dir);
    assert.equal(await waitUntilGone(call!.pid), true);
  });

  it('applies the cap to stderr too', async () => {
    const dir = tempDir({ '*': { mode: 'huge', bytes: 4 * 1024 * 1024, stream: 'stderr' } });
    const outcome = await run(dir, { maxOutputBytes: 1024 * 1024 });
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'output-too-large');
    assert.equal(Buffer.byteLength(outcome.stderr), 1024 * 1024);
    assert.equal(existsSync(join(dir, 'huge-finished.txt')), false);
  });

  it('reports a program that cannot be started', async () => {
    const dir = tempDir();
    const outcome = await runProcess({ executable: join(dir, 'no-such-powershell.exe'), args: [], timeoutMs: 5_000, label: 'The test script' });
    assert.ok(!outcome.ok);
    assert.equal(outcome.kind, 'spawn-failed');
    assert.match(outcome.message, /^The test script could not be started \(ENOENT/);
  });
});

