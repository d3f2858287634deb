/**
 * Timers behind a port, so the poller runs on a fake clock in tests and soaks: the real scheduler
 * wraps setTimeout; the manual one fires due timers when a test advances its clock.
 */
import type { Clock } from '../core/ports.js';

/** Where the poller gets its timers from. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's own timers. */
export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock a test moves by hand. */
export interface FakeClock extends Clock {
  set(time: Date): void;
}

/** A fake clock starting at `start`. */
export function createFakeClock(start: Date): FakeClock {
  let now = start.getTime();
  return { now: () => new Date(now), set: (time) => void (now = time.getTime()) };
}

/** A scheduler driven by a fake clock: advance() moves the clock and fires what fell due, in order. */
export interface ManualScheduler extends Scheduler {
  /** Move time forward by ms, firing timers (and letting their async work settle) as they come due. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired or cleared. */
  pending(): number;
}

/** Yield to the event loop until pending promise work (and I/O callbacks) has run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Create a manual scheduler over this fake clock. */
export function createManualScheduler(clock: FakeClock): ManualScheduler {
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: clock.now().getTime() + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => timers.size,
    async advance(ms) {
      const end = clock.now().getTime() + ms;
      await settle();
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        if (due[1].at > clock.now().getTime()) clock.set(new Date(due[1].at));
        due[1].fn();
        await settle();
      }
      clock.set(new Date(end));
      await settle();
    },
  };
}
