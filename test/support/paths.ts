/**
 * Paths for tests that work the same whether a test runs compiled (dist/test/..., npm test) or
 * from source with tsx (test/...): everything is resolved from the project root.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith(`${'/'}dist`)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('project root not found');
    dir = parent;
  }
  return dir;
}

/** The project folder (holds package.json). */
export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
/** test/fixtures in the source tree (fixtures are never compiled). */
export const fixturesDir = join(projectRoot, 'test', 'fixtures');
/** A fixture file's absolute path. */
export function fixture(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}
/** The CLI launcher (needs the compiled dist/, as after npm ci). */
export const cliBin = join(projectRoot, 'bin', 'eems-watch.js');
/** Git-ignored folder for artefacts a person may want to look at (screenshots). */
export const testOutputDir = join(projectRoot, 'test-output');
