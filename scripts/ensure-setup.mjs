// The set-up that `npm start` and `npm test` do by themselves on a fresh machine: the Debian
// packages the tests need (when run as root on Debian) and the npm dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Run a command in the project folder, inheriting stdio; exit on failure. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) {
    console.error(`${cmd}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Environment that keeps Electron's installer and lazy download from reaching the internet. */
export const electronOfflineEnv = {
  ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
  ELECTRON_OVERRIDE_DIST_PATH: process.env.ELECTRON_OVERRIDE_DIST_PATH ?? '/nonexistent',
};

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Debian packages listed in scripts/system-packages.txt that are not installed. */
export function missingSystemPackages() {
  const wanted = readFileSync(new URL('system-packages.txt', import.meta.url), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!has('dpkg-query')) return [];
  return wanted.filter((pkg) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
}

/** The PowerShell the tests run the bundled scripts with (PWSH, else the .NET global tool's). */
export const pwshPath = process.env.PWSH ?? join(homedir(), '.dotnet', 'tools', 'pwsh');
/** The version named on purpose: without it the tool takes 7.7.0, which fails on this SDK. */
const PWSH_VERSION = '7.6.10';

/**
 * PowerShell 7 for the tests that run the real scripts and PowerShell's own parser: installed as
 * a .NET global tool where the .NET SDK is present; otherwise one line saying how, and a failure
 * (never a silent skip).
 */
export function ensurePwsh() {
  if (existsSync(pwshPath)) return;
  if (!has('dotnet')) {
    console.error(`PowerShell 7 is missing and so is the .NET SDK: install the .NET SDK, then run: dotnet tool install --global PowerShell --version ${PWSH_VERSION} (or set PWSH to a pwsh 7.6 binary).`);
    process.exit(1);
  }
  console.log(`Installing PowerShell ${PWSH_VERSION} (dotnet tool install --global PowerShell)...`);
  run('dotnet', ['tool', 'install', '--global', 'PowerShell', '--version', PWSH_VERSION]);
  if (!existsSync(pwshPath)) {
    console.error(`PowerShell ${PWSH_VERSION} was installed but ${pwshPath} is not there: set PWSH to the pwsh binary.`);
    process.exit(1);
  }
}

/** Install what is missing: Debian packages (root only), node_modules and PowerShell 7. */
export function ensureSetup({ systemPackages = true, pwsh = false } = {}) {
  if (pwsh) ensurePwsh();
  if (systemPackages) {
    const missing = missingSystemPackages();
    if (missing.length > 0) {
      if (process.getuid?.() === 0 && has('apt-get')) {
        console.log(`Installing Debian packages: ${missing.join(' ')}`);
        run('apt-get', ['update', '-qq']);
        run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      } else {
        console.error(`Missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install ${missing.join(' ')}`);
        process.exit(1);
      }
    }
  }
  if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
    console.log('Installing npm dependencies (npm ci)...');
    run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ...electronOfflineEnv } });
  }
}
