import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { type Engine, createEngine } from '../../main/engine/engine.js';
import { type FakeClock, type ManualScheduler, createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';
import { fetchServer } from '../../main/engine/server-fetch.js';
import { defaultSettings } from '../../main/engine/settings/settings-schema.js';
import { type LabHost } from '../../main/lab/index.js';
import { withQuietLab } from '../support/quiet-lab.js';
import { waitFor } from '../support/wait-for.js';

const SERVERS = ['EX01', 'EX02', 'EX03'];

function timers(host: LabHost): ManualScheduler & { clock: FakeClock } {
  const clock = createFakeClock(host.clock.now());
  return Object.assign(createManualScheduler(clock), { clock });
}

const withLab = (fn: (dir: string, host: LabHost) => Promise<void>) => withQuietLab('resilience', fn);

/** Advance the fake time in small steps, letting the lab's file reads finish between them. */
async function advanceIn(scheduler: ManualScheduler, ms: number, stepMs = 5_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await scheduler.advance(Math.min(stepMs, ms - done));
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function makeEngine(host: LabHost, dataDir: string, scheduler: ManualScheduler & { clock: FakeClock }, errors: string[] = []): Engine {
  const logger = { info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
  // One fake clock for the engine and its timers, starting at the lab's time.
  return createEngine({ host, settings: defaultSettings(), dataDir, clock: scheduler.clock, notifier: null, knowledge: defaultKnowledgeBase(), servers: SERVERS, scheduler, logger, random: () => 0.5 });
}

test('a hung server is given up at connection.callTimeoutSeconds and reported unreachable; the others are read', async () => {
  await withLab(async (dir, host) => {
    await host.setFault('EX03', { kind: 'hung', on: true });
    const scheduler = timers(host);
    const engine = makeEngine(host, join(dir, 'data'), scheduler);
    await engine.ready();
    engine.start();
    await advanceIn(scheduler, 1_000);
    assert.equal(engine.snapshot().lastPollAt, null, 'the batch waits for the hung call');
    await advanceIn(scheduler, defaultSettings().connection.callTimeoutSeconds * 1000 + 5_000);
    await waitFor(() => engine.snapshot().servers.find((s) => s.name === 'EX03')?.pollError != null);
    const snap = engine.snapshot();
    const ex03 = snap.servers.find((s) => s.name === 'EX03')!;
    assert.match(ex03.pollError ?? '', /EX03 did not answer: no answer within 125 s/);
    assert.equal(snap.servers.find((s) => s.name === 'EX01')!.pollError, null);
    assert.ok(snap.openAlerts.some((a) => a.kind === 'server-unreachable' && a.server === 'EX03'));
    // While EX03 is retried (and hangs again), the healthy servers keep their one-minute rhythm.
    let ex01Reads = 0;
    engine.on((e) => void (e.type === 'poll-progress' && e.server === 'EX01' && (ex01Reads += 1)));
    for (let minute = 0; minute < 10; minute += 1) {
      const before = ex01Reads;
      await advanceIn(scheduler, 60_000);
      // EX01's read of this minute finishes unless something holds it up (what this test is about).
      await waitFor(() => ex01Reads > before, 3_000);
    }
    assert.ok(ex01Reads >= 9, `EX01 read ${ex01Reads} times in 10 minutes: a hung server in back-off must not hold up the others`);
    const stopping = engine.stop();
    await scheduler.advance(5_000);
    await stopping;
  });
});

test('stop() during a hung host call returns after its grace, aborts the call and commits nothing', async () => {
  await withLab(async (dir, host) => {
    await host.setFault('EX03', { kind: 'hung', on: true });
    const data = join(dir, 'data');
    const scheduler = timers(host);
    const engine = makeEngine(host, data, scheduler);
    await engine.ready();
    engine.start();
    await advanceIn(scheduler, 1_000);
    let stopped = false;
    const stopping = engine.stop().then(() => (stopped = true));
    await scheduler.advance(5_000); // far below the 125 s time-out
    await stopping;
    assert.equal(stopped, true);
    assert.equal(scheduler.pending(), 0, 'no timer left behind');
    assert.deepEqual(await engine.journal.read({ types: ['alert'] }), [], 'no "unreachable" alert made up by the shutdown');
    assert.ok(!(await readdir(data)).includes('engine-state.json'), 'no bookmark moved');
    // Next start, the server answers again: everything is read.
    await host.setFault('EX03', { kind: 'hung', on: false });
    const again = makeEngine(host, data, timers(host));
    const result = await again.pollOnce();
    assert.deepEqual(result.state.servers.map((s) => [s.Name, s.Error ?? null]), SERVERS.map((n) => [n, null]));
    await again.stop();
  });
});

test('a damaged engine-state.json is moved aside, the admin is told, and the engine runs', async () => {
  await withLab(async (dir, host) => {
    const data = join(dir, 'data');
    const first = makeEngine(host, data, timers(host));
    await first.pollOnce();
    await first.stop();
    await writeFile(join(data, 'engine-state.json'), '{"format":"eems-watch-engine-state","version":1,"bookm'); // torn by a disk fault
    const errors: string[] = [];
    const engine = makeEngine(host, data, timers(host), errors);
    await engine.ready();
    const files = await readdir(data);
    assert.ok(files.some((f) => f.startsWith('engine-state.json.corrupt-')), `moved aside: ${files.join(', ')}`);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /could not be used \(it is not valid JSON\)\. It was moved to .*engine-state\.json\.corrupt-/);
    const actions = await engine.journal.read({ types: ['action'] });
    assert.equal(actions.length, 1, 'the reset shows in the timeline');
    const result = await engine.pollOnce();
    assert.equal(result.state.servers.length, 3);
    await engine.stop();
    // And the next start is a normal one (no second move, no crash loop).
    const next = makeEngine(host, data, timers(host), errors);
    await next.ready();
    assert.equal(errors.length, 1);
    await next.stop();
  });
});

test('the abort signal reaches the host: a call to a hung server ends when the engine gives it up', async () => {
  await withLab(async (_dir, host) => {
    await host.setFault('EX02', { kind: 'hung', on: true });
    const controller = new AbortController();
    const call = fetchServer('EX02', { state: true, events: true }, { host, bookmarks: { events: {}, logs: {} }, perServerEvents: true, logFolder: null, signal: controller.signal });
    const outcome = call.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    controller.abort(new Error('time-out'));
    // Without the signal the call would wait for host.close(); race it against that.
    const released = await Promise.race([outcome, new Promise<string>((resolve) => setImmediate(() => setImmediate(() => resolve('still hanging'))))]);
    assert.match(released, /abandoned after it hung/);
  });
});
