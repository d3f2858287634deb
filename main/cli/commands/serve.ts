/**
 * eems-watch serve: the engine and the UI in a browser, on 127.0.0.1 only. It prints a private
 * sign-in page (a file only this user can read) and a one-time code; neither the code nor any
 * secret is ever part of an address or of a command line. Runs until SIGINT or SIGTERM, then stops
 * the server and the engine cleanly. A second start on the same data folder is refused with a new
 * sign-in for the running server.
 */
import { spawn } from 'node:child_process';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import type { SignInGrant } from '../../headless/auth-routes.js';
import { InstanceRunningError } from '../../headless/instance-lock.js';
import { startServe } from '../../headless/start-serve.js';

const USAGE = `Usage: eems-watch serve [--port N] [--lab DIR | --config FILE] [--host lab|powershell] [--open] [--data DIR] [--json]

Runs the engine and serves the EEMS Watch UI on http://127.0.0.1 only. To sign in, open the
private sign-in page it prints (or use --open), or open the address and enter the one-time code.
A code works once, for 10 minutes; the session ends after 2 hours without use or 24 hours.
With neither --lab nor --config, a demo organisation is simulated under the data folder.

  --port N       listen on this port (default: any free port)
  --lab DIR      watch a simulated organisation (eems-watch lab init DIR)
  --config FILE  watch the servers of this settings file (as poll --config)
  --host H       how a lab or the demo is read: lab (default, instant) or powershell (the
                 production PowerShell host and bundled scripts under PowerShell 7 against a
                 simulated Exchange built from real captures; needs pwsh, seconds per server)
  --open         open the sign-in page in the default browser
  --data DIR     keep the journal, state and settings here (default ~/.eems-watch/...)
  --json         print {"url","port","dataDir","labDir","signInPage","signInCode","signInExpiresAt"}

Exit codes: 0 stopped cleanly, 2 bad arguments or a start that failed, 4 already running for this
data folder (the running server's address and a new sign-in are printed).`;

/** Exit code of a start refused because this data folder has a running server. */
export const EXIT_ALREADY_RUNNING = 4;

/**
 * Open the sign-in page with the desktop's opener. Its argument is a file path, never a secret
 * (other users see command lines in `ps`). A missing opener or one that fails is reported.
 */
function openInBrowser(target: string, report: (line: string) => void): void {
  const [cmd, args] =
    process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', target]] : process.platform === 'darwin' ? ['open', [target]] : ['xdg-open', [target]];
  const failed = (why: string): void => report(`No browser could be opened (${why}). Open the sign-in page above by hand.`);
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', (error) => failed(error.message));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) failed(`${cmd} exited with code ${code}`);
    });
    child.unref();
  } catch (error) {
    failed((error as Error).message);
  }
}

/** The lines that tell the admin how to sign in. */
function signInLines(origin: string, grant: SignInGrant): string {
  return [
    `  Sign-in page (private to you): ${grant.file.url}`,
    `  or open ${origin}/ and enter the one-time code ${grant.code}`,
    `  (the code works once, until ${grant.expiresAt}; do not share it)`,
    '',
  ].join('\n');
}

/** A refused second start: where the running one is, and a way in. */
function alreadyRunning(error: InstanceRunningError, json: boolean, io: CliIo): number {
  if (json) {
    writeJson(io, { error: 'already-running', message: error.message, url: error.origin ? `${error.origin}/` : null, pid: error.pid, signInPage: error.signIn?.file.url ?? null, signInCode: error.signIn?.code ?? null });
  } else {
    io.stderr(`eems-watch serve: ${error.message}\n`);
    if (error.origin && error.signIn) io.stderr(`Use the running one:\n${signInLines(error.origin, error.signIn)}Or stop it (Ctrl+C in its window, or kill ${error.pid}) before starting another.\n`);
  }
  return EXIT_ALREADY_RUNNING;
}

/** Resolve once SIGINT or SIGTERM arrives. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const done = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

export const command: Command = {
  name: 'serve',
  summary: 'Run the engine with the UI in a browser on 127.0.0.1',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      port: { type: 'string' },
      lab: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      open: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not '${values.port}'.`);
    if (values.lab && values.config) throw new UsageError('give either --lab DIR or --config FILE, not both.');
    const host = values.host ?? 'lab';
    if (host !== 'lab' && host !== 'powershell') throw new UsageError(`--host must be lab or powershell, not '${host}'.`);
    const say = (line: string) => (values.json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`));
    let running;
    try {
      running = await startServe({ port, lab: values.lab, config: values.config, labReader: host, dataDir: values.data, say });
    } catch (error) {
      if (error instanceof InstanceRunningError) return alreadyRunning(error, values.json, io);
      const err = error as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use; pick another with --port or leave it out.`);
      throw new UsageError((error as Error).message);
    }
    const grant = running.signIn;
    if (values.json) {
      writeJson(io, { url: running.url, port: running.port, dataDir: running.dataDir, labDir: running.labDir, signInPage: grant.file.url, signInCode: grant.code, signInExpiresAt: grant.expiresAt });
    } else {
      io.stdout(`EEMS Watch is running at ${running.url}\n\n${signInLines(running.server.origin, grant)}\n`);
      io.stdout(`Data: ${running.dataDir}. Press Ctrl+C to stop.\n`);
    }
    if (values.open) openInBrowser(grant.file.path, (line) => io.stderr(`${line}\n`));
    const signal = await untilSignal();
    say(`Stopping (${signal})...`);
    await running.stop();
    say('Stopped.');
    return 0;
  },
};
