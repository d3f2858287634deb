/**
 * Memory of a long-running engine: heap after 30 simulated days of hourly cycles on 50 lab servers
 * against the heap after the first day (both after global.gc()). Goal: within 10% (nothing in the
 * engine grows with time: rule memory, heartbeat days and the journal index are bounded).
 * Run with --expose-gc (run-one does); without it the numbers are noisier but still measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchEntry, ratioEntry } from './bench-kit.js';
import { defaultKnowledgeBase } from '../main/core/mitigations/knowledge-base.js';
import { createEngine } from '../main/engine/engine.js';
import { defaultSettings } from '../main/engine/settings/settings-schema.js';
import { createLabHost, initLab, summarizeLab } from '../main/lab/index.js';

const SERVERS = 50;

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i += 1) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export default async function engineMemory(): Promise<BenchEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eems-bench-mem-'));
  try {
    const lab = join(dir, 'lab');
    await initLab(lab, { scenario: 'large', servers: SERVERS });
    const host = await createLabHost(lab, { latencyMs: 0 });
    const engine = createEngine({
      host,
      settings: defaultSettings(),
      dataDir: join(dir, 'data'),
      clock: host.clock,
      notifier: null,
      knowledge: defaultKnowledgeBase(),
      servers: summarizeLab(lab).servers.map((s) => s.name),
    });
    let dayOne = 0;
    for (let hour = 1; hour <= 30 * 24; hour += 1) {
      await host.advance(1);
      await engine.pollOnce();
      if (hour === 24) dayOne = await heapAfterGc();
    }
    const dayThirty = await heapAfterGc();
    await engine.stop();
    host.close();
    return [ratioEntry('engine heap after 30 days vs after 1 day (50 servers, hourly)', dayThirty / 1048576, 'MB', dayOne / 1048576, { atMost: 1.1 })];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
