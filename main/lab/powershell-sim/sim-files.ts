/**
 * The simulated Exchange for PowerShell, as files: PowerShell modules (modules/) that define the
 * Exchange, service, event-log and IIS cmdlets the bundled scripts call and answer from a lab folder,
 * starting from real `Export-Clixml` captures (captures/, see its README); the entry script
 * (sim-entry.ps1) PowerShell 7 is started with in front of a bundled script, in place of
 * powershell.exe (pwsh itself, no shell, so the same on Linux and Windows); and
 * lab-apply.js, through which the modules' write cmdlets change the lab.
 *
 * With it, `eems-watch serve --lab DIR --host powershell` and the tests run the production
 * PowerShell host and the bundled scripts unchanged against a lab. What this proves and what only
 * Windows PowerShell 5.1 with real Exchange can: README, "What is verified where".
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the simulated Exchange's files are, below the project (or packaged app) folder. */
export interface SimPowerShellFiles {
  /** The entry script pwsh runs in front of a bundled script (imports SimExchange, strict mode on). */
  entry: string;
  /** The PowerShell modules (SimExchange, SimServer, SimLab, WebAdministration). */
  modules: string;
  /** The real captures the modules' objects start from. */
  captures: string;
  /** The compiled program the write cmdlets call (lab-apply.js, next to this module). */
  applyProgram: string;
}

/**
 * The files, given the project root (the folder with package.json: the .psm1 files and captures
 * are not compiled, so they stay in the source tree, or app.asar.unpacked when packaged).
 */
export function simPowerShellFiles(projectRoot: string): SimPowerShellFiles {
  const source = join(projectRoot, 'main', 'lab', 'powershell-sim');
  return {
    entry: join(source, 'sim-entry.ps1'),
    modules: join(source, 'modules'),
    captures: join(source, 'captures'),
    applyProgram: join(dirname(fileURLToPath(import.meta.url)), 'lab-apply.js'),
  };
}

/** PowerShell 7 to run the simulation with: $PWSH, then the .NET global tool, then pwsh on PATH. */
export function findPwsh(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PWSH) return existsSync(env.PWSH) ? env.PWSH : null;
  const tool = join(homedir(), '.dotnet', 'tools', process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
  if (existsSync(tool)) return tool;
  for (const dir of (env.PATH ?? '').split(process.platform === 'win32' ? ';' : ':')) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The sentence for a machine without PowerShell 7, with the line that installs it. */
export const PWSH_MISSING =
  'PowerShell 7 is needed to run the bundled scripts against the simulated Exchange, and none was found ($PWSH, ~/.dotnet/tools/pwsh or pwsh on PATH). ' +
  'Install it with: dotnet tool install --global PowerShell --version 7.6.10 (or set PWSH to its path), or leave out --host powershell to use the lab host.';

/**
 * The variables the simulated modules read (the host adds them to the environment PowerShell
 * inherits): where the modules are (first on PSModulePath), which lab, where the captures are,
 * which node and program apply writes. `calls`, when given, is a file that gets one line per
 * simulated cmdlet call.
 */
export function simEnvironment(files: SimPowerShellFiles, labDir: string, calls?: string): Record<string, string> {
  const inherited = (process.env.PSModulePath ?? '').split(delimiter).filter((dir) => dir !== '' && dir !== files.modules);
  return {
    PSModulePath: [files.modules, ...inherited].join(delimiter),
    EEMS_SIM_LAB: labDir,
    EEMS_SIM_FIXTURES: files.captures,
    EEMS_SIM_NODE: process.execPath,
    EEMS_SIM_APPLY: files.applyProgram,
    ...(calls ? { EEMS_SIM_CALLS: calls } : {}),
  };
}
