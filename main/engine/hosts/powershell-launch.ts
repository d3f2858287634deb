/**
 * How a bundled script is started. In production: Windows PowerShell (connection.powershellPath)
 * with fixed flags and the script's path, nothing else on the command line (the request goes on
 * stdin). The simulated Exchange of the lab starts PowerShell 7 with its entry script in front of the
 * bundled one instead (main/api/simulated-powershell.ts): the same scripts, the same stdin.
 */
import type { Settings } from '../settings/settings-schema.js';

export interface PowerShellLaunch {
  executable: string;
  /** The whole argument list for one script (no shell ever sees it). */
  args(scriptPath: string): string[];
}

/** The arguments powershell.exe gets: fixed flags and the script path, nothing else. */
export function powershellArgs(scriptPath: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', scriptPath];
}

/** Windows PowerShell as the settings name it. */
export function settingsLaunch(settings: Settings): PowerShellLaunch {
  return { executable: settings.connection.powershellPath, args: powershellArgs };
}
