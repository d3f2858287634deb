import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeAlert } from '../../main/core/alerts/alert-rules.js';
import { createJournal } from '../../main/engine/journal.js';
import { withTempDir } from '../support/temp-dir.js';

const at = '2026-06-15T10:00:00.000Z';
const alert = (server: string, kind: 'fetch-error' | 'stale-mitigation' = 'fetch-error', key = 'k') => makeAlert(kind, server, null, key, { title: `t ${server}`, body: 'b' }, at);

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('journal', fn);

test('records are read back as a filtered timeline; acks and snoozes fold into the alert view', () =>
  withDir(async (dir) => {
    const journal = createJournal({ dir, now: () => new Date(at) });
    await journal.appendMany([
      { type: 'alert', at, alert: alert('EX01') },
      { type: 'alert', at: '2026-06-15T11:00:00.000Z', alert: alert('EX02', 'stale-mitigation') },
      { type: 'action', at, action: { server: 'EX02', mitigation: 'M2', title: 'Remove M2', status: 'done', message: 'ok' } },
    ]);
    await journal.ack(alert('EX01').id);
    await journal.snooze(alert('EX02', 'stale-mitigation').id, '2026-06-16T00:00:00Z');
    // A new journal over the same folder sees the same history (nothing held only in memory).
    const again = createJournal({ dir });
    assert.equal((await again.read()).length, 5);
    assert.deepEqual((await again.read({ server: 'EX02' })).map((r) => r.type), ['alert', 'action', 'snooze']);
    assert.deepEqual((await again.read({ kind: 'fetch-error', types: ['alert'] })).length, 1);
    assert.deepEqual((await again.read({ since: '2026-06-15T10:30:00.000Z', types: ['alert'] })).length, 1);
    const views = await again.alerts();
    assert.equal(views[0]!.server, 'EX02', 'newest first');
    assert.equal(views[0]!.snoozedUntil, '2026-06-16T00:00:00.000Z');
    assert.equal(views[1]!.acked, true);
    assert.equal(await again.hasAlert(alert('EX01').id), true);
    assert.deepEqual((await again.unnotified()).length, 2);
  }));

test('a torn last line (crash mid-write) is skipped and counted; the next record starts clean', () =>
  withDir(async (dir) => {
    const journal = createJournal({ dir });
    await journal.append({ type: 'alert', at, alert: alert('EX01') });
    await appendFile(join(dir, 'journal.jsonl'), '{"type":"alert","at":"2026-06-15T1');
    const skipped: number[] = [];
    const reopened = createJournal({ dir, onSkip: (_file, line) => skipped.push(line) });
    await reopened.append({ type: 'alert', at, alert: alert('EX02') });
    const records = await reopened.read();
    assert.deepEqual(records.map((r) => (r.type === 'alert' ? r.alert.server : null)), ['EX01', 'EX02']);
    assert.ok(reopened.skippedLines >= 1);
    assert.ok(skipped.includes(2));
  }));

test('the journal rotates by size, keeps N files, and the timeline spans them', () =>
  withDir(async (dir) => {
    const journal = createJournal({ dir, maxBytes: 1000, keepFiles: 3 });
    for (let i = 0; i < 40; i += 1) await journal.append({ type: 'alert', at, alert: alert(`EX${i}`, 'fetch-error', String(i)) });
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['journal.1.jsonl', 'journal.2.jsonl', 'journal.jsonl']);
    const records = await journal.read();
    assert.ok(records.length > 3 && records.length < 40, `kept ${records.length}`);
    const servers = records.map((r) => (r.type === 'alert' ? Number(r.alert.server!.slice(2)) : -1));
    assert.deepEqual(servers, [...servers].sort((a, b) => a - b), 'oldest first across files');
    assert.equal(servers.at(-1), 39);
    assert.deepEqual((await journal.read({ limit: 2 })).map((r) => (r.type === 'alert' ? r.alert.server : '')), ['EX38', 'EX39']);
  }));
