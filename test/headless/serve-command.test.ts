/** `eems-watch serve` in-process: prints the URL, serves the UI, stops cleanly on SIGINT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../main/cli/main.js';
import { initLab } from '../../main/lab/index.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

test('serve --lab prints the token URL, serves the page after sign-in, and stops on SIGINT', async () => {
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-cmd-'));
  try {
    await initLab(join(root, 'lab'), { scenario: 'demo' });
    const { io, out, err } = capture();
    const exit = main(['serve', '--lab', join(root, 'lab'), '--data', join(root, 'data'), '--port', '0'], io);
    await until(() => /Press Ctrl\+C/.test(out.join('')));
    const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out.join(''))?.[1];
    assert.ok(url, out.join(''));
    const signIn = await fetch(url, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(new URL('/', url), { headers: { Cookie: cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="js\/app\.js"><\/script>/);
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
