/**
 * Shared plumbing for eems-watch commands: argument parsing, the one-line error contract
 * (stderr, non-zero exit, never a stack trace) and the --json / human output split.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes. Tests pass their own to capture output. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * A writer for one of the process's streams that survives a closed pipe: `eems-watch ... | head -1`
 * closes stdout early, and Node then emits EPIPE as an 'error' event that would crash the process
 * with a stack trace. The reader has gone, so the rest of the output has nowhere to go: later writes
 * are dropped and the command ends with its normal exit code.
 */
export function closedPipeSafeWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  let guarded = false;
  return (text) => {
    if (closed) return;
    if (!guarded) {
      guarded = true;
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
          closed = true;
          return;
        }
        throw error;
      });
    }
    stream.write(text);
  };
}

export const processIo: CliIo = {
  stdout: closedPipeSafeWriter(process.stdout),
  stderr: closedPipeSafeWriter(process.stderr),
};

/**
 * Control characters other than newline and tab, C0 and C1 (ESC, CSI, OSC...): text from servers
 * and files must not drive the admin's terminal ("ESC ] 52" writes the clipboard, issue 14.8).
 */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** The text with terminal control characters removed (newlines and tabs kept). */
export function stripTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, '');
}

/** The same output with every write made terminal-safe: what main() hands each command. */
export function terminalSafe(io: CliIo): CliIo {
  return { stdout: (text) => io.stdout(stripTerminalControls(text)), stderr: (text) => io.stderr(stripTerminalControls(text)) };
}

/** A bad argument or unreadable input: printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parse a command's options; unknown options become a UsageError naming them. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

/** Print one JSON document on stdout. */
export function writeJson(io: CliIo, value: unknown): void {
  // JSON.stringify escapes C0 controls but leaves DEL and C1 raw: escape them too, so the
  // document keeps every character and still cannot drive a terminal.
  io.stdout(`${JSON.stringify(value, null, 2).replace(/[\u007F-\u009F]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
}

/** A command of the eems-watch CLI. */
export interface Command {
  name: string;
  /** One line for --help. */
  summary: string;
  /** The usage text printed by `eems-watch <name> --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
