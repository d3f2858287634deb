/** Damaged files on disk never wedge the engine: each is named, moved aside or skipped, and the engine keeps running. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeAlert } from '../../main/core/alerts/alert-rules.js';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { type Engine, createEngine } from '../../main/engine/engine.js';
import { createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';
import { defaultSettings } from '../../main/engine/settings/settings-schema.js';
import { type LabHost } from '../../main/lab/index.js';
import { withQuietLab } from '../support/quiet-lab.js';

const SERVERS = ['EX01', 'EX02', 'EX03'];

function makeEngine(host: LabHost, dataDir: string, log: { errors: string[]; warnings: string[] }): Engine {
  const clock = createFakeClock(host.clock.now());
  const scheduler = createManualScheduler(clock);
  const logger = { info: () => undefined, warn: (m: string) => void log.warnings.push(m), error: (m: string) => void log.errors.push(m) };
  return createEngine({ host, settings: defaultSettings(), dataDir, clock, notifier: null, knowledge: defaultKnowledgeBase(), servers: SERVERS, scheduler, logger, random: () => 0.5 });
}

test('an engine state with a good header but bad fields is moved aside with the field named; the API data and the next start work', async () => {
  await withQuietLab('damaged-state', async (dir, host) => {
    const data = join(dir, 'data');
    const log = { errors: [] as string[], warnings: [] as string[] };
    const first = makeEngine(host, data, log);
    await first.pollOnce();
    await first.stop();
    const doc = JSON.parse(await readFile(join(data, 'engine-state.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(data, 'engine-state.json'), JSON.stringify({ ...doc, state: { collectedAt: 'yesterday', servers: 'EX01' }, memory: { version: 1, servers: null } }));
    const engine = makeEngine(host, data, log);
    await engine.ready();
    assert.ok((await readdir(data)).some((f) => f.startsWith('engine-state.json.corrupt-')), 'moved aside, not deleted');
    assert.equal(log.errors.length, 1);
    assert.match(log.errors[0]!, /could not be used \(it is not a usable EEMS Watch engine state document \(field (memory|state)\./);
    assert.equal(engine.snapshot().dataNotes.length, 1, 'the UI can show what happened');
    const result = await engine.pollOnce();
    assert.equal(result.state.servers.length, 3, 'the engine polls again');
    assert.ok(engine.snapshot().servers.every((s) => s.state !== null));
    await engine.stop();
    const again = makeEngine(host, data, log);
    await again.ready();
    assert.equal(log.errors.length, 1, 'the next start is a normal one');
    await again.stop();
  });
});

test('journal lines that are JSON but no record (null, {"type":"alert"}) are skipped and named; alerts and the timeline still read', async () => {
  await withQuietLab('damaged-journal', async (dir, host) => {
    const data = join(dir, 'data');
    const log = { errors: [] as string[], warnings: [] as string[] };
    const first = makeEngine(host, data, log);
    await first.pollOnce();
    const at = host.clock.now().toISOString();
    await first.journal.append({ type: 'alert', at, alert: makeAlert('service-stopped', 'EX02', null, 'k', { title: 'Mitigation service is not running on EX02', body: 'b' }, at) });
    const before = (await first.journal.alerts()).length;
    await first.stop();
    assert.equal(before, 1);
    await appendFile(join(data, 'journal.jsonl'), 'null\n{"type":"alert"}\n{"type":"ack","at":"2026-06-16T10:00:00Z"}\n[1,2]\n');
    const engine = makeEngine(host, data, log);
    await engine.ready();
    const alerts = await engine.journal.alerts();
    assert.equal(alerts.length, before, 'every good alert is still there');
    assert.equal((await engine.journal.read()).length > 0, true);
    assert.equal(engine.journal.skippedLines, 4);
    assert.equal(log.warnings.filter((w) => /journal\.jsonl line \d+ was skipped: not a journal record/.test(w)).length, 4, log.warnings.join('\n'));
    assert.ok(engine.snapshot().dataNotes.some((n) => /journal\.jsonl line \d+ was skipped/.test(n)));
    await engine.pollOnce();
    assert.ok((await engine.journal.alerts()).length >= before, 'new records append after the bad ones');
    await engine.stop();
  });
});

test('data files are created 0600 in a 0700 folder', async () => {
  await withQuietLab('file-modes', async (dir, host) => {
    const data = join(dir, 'fresh', 'data');
    const engine = makeEngine(host, data, { errors: [], warnings: [] });
    await engine.pollOnce();
    await engine.journal.append({ type: 'action', at: host.clock.now().toISOString(), action: { server: null, mitigation: null, title: 't', status: 'done', message: 'm' } });
    await engine.stop();
    assert.equal((await stat(data)).mode & 0o777, 0o700);
    for (const file of ['engine-state.json', 'journal.jsonl']) assert.equal((await stat(join(data, file))).mode & 0o777, 0o600, file);
  });
});
