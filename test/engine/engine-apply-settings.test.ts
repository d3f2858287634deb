import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { createEngine } from '../../main/engine/engine.js';
import { createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';
import { defaultSettings } from '../../main/engine/settings/settings-schema.js';
import { createLabHost, initLab } from '../../main/lab/index.js';

test('applySettings: new poll intervals and alert threshold take effect without a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eems-apply-'));
  const host = await (async () => {
    await initLab(join(dir, 'lab'), { scenario: 'quiet', servers: 3 });
    return createLabHost(join(dir, 'lab'));
  })();
  try {
    const clock = createFakeClock(host.clock.now());
    const scheduler = createManualScheduler(clock);
    const settings = defaultSettings();
    const engine = createEngine({ host, settings, dataDir: join(dir, 'data'), clock, notifier: null, knowledge: defaultKnowledgeBase(), servers: ['EX01', 'EX02', 'EX03'], scheduler, random: () => 0.5 });
    // When each EX01 read started, in the engine's (fake) time: counts per phase do not depend on
    // how fast the machine finishes a read.
    const readAt: number[] = [];
    engine.on((e) => void (e.type === 'poll-progress' && e.server === 'EX01' && readAt.push(clock.now().getTime())));
    // After each simulated minute, wait (real time, bounded) until the cycle it started is committed:
    // the lab's file reads take longer on a loaded machine, and a fixed pause would miss cycles.
    const settle = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      const deadline = Date.now() + 10_000;
      while (engine.snapshot().polling && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
      await new Promise((resolve) => setImmediate(resolve));
    };
    const run = async (minutes: number) => {
      for (let m = 0; m < minutes; m += 1) {
        await scheduler.advance(60_000);
        await settle();
      }
    };
    await engine.ready();
    engine.start();
    await settle(); // the first read, started by start(), is committed before time moves
    await run(10);
    const appliedAt = clock.now().getTime();
    const before = readAt.filter((t) => t <= appliedAt).length;
    assert.ok(before >= 9, `every minute at first: ${before}`);

    const slower = defaultSettings();
    slower.poll.eventsMinutes = 5;
    slower.poll.stateMinutes = 10;
    engine.applySettings(slower);
    await run(20);
    const reads = readAt.filter((t) => t > appliedAt).length;
    // Events every 5 minutes (4 in 20), plus state every 10 when its due time does not fall on an
    // events read (up to 2 more); every minute would be 20.
    assert.ok(reads >= 3 && reads <= 6, `every 5 minutes after applySettings: ${reads} reads in 20 minutes (${readAt.map((t) => new Date(t).toISOString().slice(11, 16)).join(' ')})`);

    // The rules take the new threshold: one failed hourly fetch is enough at threshold 1.
    await host.setFault('EX02', { kind: 'fetch-failing', code: 'proxy' });
    await host.advance(1);
    await engine.pollNow('EX02');
    assert.ok(!engine.snapshot().openAlerts.some((a) => a.kind === 'fetch-error'), 'below the default threshold of 2');
    const eager = structuredClone(slower);
    eager.alerts.fetchErrorThreshold = 1;
    engine.applySettings(eager);
    await engine.pollNow('EX02');
    assert.ok(engine.snapshot().openAlerts.some((a) => a.kind === 'fetch-error' && a.server === 'EX02'), 'raised at the new threshold');
    const stopping = engine.stop();
    await scheduler.advance(5_000);
    await stopping;
  } finally {
    host.close();
    await rm(dir, { recursive: true, force: true });
  }
});
