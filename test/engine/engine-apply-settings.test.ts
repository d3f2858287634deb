import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/knowledge/knowledge-base.js';
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
    let reads = 0;
    engine.on((e) => void (e.type === 'poll-progress' && e.server === 'EX01' && (reads += 1)));
    const run = async (minutes: number) => {
      for (let m = 0; m < minutes; m += 1) {
        await scheduler.advance(60_000);
        for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await engine.ready();
    engine.start();
    await run(10);
    const before = reads;
    assert.ok(before >= 9, `every minute at first: ${before}`);

    const slower = defaultSettings();
    slower.poll.eventsMinutes = 5;
    slower.poll.stateMinutes = 10;
    engine.applySettings(slower);
    reads = 0;
    await run(20);
    assert.ok(reads >= 3 && reads <= 5, `every 5 minutes after applySettings: ${reads} reads in 20 minutes`);

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
