/**
 * The poll scheduler: per server, state every stateMs and events + log every eventsMs; bounded
 * concurrency (p-limit); jittered exponential back-off for a failing server; "poll now"; never two
 * overlapping cycles for one server; stop() lets fetches in flight finish for a short grace, then
 * aborts them (a hung server must not hold up a shutdown for its whole time-out; nothing of an
 * aborted batch is committed, so nothing is lost), waits for commits under way, and leaves no timer
 * behind.
 * Servers that fall due together are fetched as one batch and committed together (one journal
 * write, one state write per batch). Time comes from a Clock, timers from a Scheduler.
 */
import pLimit from 'p-limit';
import type { Clock } from '../core/ports.js';
import type { Scheduler } from './scheduler.js';

/** What one server's cycle fetches. */
export interface PollWork {
  state: boolean;
  events: boolean;
}

/** The outcome of one server's fetch. */
export type PollOutcome<T> = { server: string; work: PollWork; ok: true; value: T } | { server: string; work: PollWork; ok: false; error: Error };

export interface PollerOptions<T> {
  clock: Clock;
  scheduler: Scheduler;
  servers: () => string[];
  stateMs: number;
  eventsMs: number;
  concurrency: number;
  /** `signal` aborts when the fetch timed out or the poller stops: pass it on to the host calls. */
  fetch: (server: string, work: PollWork, signal: AbortSignal) => Promise<T>;
  /** Whether a fetched value is a failure for back-off (an unreachable server), besides a throw. */
  failed?: (value: T) => boolean;
  commit: (outcomes: PollOutcome<T>[]) => Promise<void>;
  /** A fetch taking longer counts as failed and is aborted (the host's own time-out should come first). */
  timeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number; jitter: number };
  /** stop() lets fetches in flight finish this long, then aborts them (default 5 s). */
  stopGraceMs?: number;
  random?: () => number;
  onProgress?: (polling: boolean, server?: string) => void;
  onError?: (error: Error) => void;
}

interface ServerSchedule {
  nextStateAt: number;
  nextEventsAt: number;
  failures: number;
  retryAt: number;
  running: Promise<void> | null;
}

/** The poller. */
export interface Poller {
  start(): void;
  stop(): Promise<void>;
  /** Poll these servers (default all) now, state and events; resolves once committed. */
  pollNow(server?: string): Promise<void>;
  /** Back-off state of a server, for the diagnostics page. */
  schedule(server: string): { failures: number; retryAt: string | null; nextStateAt: string; nextEventsAt: string } | null;
  /** How many fetches run right now (never above the concurrency). */
  readonly active: number;
  /**
   * Change intervals, concurrency or time-out while running: each server's next due times are
   * re-based on its last cycle (a shorter interval takes effect at once), fetches in flight finish.
   */
  reconfigure(changes: Partial<Pick<PollerOptions<unknown>, 'stateMs' | 'eventsMs' | 'concurrency' | 'timeoutMs'>>): void;
}

/** The error of a fetch abandoned because the poller stopped (never committed). */
export class PollStoppedError extends Error {
  constructor(server: string | null) {
    super(`Polling stopped${server ? ` while ${server} was being read` : ''}.`);
    this.name = 'PollStoppedError';
  }
}

