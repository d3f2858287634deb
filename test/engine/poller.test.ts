import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type PollWork, createPoller } from '../../main/engine/poller.js';
import { createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';

const MIN = 60_000;

function setup(options: { servers: string[]; concurrency: number; fetchMs: number; failing?: Set<string> }) {
  const clock = createFakeClock(new Date('2026-06-15T08:00:00Z'));
  const scheduler = createManualScheduler(clock);
  const calls: { server: string; work: PollWork; at: number }[] = [];
  const running = new Map<string, number>();
  let active = 0;
  let maxActive = 0;
  let overlap = false;
  const commits: number[] = [];
  const poller = createPoller<string>({
    clock,
    scheduler,
    servers: () => options.servers,
    stateMs: 5 * MIN,
    eventsMs: MIN,
    concurrency: options.concurrency,
    random: () => 0.5,
    async fetch(server, work) {
      calls.push({ server, work, at: clock.now().getTime() });
      active += 1;
      maxActive = Math.max(maxActive, active);
      running.set(server, (running.get(server) ?? 0) + 1);
      if (running.get(server)! > 1) overlap = true;
      await new Promise<void>((resolve) => scheduler.setTimeout(resolve, options.fetchMs));
      running.set(server, running.get(server)! - 1);
      active -= 1;
      if (options.failing?.has(server)) throw new Error(`${server} is down`);
      return server;
    },
    async commit(outcomes) {
      commits.push(outcomes.length);
    },
  });
  return { clock, scheduler, poller, calls, commits, stats: () => ({ maxActive, overlap }) };
}

test('state every 5 minutes, events every minute, within the concurrency bound and never overlapping a server', async () => {
  const servers = Array.from({ length: 10 }, (_, i) => `EX${i}`);
  const t = setup({ servers, concurrency: 3, fetchMs: 5_000 });
  t.poller.start();
  // pollNow while the schedule runs: it waits for the server's running cycle instead of overlapping.
  const now = t.poller.pollNow('EX0');
  await t.scheduler.advance(10 * MIN);
  await now;
  await t.poller.stop();
  const { maxActive, overlap } = t.stats();
  assert.equal(maxActive, 3, 'never more than 3 at once, and the bound is used');
  assert.equal(overlap, false);
  for (const server of servers.slice(1)) {
    const mine = t.calls.filter((c) => c.server === server);
    const stateCalls = mine.filter((c) => c.work.state).length;
    assert.ok(stateCalls >= 2 && stateCalls <= 3, `${server}: ${stateCalls} state polls in 10 minutes`);
    assert.ok(mine.length >= 8 && mine.length <= 11, `${server}: ${mine.length} cycles in 10 minutes`);
  }
  assert.equal(t.scheduler.pending(), 0, 'stop() leaves no timer behind');
});

test('a failing server backs off exponentially while the others keep their rhythm', async () => {
  const t = setup({ servers: ['OK1', 'DOWN'], concurrency: 4, fetchMs: 1_000, failing: new Set(['DOWN']) });
  t.poller.start();
  await t.scheduler.advance(40 * MIN);
  await t.poller.stop();
  const down = t.calls.filter((c) => c.server === 'DOWN').map((c) => c.at);
  const gaps = down.slice(1).map((at, i) => Math.round((at - down[i]!) / 1000));
  assert.ok(gaps.length >= 3, `attempts: ${down.length}`);
  for (let i = 1; i < gaps.length; i += 1) assert.ok(gaps[i]! >= gaps[i - 1]!, `gaps grow: ${gaps.join(', ')}`);
  assert.ok(gaps.at(-1)! >= 4 * 60, `back-off reached minutes: ${gaps.join(', ')}`);
  assert.ok(t.calls.filter((c) => c.server === 'OK1').length >= 35, 'the healthy server is polled every minute');
  assert.equal(t.poller.schedule('DOWN')!.failures, down.length);
});

test('stop() lets a cycle in flight finish within its grace and commits it', async () => {
  const t = setup({ servers: ['EX1'], concurrency: 1, fetchMs: 3_000 });
  t.poller.start();
  await t.scheduler.advance(1_000);
  assert.equal(t.poller.active, 1);
  let stopped = false;
  const stopping = t.poller.stop().then(() => (stopped = true));
  await t.scheduler.advance(1_000);
  assert.equal(stopped, false, 'still waiting for the fetch');
  await t.scheduler.advance(2_000);
  await stopping;
  assert.deepEqual(t.commits, [1]);
  assert.equal(t.scheduler.pending(), 0);
});

test('stop() abandons a hung fetch after its grace: the signal aborts, nothing is committed', async () => {
  const clock = createFakeClock(new Date('2026-06-15T08:00:00Z'));
  const scheduler = createManualScheduler(clock);
  const commits: number[] = [];
  let aborted: unknown = null;
  const poller = createPoller<string>({
    clock,
    scheduler,
    servers: () => ['HUNG', 'OK'],
    stateMs: 5 * MIN,
    eventsMs: MIN,
    concurrency: 2,
    timeoutMs: 10 * MIN,
    fetch: (server, _work, signal) =>
      server === 'OK'
        ? Promise.resolve(server)
        : new Promise<string>((_, reject) => signal.addEventListener('abort', () => ((aborted = signal.reason), reject(new Error('abandoned'))))),
    commit: async (outcomes) => void commits.push(outcomes.length),
  });
  poller.start();
  await scheduler.advance(1_000);
  assert.equal(poller.active, 1, 'the hung fetch is in flight');
  let stopped = false;
  const stopping = poller.stop().then(() => (stopped = true));
  await scheduler.advance(4_000);
  assert.equal(stopped, false, 'within the grace, stop() still waits');
  await scheduler.advance(1_000); // the 5 s grace ends, long before the 10-minute time-out
  await stopping;
  assert.equal(stopped, true);
  assert.match(String((aborted as Error).message), /Polling stopped/);
  assert.deepEqual(commits, [], 'the batch with the hung server is not committed: its bookmarks stay');
  assert.equal(scheduler.pending(), 0);
});

test('back-off grows but its jitter never pushes a retry beyond the cap', async () => {
  const clock = createFakeClock(new Date('2026-06-15T08:00:00Z'));
  const scheduler = createManualScheduler(clock);
  const poller = createPoller<string>({
    clock,
    scheduler,
    servers: () => ['DOWN'],
    stateMs: 5 * MIN,
    eventsMs: MIN,
    concurrency: 1,
    backoff: { baseMs: MIN, maxMs: 8 * MIN, jitter: 0.2 },
    random: () => 1, // the largest jitter
    fetch: () => Promise.reject(new Error('down')),
    commit: async () => undefined,
  });
  poller.start();
  const waits: number[] = [];
  for (let i = 0; i < 8; i += 1) {
    await scheduler.advance(0);
    const s = poller.schedule('DOWN')!;
    waits.push(Date.parse(s.retryAt!) - clock.now().getTime());
    await scheduler.advance(Date.parse(s.retryAt!) - clock.now().getTime());
  }
  await poller.stop();
  assert.ok(waits[1]! > waits[0]!, `grows: ${waits.join(', ')}`);
  assert.ok(waits.every((w) => w <= 8 * MIN), `capped at 8 minutes: ${waits.join(', ')}`);
  assert.equal(waits.at(-1), 8 * MIN);
});
