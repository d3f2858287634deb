/**
 * Where the bundled PowerShell scripts live at run time. The .ps1 files are not compiled: they stay
 * in main/engine/hosts/scripts of the project (or of the packaged app), whether this module runs from
 * source (tsx), compiled (dist/main/engine/hosts) or from inside an Electron app.asar.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectRoot } from '../project-root.js';
import scriptHashes from './script-hashes.json' with { type: 'json' };

/** The script names the PowerShell host runs; nothing else is ever started. */
export const SCRIPT_NAMES = {
  collect: 'collect-state.ps1',
  events: 'read-events.ps1',
  run: 'run-step.ps1',
} as const;

/**
 * Find the scripts folder: walk up from `fromUrl` to the folder holding package.json (skipping a
 * compiled `dist` folder), then main/engine/hosts/scripts below it. Inside an asar archive the path
 * is rewritten to app.asar.unpacked, because powershell.exe cannot read files inside the archive
 * (the packaging must list the scripts under asarUnpack).
 */
export function resolveScriptsDir(fromUrl: string = import.meta.url): string {
  return unpackedPath(join(findProjectRoot(dirname(fileURLToPath(fromUrl))), 'main', 'engine', 'hosts', 'scripts'));
}

/** Map a path inside app.asar to the same path in app.asar.unpacked (other paths are unchanged). */
export function unpackedPath(path: string): string {
  const marker = `${sep}app.asar${sep}`;
  return path.includes(marker) ? path.replace(marker, `${sep}app.asar.unpacked${sep}`) : path;
}

/** The SHA-256 of each bundled script, by file name (scripts/hash-scripts.mjs writes the list). */
export const BUNDLED_SCRIPT_HASHES: Readonly<Record<string, string>> = scriptHashes;

/**
 * Check the scripts folder against a hash list: null when every listed script is there unchanged,
 * else the sentence an admin reads. The unpacked .ps1 files sit outside asar integrity, so a file
 * changed after installation would otherwise run with the admin's Exchange rights.
 */
export function checkScripts(dir: string, hashes: Readonly<Record<string, string>> = BUNDLED_SCRIPT_HASHES): string | null {
  const changed: string[] = [];
  for (const [name, expected] of Object.entries(hashes)) {
    let actual: string | null;
    try {
      actual = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
    } catch {
      actual = null; // missing or unreadable: refused like a changed file
    }
    if (actual !== expected) changed.push(actual === null ? `${name} (missing)` : name);
  }
  if (changed.length === 0) return null;
  return `The bundled PowerShell scripts in ${dir} are not the ones this version of EEMS Watch shipped (${changed.join(', ')}), so nothing was run on any server. Reinstall EEMS Watch; if you changed a script yourself, run 'npm run hash-scripts' in the project.`;
}