/** Create a poller (not started). */
export function createPoller<T>(initial: PollerOptions<T>): Poller {
  const options = { ...initial };
  const limit = pLimit(options.concurrency);
  const schedules = new Map<string, ServerSchedule>();
  const batches = new Set<Promise<void>>();
  const backoff = options.backoff ?? { baseMs: options.eventsMs, maxMs: Math.max(options.stateMs * 6, 30 * 60_000), jitter: 0.2 };
  const random = options.random ?? Math.random;
  let timer: unknown = null;
  let started = false;
  let stopped = false;
  let active = 0;
  let commitQueue: Promise<void> = Promise.resolve();
  // Ended by stop() after its grace: in-flight fetches (a hung server) end at once instead of at
  // their time-out. A set, not listeners on one signal: hundreds of fetches may be in flight.
  const inFlight = new Set<() => void>();
  let abandoned = false;
  const now = () => options.clock.now().getTime();

  function scheduleOf(server: string): ServerSchedule {
    let s = schedules.get(server);
    if (!s) {
      s = { nextStateAt: now(), nextEventsAt: now(), failures: 0, retryAt: 0, running: null };
      schedules.set(server, s);
    }
    return s;
  }

  /** Exponential, jittered (so failing servers do not retry in step), and never above maxMs. */
  function backoffMs(failures: number): number {
    const raw = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(failures - 1, 30));
    return Math.min(backoff.maxMs, Math.round(raw * (1 - backoff.jitter + 2 * backoff.jitter * random())));
  }

  /** Run one fetch; it fails (and its signal aborts) at the time-out or when the poller stops. */
  function guarded(server: string, work: PollWork): Promise<T> {
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let handle: unknown = null;
      const finish = (error: Error | null, value?: T) => {
        if (handle !== null) options.scheduler.clearTimeout(handle);
        inFlight.delete(onStop);
        if (error) {
          controller.abort(error);
          reject(error);
        } else resolve(value as T);
      };
      const onStop = () => finish(new PollStoppedError(server));
      if (abandoned) return onStop();
      inFlight.add(onStop);
      if (options.timeoutMs) handle = options.scheduler.setTimeout(() => finish(new Error(`no answer within ${Math.round(options.timeoutMs! / 1000)} s`)), options.timeoutMs);
      Promise.resolve()
        .then(() => options.fetch(server, work, controller.signal))
        .then(
          (v) => finish(null, v),
          (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))),
        );
    });
  }

  async function fetchOne(server: string, work: PollWork): Promise<PollOutcome<T>> {
    return limit(async () => {
      active += 1;
      options.onProgress?.(true, server);
      try {
        return { server, work, ok: true as const, value: await guarded(server, work) };
      } catch (error) {
        return { server, work, ok: false as const, error: error instanceof Error ? error : new Error(String(error)) };
      } finally {
        active -= 1;
      }
    });
  }

  function reschedule(outcome: PollOutcome<T>): void {
    const s = scheduleOf(outcome.server);
    const t = now();
    const failed = !outcome.ok || (options.failed?.(outcome.value) ?? false);
    if (failed) {
      s.failures += 1;
      s.retryAt = t + backoffMs(s.failures);
    } else {
      s.failures = 0;
      s.retryAt = 0;
    }
    if (outcome.work.state) s.nextStateAt = t + options.stateMs;
    if (outcome.work.events) s.nextEventsAt = t + options.eventsMs;
  }

  /** Fetch these servers as one batch, then commit. Marks them running until committed. */
  function runBatch(items: { server: string; work: PollWork }[]): Promise<void> {
    let resolveRunning!: () => void;
    const running = new Promise<void>((r) => (resolveRunning = r));
    for (const item of items) scheduleOf(item.server).running = running;
    const batch = (async () => {
      try {
        const outcomes = await Promise.all(items.map((i) => fetchOne(i.server, i.work)));
        // Cut short by stop(): commit nothing. No bookmark moves, so the next start reads it all again.
        if (outcomes.some((o) => !o.ok && o.error instanceof PollStoppedError)) return;
        for (const o of outcomes) reschedule(o);
        const commit = commitQueue.then(() => options.commit(outcomes));
        commitQueue = commit.catch(() => undefined);
        await commit;
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      } finally {
        for (const item of items) scheduleOf(item.server).running = null;
        resolveRunning();
        if (active === 0) options.onProgress?.(false);
      }
    })();
    batches.add(batch);
    void batch.finally(() => {
      batches.delete(batch);
      arm();
    });
    return batch;
  }

  function tick(): void {
    timer = null;
    if (stopped) return;
    const t = now();
    const due: { server: string; work: PollWork }[] = [];
    for (const server of options.servers()) {
      const s = scheduleOf(server);
      if (s.running || t < s.retryAt) continue;
      const work = { state: t >= s.nextStateAt, events: t >= s.nextEventsAt };
      if (s.failures > 0) work.state = work.events = true; // a retry is a full cycle
      if (work.state || work.events) due.push({ server, work });
    }
    // A retrying server (down or hung) goes in a batch of its own, so a hang holds up only itself,
    // not the commit of every healthy server that fell due with it.
    const healthy = due.filter((d) => scheduleOf(d.server).failures === 0);
    const retrying = due.filter((d) => scheduleOf(d.server).failures > 0);
    if (healthy.length > 0) void runBatch(healthy);
    if (retrying.length > 0) void runBatch(retrying);
    arm();
  }

  /** Set one timer for the earliest next due time among idle servers. */
  function arm(): void {
    if (!started || stopped) return;
    if (timer !== null) options.scheduler.clearTimeout(timer);
    timer = null;
    let next = Number.POSITIVE_INFINITY;
    for (const server of options.servers()) {
      const s = scheduleOf(server);
      if (s.running) continue;
      next = Math.min(next, Math.max(s.retryAt, Math.min(s.nextStateAt, s.nextEventsAt)));
    }
    if (next === Number.POSITIVE_INFINITY) return;
    timer = options.scheduler.setTimeout(tick, Math.max(0, next - now()));
  }

  return {
    get active() {
      return active;
    },
    start() {
      if (started) return;
      started = true;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer !== null) options.scheduler.clearTimeout(timer);
      timer = null;
      if (batches.size > 0) {
        let grace: unknown = null;
        await Promise.race([
          Promise.allSettled([...batches]),
          new Promise<void>((resolve) => (grace = options.scheduler.setTimeout(resolve, options.stopGraceMs ?? 5_000))),
        ]);
        options.scheduler.clearTimeout(grace);
      }
      abandoned = true;
      for (const abandon of [...inFlight]) abandon();
      while (batches.size > 0) await Promise.allSettled([...batches]);
    },
    async pollNow(server) {
      const targets = server ? [server] : options.servers();
      // Never overlap: wait for any cycle of these servers still running, then run a full one.
      for (;;) {
        const running = targets.map((s) => scheduleOf(s).running).filter((p): p is Promise<void> => p !== null);
        if (running.length === 0) break;
        await Promise.all(running);
      }
      if (stopped) return;
      await runBatch(targets.map((s) => ({ server: s, work: { state: true, events: true } })));
    },
    reconfigure(changes) {
      const oldState = options.stateMs;
      const oldEvents = options.eventsMs;
      if (changes.stateMs !== undefined) options.stateMs = changes.stateMs;
      if (changes.eventsMs !== undefined) options.eventsMs = changes.eventsMs;
      if (changes.timeoutMs !== undefined) options.timeoutMs = changes.timeoutMs;
      if (changes.concurrency !== undefined) {
        options.concurrency = changes.concurrency;
        limit.concurrency = changes.concurrency;
      }
      for (const s of schedules.values()) {
        s.nextStateAt += options.stateMs - oldState;
        s.nextEventsAt += options.eventsMs - oldEvents;
      }
      arm();
    },
    schedule(server) {
      const s = schedules.get(server);
      if (!s) return null;
      const iso = (ms: number) => new Date(ms).toISOString();
      return { failures: s.failures, retryAt: s.retryAt ? iso(s.retryAt) : null, nextStateAt: iso(s.nextStateAt), nextEventsAt: iso(s.nextEventsAt) };
    },
  };
}
