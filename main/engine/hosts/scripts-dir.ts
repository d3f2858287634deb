/**
 * Where the bundled PowerShell scripts live at run time. The .ps1 files are not compiled: they stay
 * in main/engine/hosts/scripts of the project (or of the packaged app), whether this module runs from
 * source (tsx), compiled (dist/main/engine/hosts) or from inside an Electron app.asar.
 */
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProjectRoot } from '../project-root.js';

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
