/**
 * The production PowerShell host over a lab: remote mode to each lab server, powershell.exe
 * replaced by the simulated Exchange's launcher (main/lab/powershell-sim), the lab folder handed to
 * PowerShell through the environment. Used by `serve --host powershell` and by the tests and bench
 * that compare it with the lab host, so all of them run the same wiring.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, HostPort } from '../core/ports.js';
import { createPowerShellHost, type PowerShellHostOptions } from '../engine/hosts/powershell-host.js';
import { findProjectRoot } from '../engine/project-root.js';
import { settingsSchema } from '../engine/settings/settings-schema.js';
import { readStateCached } from '../lab/lab-store.js';
import { findPwsh, PWSH_MISSING, simEnvironment, simPowerShellFiles } from '../lab/powershell-sim/sim-files.js';

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

/** The PowerShell host reading the lab in `labDir`; throws a sentence when it cannot run here. */
export function createSimulatedPowerShellHost(labDir: string, options: SimulatedPowerShellOptions): HostPort {
  if (process.platform === 'win32') {
    throw new Error('--host powershell runs the simulated Exchange through a POSIX shell launcher, so it is not available on Windows yet. Leave out --host powershell, or point EEMS Watch at a real Exchange server.');
  }
  const pwsh = options.pwsh ?? findPwsh();
  if (!pwsh) throw new Error(PWSH_MISSING);
  const files = simPowerShellFiles(findProjectRoot(dirname(fileURLToPath(import.meta.url))));
  const settings = settingsSchema.parse({
    connection: { mode: 'remote', remoteUri: 'http://{server}/PowerShell/', powershellPath: files.launcher, callTimeoutSeconds: 300 },
    servers: readStateCached(labDir).servers.map((s) => ({ name: s.Name, ...(s.Fqdn ? { fqdn: s.Fqdn } : {}) })),
  });
  return createPowerShellHost({ ...options.host, settings, clock: options.clock, env: { ...options.env, ...simEnvironment(files, labDir, pwsh, options.calls) } });
}
