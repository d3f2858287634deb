/**
 * Run one external program safely: an executable and an argument list (never a shell), a request on
 * stdin, a time-out that ends the whole process tree, and a cap on what it may print. Every way it
 * can go wrong comes back as a typed failure with a sentence for the admin and the next step.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Default cap on stdout and on stderr (each): 16 MB. A state document for 500 servers is far smaller. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What to run. */
export interface RunProcessOptions {
  executable: string;
  /** Passed as separate arguments; no shell ever sees them. */
  args: readonly string[];
  /** Written to stdin, then stdin is closed. */
  stdin?: string;
  timeoutMs: number;
  /** Cap on stdout and on stderr, each; the program is stopped when either goes over. */
  maxOutputBytes?: number;
  /** Names the program in sentences: "The collection script (collect-state.ps1)". */
  label?: string;
  /** Replaces the generic next step of a failure kind with one that fits the caller. */
  nextSteps?: Partial<Record<ProcessFailureKind, string>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Abandons the call: the process tree is killed as on a time-out, and the outcome says so. */
  signal?: AbortSignal;
}

/** The program ran to the end with exit code 0. */
export interface ProcessSuccess {
  ok: true;
  stdout: string;
  stderr: string;
  exitCode: 0;
  pid: number;
}

export type ProcessFailureKind = 'timeout' | 'output-too-large' | 'exit-code' | 'spawn-failed' | 'aborted';

/** Why the program gave no usable result. `stdout`/`stderr` hold what was read (at most the cap). */
export interface ProcessFailure {
  ok: false;
  kind: ProcessFailureKind;
  /** A sentence for the admin. */
  message: string;
  /** What to do about it. */
  nextStep: string;
  pid: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Bytes read from stdout and stderr together (bounded by twice the cap plus one chunk). */
  outputBytes: number;
}

export type ProcessOutcome = ProcessSuccess | ProcessFailure;

const GENERIC_NEXT_STEPS: Record<ProcessFailureKind, string> = {
  timeout: 'Run it by hand to see where it stops, or allow it more time.',
  'output-too-large': 'Run it by hand to see what it prints.',
  'exit-code': 'Run it by hand to see the whole error.',
  'spawn-failed': 'Check that the path of the program is right and that it may be run.',
  aborted: 'Nothing to do: the next poll asks again.',
};

/** Keeps the first `limit` bytes of a stream and counts the rest; never holds more than the cap. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly limit: number) {}
  /** Returns false once the stream went over the cap. */
  add(chunk: Buffer): boolean {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    return this.total <= this.limit;
  }
  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/**
 * End a process and everything it started. POSIX: the child was spawned detached, so it leads its
 * own process group and one SIGKILL to the group reaches grandchildren too. Windows: taskkill /T.
 */
export function killProcessTree(pid: number): void {
  if (process.platform === 'win32') {
    // NOT VERIFIED HERE: these machines have no Windows. taskkill /T ends the tree, /F forces it.
    const killer = spawn('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true, stdio: 'ignore' });
    killer.on('error', () => {
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    });
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The first non-empty line of a text, trimmed ('' when there is none). */
export function firstLine(text: string): string {
  return text.split(/\r?\n/).map((line) => line.trim()).find((line) => line.length > 0) ?? '';
}

/**
 * Run an executable with arguments and stdin, bounded in time and output.
 * Resolves (never rejects) with the output or a typed failure.
 */
export function runProcess(options: RunProcessOptions): Promise<ProcessOutcome> {
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const label = options.label ?? `The program ${options.executable}`;
  const next = (kind: ProcessFailureKind): string => options.nextSteps?.[kind] ?? GENERIC_NEXT_STEPS[kind];
  const isWindows = process.platform === 'win32';

  return new Promise((resolve) => {
    const out = new BoundedBuffer(limit);
    const err = new BoundedBuffer(limit);
    let stopReason: StopReason | null = null;
    let settled = false;
    let child: ChildProcess;

    const fail = (kind: ProcessFailureKind, message: string, extra: Partial<ProcessFailure> = {}): void => {
      finish({
        ok: false, kind, message, nextStep: next(kind), pid: child?.pid ?? null, exitCode: null, signal: null,
        stdout: out.text(), stderr: err.text(), outputBytes: out.total + err.total, ...extra,
      });
    };
    const finish = (outcome: ProcessOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const stop = (reason: StopReason): void => {
      if (stopReason || settled) return;
      stopReason = reason;
      if (child.pid !== undefined) killProcessTree(child.pid);
      // Stop reading now: a grandchild that escaped the kill must not keep us waiting or buffering.
      child.stdout?.destroy();
      child.stderr?.destroy();
    };

    try {
      child = spawn(options.executable, [...options.args], {
        shell: false,
        // POSIX: own process group, so the time-out can kill the whole tree. Windows: no new console.
        detached: !isWindows,
        windowsHide: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: options.env,
        cwd: options.cwd,
      });
    } catch (error) {
      resolve(spawnFailure(options, label, next('spawn-failed'), error));
      return;
    }
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = (): void => stop('aborted');
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      if (child.pid === undefined) finish(spawnFailure(options, label, next('spawn-failed'), error));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!out.add(chunk)) stop('output-too-large');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!err.add(chunk)) stop('output-too-large');
    });
    // The program may exit without reading its input (EPIPE): that is its exit code's business.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');

    child.on('close', (code, signal) => {
      if (stopReason === null && code === 0) {
        finish({ ok: true, stdout: out.text(), stderr: err.text(), exitCode: 0, pid: child.pid ?? 0 });
        return;
      }
      const failure = describeEnd(stopReason, code, signal, label, options.timeoutMs, limit, err.text());
      fail(failure.kind, failure.message, { exitCode: code, signal });
    });
  });
}

/** The sentence for a program that was stopped or ended with an error. */
type StopReason = 'timeout' | 'output-too-large' | 'aborted';

function describeEnd(
  stopReason: StopReason | null,
  code: number | null,
  signal: NodeJS.Signals | null,
  label: string,
  timeoutMs: number,
  limit: number,
  stderr: string,
): { kind: ProcessFailureKind; message: string } {
  if (stopReason === 'timeout') {
    const seconds = Math.round(timeoutMs / 100) / 10;
    return { kind: 'timeout', message: `${label} did not finish within ${seconds} seconds and was stopped, with every process it started.` };
  }
  if (stopReason === 'aborted') {
    return { kind: 'aborted', message: `${label} was stopped because EEMS Watch is shutting down or gave up waiting; every process it started was ended.` };
  }
  if (stopReason === 'output-too-large') {
    const megabytes = Math.round((limit / (1024 * 1024)) * 10) / 10;
    return { kind: 'output-too-large', message: `${label} printed more than ${megabytes} MB and was stopped.` };
  }
  const reason = firstLine(stderr) || (signal ? `it was ended by ${signal}` : 'it printed no error text');
  const how = code === null ? `was ended by ${signal ?? 'a signal'}` : `ended with exit code ${code}`;
  return { kind: 'exit-code', message: `${label} ${how}: ${reason}` };
}

function spawnFailure(options: RunProcessOptions, label: string, nextStep: string, error: unknown): ProcessFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'error';
  return {
    ok: false,
    kind: 'spawn-failed',
    message: `${label} could not be started (${code} for ${options.executable}).`,
    nextStep,
    pid: null,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    outputBytes: 0,
  };
}
