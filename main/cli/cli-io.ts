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

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

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
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
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
