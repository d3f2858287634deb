/**
 * The eems-watch entry point: dispatches to one command module, turns every failure into one
 * line on stderr and a non-zero exit (contracts.md: no stack trace for bad input).
 */
import { type CliIo, type Command, UsageError, processIo, terminalSafe } from './cli-io.js';

type CommandLoader = () => Promise<Command>;

/** Every command, loaded on demand so `--help` and small commands start fast. */
const COMMANDS: Record<string, { summary: string; load: CommandLoader }> = {
  diagnose: { summary: 'Explain an EEMS error text, log or event export', load: async () => (await import('./commands/diagnose.js')).command },
  'parse-log': { summary: 'Read Mitigation Service log files: entries and hourly cycles', load: async () => (await import('./commands/parse-log.js')).command },
  stale: { summary: 'Judge every mitigation of a state file: active, stale, orphaned', load: async () => (await import('./commands/stale.js')).command },
  'verify-feed': { summary: 'Check a mitigation definitions XML as EEMS would', load: async () => (await import('./commands/verify-feed.js')).command },
  poll: { summary: 'Poll every configured server once (monitoring exit codes)', load: async () => (await import('./commands/poll.js')).command },
  lab: { summary: 'Create or advance a simulated Exchange organisation', load: async () => (await import('./commands/lab.js')).command },
  serve: { summary: 'Run the engine with the UI in a browser on 127.0.0.1', load: async () => (await import('./commands/serve.js')).command },
};

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'eems-watch: watch what the Exchange Emergency Mitigation service (EEMS) does to your servers.',
    '',
    'Usage: eems-watch <command> [options]   (every command takes --json and --help)',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

/** Run the CLI with these arguments; resolves to the exit code. */
export async function main(argv: string[], rawIo: CliIo = processIo): Promise<number> {
  const io = terminalSafe(rawIo);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText());
    return 0;
  }
  if (name === '--version') {
    io.stdout('eems-watch 0.1.0\n');
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`eems-watch: unknown command '${name}'. Run 'eems-watch --help' for the list.\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`eems-watch ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    const err = error as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? `file not found: ${err.path ?? err.message}` : err.message;
    io.stderr(`eems-watch ${name}: ${reason ?? String(error)}\n`);
    return 2;
  }
}
