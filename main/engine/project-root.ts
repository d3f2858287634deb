/**
 * The project folder (the one holding package.json), found by walking up from a module: the same
 * answer whether the code runs from source (tsx), compiled (dist/...) or packaged (app.asar).
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walk up from `start` (a folder) to the folder holding package.json, skipping a compiled `dist`. */
export function findProjectRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith(`${sep}dist`)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('The EEMS Watch program folder (with its package.json) was not found above the running code. Reinstall EEMS Watch.');
    dir = parent;
  }
  return dir;
}
