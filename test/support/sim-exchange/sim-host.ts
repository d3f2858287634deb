/**
 * The PowerShell host over the simulated Exchange: the production host code (powershell-host.ts)
 * with the bundled scripts, unchanged and hash-checked, started through pwsh-sim.sh instead of
 * powershell.exe. The simulated Exchange (main/lab/powershell-sim) answers from a lab
 * folder, so the same organisation can be read through the lab host and through real PowerShell.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createPowerShellHost, type PowerShellHostOptions } from '../../../main/engine/hosts/powershell-host.js';
import { settingsSchema } from '../../../main/engine/settings/settings-schema.js';
import { readLabCached, readStateCached } from '../../../main/lab/lab-store.js';
import type { HostPort } from '../../../main/core/ports.js';
import { simEnvironment, simPowerShellFiles } from '../../../main/lab/powershell-sim/sim-files.js';
import { projectRoot } from '../paths.js';

/** PowerShell 7 as the tests use it (a .NET global tool). */
export const PWSH = process.env.PWSH ?? join(homedir(), '.dotnet', 'tools', 'pwsh');

/** Fails (never skips) when PowerShell 7 is missing, with the line that installs it. */
export function assertPwsh(): void {
  if (!existsSync(PWSH)) {
    throw new Error(`PowerShell 7 is needed at ${PWSH} to run the bundled scripts: dotnet tool install --global PowerShell --version 7.6.10 (or set PWSH).`);
  }
}

const files = simPowerShellFiles(projectRoot);
/** The stand-in for powershell.exe. */
export const simLauncher = files.launcher;

/**
 * Point the simulated Exchange at a lab folder. The host passes no environment of its own to
 * powershell.exe (it inherits this process's), so the lab is named here. `calls` collects one line
 * per simulated cmdlet call when given.
 */
export function useSimLab(labDir: string, calls?: string): void {
  Object.assign(process.env, simEnvironment(files, labDir, PWSH, calls));
  if (!calls) delete process.env.EEMS_SIM_CALLS;
}

/** The production PowerShell host, remote mode, over the servers of this lab. */
export function createSimPowerShellHost(labDir: string, options: Partial<PowerShellHostOptions> = {}): HostPort {
  const state = readStateCached(labDir);
  const settings = settingsSchema.parse({
    connection: { mode: 'remote', remoteUri: 'http://{server}/PowerShell/', powershellPath: simLauncher, callTimeoutSeconds: 300 },
    servers: state.servers.map((s) => ({ name: s.Name, ...(s.Fqdn ? { fqdn: s.Fqdn } : {}) })),
  });
  return createPowerShellHost({ settings, clock: { now: () => new Date(readLabCached(labDir).now) }, ...options });
}
