/**
 * Paths for tests that work the same whether a test runs compiled (dist/test/..., npm test) or
 * from source with tsx (test/...): everything is resolved from the project root.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectRoot } from '../../main/engine/project-root.js';

/** The project folder (holds package.json). */
export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
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
