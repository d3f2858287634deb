/**
 * The production PowerShell host over a lab: remote mode to each lab server, powershell.exe
 * replaced by PowerShell 7 started with the simulated Exchange's entry script in front of each
 * bundled script (main/lab/powershell-sim), the lab folder handed to PowerShell through the
 * environment. No shell is involved, so it runs alike on Linux and Windows (run here on Linux only).
 * Used by `serve --host powershell` and by the tests and bench that compare it with the lab host,
 * so all of them run the same wiring.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, HostPort } from '../core/ports.js';
import { createPowerShellHost, type PowerShellHostOptions } from '../engine/hosts/powershell-host.js';
import { powershellArgs, type PowerShellLaunch } from '../engine/hosts/powershell-launch.js';
import { findProjectRoot } from '../engine/project-root.js';
import { settingsSchema } from '../engine/settings/settings-schema.js';
import { readStateCached } from '../lab/lab-store.js';
import { findPwsh, PWSH_MISSING, simEnvironment, simPowerShellFiles, type SimPowerShellFiles } from '../lab/powershell-sim/sim-files.js';

export interface SimulatedPowerShellOptions {
  clock: Clock;
  /** PowerShell 7; default findPwsh(). */
  pwsh?: string;
  /** A file that gets one line per simulated cmdlet call. */
  calls?: string;
  /** Host options beyond the settings (auditDays, maxEvents, endpointUrl, ...). */
  host?: Partial<Omit<PowerShellHostOptions, 'settings' | 'clock' | 'env'>>;
  /** More environment for PowerShell (the tests' SSL_CERT_FILE, so .NET trusts their test root). */
  env?: Readonly<Record<string, string>>;
}

/**
 * How the host starts a bundled script against the simulated Exchange: PowerShell 7 with the fixed
 * flags, the entry script, and the bundled script's path as the entry script's one parameter.
 */
export function simLaunch(files: SimPowerShellFiles, pwsh: string): PowerShellLaunch {
  return {
    executable: pwsh,
    args: (scriptPath) => [...powershellArgs(files.entry), '-Script', scriptPath],
  };
}

/** The PowerShell host reading the lab in `labDir`; throws a sentence when it cannot run here. */
export function createSimulatedPowerShellHost(labDir: string, options: SimulatedPowerShellOptions): HostPort {
  const pwsh = options.pwsh ?? findPwsh();
  if (!pwsh) throw new Error(PWSH_MISSING);
  const files = simPowerShellFiles(findProjectRoot(dirname(fileURLToPath(import.meta.url))));
  const settings = settingsSchema.parse({
    connection: { mode: 'remote', remoteUri: 'http://{server}/PowerShell/', callTimeoutSeconds: 300 },
    servers: readStateCached(labDir).servers.map((s) => ({ name: s.Name, ...(s.Fqdn ? { fqdn: s.Fqdn } : {}) })),
  });
  return createPowerShellHost({
    ...options.host,
    settings,
    clock: options.clock,
    launch: simLaunch(files, pwsh),
    env: { ...options.env, ...simEnvironment(files, labDir, options.calls) },
  });
}
