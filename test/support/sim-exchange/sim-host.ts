/**
 * The PowerShell host over the simulated Exchange, for tests and the bench: the production host
 * code (powershell-host.ts) with the bundled scripts, unchanged and hash-checked, started through
 * PowerShell 7 and the simulated Exchange's entry script instead of powershell.exe, wired as `serve --host powershell`
 * wires it (main/api/simulated-powershell.ts). The same organisation can then be read through the
 * lab host and through real PowerShell.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedPowerShellHost } from '../../../main/api/simulated-powershell.js';
import type { PowerShellHostOptions } from '../../../main/engine/hosts/powershell-host.js';
import { readLabCached } from '../../../main/lab/lab-store.js';
import { findPwsh, PWSH_MISSING, simEnvironment, simPowerShellFiles } from '../../../main/lab/powershell-sim/sim-files.js';
import type { HostPort } from '../../../main/core/ports.js';
import { projectRoot } from '../paths.js';

/** PowerShell 7 as the tests use it: the one the app would find, else where the .NET tool installs it. */
export const PWSH = findPwsh() ?? process.env.PWSH ?? join(homedir(), '.dotnet', 'tools', 'pwsh');

/** Fails (never skips) when PowerShell 7 is missing, with the line that installs it. */
export function assertPwsh(): void {
  if (!findPwsh()) throw new Error(PWSH_MISSING);
}

const files = simPowerShellFiles(projectRoot);

/**
 * Point the simulated Exchange at a lab folder for PowerShell started outside the host (the host
 * passes its own lab folder). `calls` collects one line per simulated cmdlet call when given.
 */
export function useSimLab(labDir: string, calls?: string): void {
  Object.assign(process.env, simEnvironment(files, labDir, calls));
  if (!calls) delete process.env.EEMS_SIM_CALLS;
}

/** The production PowerShell host, remote mode, over the servers of this lab, on the lab's clock. */
export function createSimPowerShellHost(labDir: string, options: Partial<Omit<PowerShellHostOptions, 'settings' | 'clock' | 'env'>> = {}): HostPort {
  return createSimulatedPowerShellHost(labDir, { clock: { now: () => new Date(readLabCached(labDir).now) }, pwsh: PWSH, host: options });
}
