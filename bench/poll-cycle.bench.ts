/**
 * One poll cycle over 500 lab servers with 50 ms simulated latency per host call, at concurrency
 * 16, against the ideal 500 x 50 ms / 16 (every slot busy all the time). Goal: within 1.5x.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchEntry, bestTime, ratioEntry } from './bench-kit.js';
import { defaultKnowledgeBase } from '../main/core/mitigations/knowledge-base.js';
import { createEngine } from '../main/engine/engine.js';
import { defaultSettings } from '../main/engine/settings/settings-schema.js';
import { createLabHost, initLab, summarizeLab } from '../main/lab/index.js';

const SERVERS = 500;
const LATENCY_MS = 50;
const CONCURRENCY = 16;

export default async function pollCycle(): Promise<BenchEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eems-bench-poll-'));
  try {
    const lab = join(dir, 'lab');
    await initLab(lab, { scenario: 'large', servers: SERVERS });
    const host = await createLabHost(lab, { latencyMs: LATENCY_MS });
    await host.advance(2);
    const settings = defaultSettings();
    settings.poll.concurrency = CONCURRENCY;
    const engine = createEngine({
      host,
      settings,
      dataDir: join(dir, 'data'),
      clock: host.clock,
      notifier: null,
      knowledge: defaultKnowledgeBase(),
      servers: summarizeLab(lab).servers.map((s) => s.name),
    });
    await engine.pollOnce(); // first read of every log and event file, and the baseline state
    await host.advance(1);
    const measured = await bestTime(() => engine.pollOnce(), 2);
    await engine.stop();
    host.close();
    const ideal = (SERVERS * LATENCY_MS) / CONCURRENCY;
    return [ratioEntry('poll cycle, 500 servers x 50 ms at concurrency 16, vs ideal', measured, 'ms', ideal, { atMost: 1.5 })];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
