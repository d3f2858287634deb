/** `eems-watch serve` in-process: prints the URL, serves the UI, stops cleanly on SIGINT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../main/cli/main.js';
import { initLab } from '../../main/lab/index.js';
import { authHeaders, signInWithCode } from './support/serve-lab.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

test('serve --lab prints an address without a secret and a one-time code, serves the API after sign-in, and stops on SIGINT', async () => {
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-cmd-'));
  try {
    await initLab(join(root, 'lab'), { scenario: 'demo' });
    const { io, out, err } = capture();
    const exit = main(['serve', '--lab', join(root, 'lab'), '--data', join(root, 'data'), '--port', '0'], io);
    await until(() => /Press Ctrl\+C/.test(out.join('')));
    const url = /running at (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out.join(''))?.[1];
    const code = /one-time code ([A-Za-z0-9_-]{40,})/.exec(out.join(''))?.[1];
    assert.ok(url && code, out.join(''));
    assert.match(out.join(''), /Sign-in page \(private to you\): file:\/\/\S+\/run\/sign-in-[0-9a-f]+\.html/);
    const page = await fetch(new URL('/', url));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="js\/app\.js"><\/script>/);
    const cookie = await signInWithCode(new URL(url).origin, code);
    const overview = await fetch(new URL('/api/getOverview', url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeaders(cookie) }, body: '{}' });
    assert.equal(overview.status, 200);
    process.emit('SIGINT');
    assert.equal(await exit, 0);
    assert.match(out.join(''), /Stopped\./);
    assert.equal(err.join(''), '');
    await assert.rejects(fetch(new URL('/', url)), 'the server no longer answers');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('serve refuses a bad port and --lab with --config, in one line and exit 2', async () => {
  for (const args of [['--port', 'abc'], ['--lab', 'x', '--config', 'y'], ['--frobnicate']]) {
    const { io, out, err } = capture();
    assert.equal(await main(['serve', ...args], io), 2);
    assert.equal(out.join(''), '');
    assert.equal(err.join('').trim().split('\n').length, 1);
  }
});

test('serve with neither --lab nor --config runs the demo and says so', async () => {
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-demo-'));
  try {
    const { io, out } = capture();
    const exit = main(['serve', '--data', root], io);
    await until(() => /Press Ctrl\+C/.test(out.join('')));
    assert.match(out.join(''), /Demo mode: .*simulated Exchange organisation was created in .*demo-lab/);
    process.emit('SIGTERM');
    assert.equal(await exit, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
