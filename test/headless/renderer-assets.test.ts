/**
 * A stale renderer build is compiled into the project's own dist/renderer, never into a shared
 * predictable folder, and a symbolic link planted at a target is replaced, not written through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateRendererAssets } from '../../main/headless/renderer-assets.js';

test('a stale build is compiled into the project folder, and a planted link there is replaced, not followed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'eems-assets-'));
  try {
    await mkdir(join(root, 'renderer'), { recursive: true });
    await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(root, 'renderer', 'app.ts'), 'export const answer: number = 42;\n');
    const victim = join(root, 'victim.txt');
    await writeFile(victim, 'keep me');
    await mkdir(join(root, 'dist', 'renderer'), { recursive: true });
    await symlink(victim, join(root, 'dist', 'renderer', 'app.js'));
    // The link is older than nothing: make the source newer so the build counts as stale.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(join(root, 'renderer', 'app.ts'), 'export const answer: number = 43;\n');

    const assets = await locateRendererAssets(root);
    assert.equal(assets.scriptDir, join(root, 'dist', 'renderer'));
    assert.equal(await readFile(victim, 'utf8'), 'keep me', 'the planted link was written through');
    assert.equal((await lstat(join(assets.scriptDir, 'app.js'))).isSymbolicLink(), false);
    assert.match(await readFile(join(assets.scriptDir, 'app.js'), 'utf8'), /answer = 43/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
