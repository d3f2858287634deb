/**
 * eems-watch serve: the engine and the UI in a browser, on 127.0.0.1 only, behind a random token
 * printed in the URL. Runs until SIGINT or SIGTERM, then stops the server and the engine cleanly.
 */
import { spawn } from 'node:child_process';
import { type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { startServe } from '../../headless/start-serve.js';

const USAGE = `Usage: eems-watch serve [--port N] [--lab DIR | --config FILE] [--open] [--data DIR] [--json]

Runs the engine and serves the EEMS Watch UI on http://127.0.0.1 only. The URL printed carries a
random token: open it (or use --open); the token is exchanged for a session cookie at once.
With neither --lab nor --config, a demo organisation is simulated under the data folder.

  --port N       listen on this port (default: any free port)
  --lab DIR      watch a simulated organisation (eems-watch lab init DIR)
  --config FILE  watch the servers of this settings file (as poll --config)
  --open         open the URL in the default browser
  --data DIR     keep the journal, state and settings here (default ~/.eems-watch/...)
  --json         print {"url","port","dataDir","labDir"} as one JSON document`;

/** Open a URL with the desktop's opener; failures are reported, never fatal. */
function openInBrowser(url: string, report: (line: string) => void): void {
  const [cmd, args] =
    process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : process.platform === 'darwin' ? ['open', [url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', (error) => report(`Could not open a browser (${error.message}); open the URL above by hand.`));
    child.unref();
  } catch (error) {
    report(`Could not open a browser (${(error as Error).message}); open the URL above by hand.`);
  }
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
      data: { type: 'string' },
      open: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not '${values.port}'.`);
    if (values.lab && values.config) throw new UsageError('give either --lab DIR or --config FILE, not both.');
    const say = (line: string) => (values.json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`));
    let running;
    try {
      running = await startServe({ port, lab: values.lab, config: values.config, dataDir: values.data, say });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use; pick another with --port or leave it out.`);
      throw new UsageError((error as Error).message);
    }
    if (values.json) writeJson(io, { url: running.url, port: running.port, dataDir: running.dataDir, labDir: running.labDir });
    else {
      io.stdout(`EEMS Watch is running. Open this URL (it carries your access token; do not share it):\n\n  ${running.url}\n\n`);
      io.stdout(`Data: ${running.dataDir}. Press Ctrl+C to stop.\n`);
    }
    if (values.open) openInBrowser(running.url, (line) => io.stderr(`${line}\n`));
    const signal = await untilSignal();
    say(`Stopping (${signal})...`);
    await running.stop();
    say('Stopped.');
    return 0;
  },
};
