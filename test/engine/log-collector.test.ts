import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNewLogEntries } from '../../main/engine/collectors/log-collector.js';
import { withTempDir } from '../support/temp-dir.js';

const line = (minute: number, message: string) =>
  `2026-06-15T09:${String(minute).padStart(2, '0')}:00.000Z,EX01,FetchMitigation,S:LogLevel=Information;S:Message=${message}\r\n`;
const HEADER = '#Software: Microsoft Exchange Server\r\n#Fields: DateTime,ServerName,Component,CustomData\r\n';

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('logs', fn);

test('reads only complete lines: a half-written last line waits for the next cycle', () =>
  withDir(async (dir) => {
    const file = join(dir, 'MitigationService_20260615-1.LOG');
    await writeFile(file, HEADER + line(0, 'Fetching mitigations from https://officeclient.microsoft.com/getexchangemitigations') + '2026-06-15T09:01:00.000Z,EX01,FetchMit');
    const first = await readNewLogEntries(dir, null);
    assert.deepEqual(first.entries.map((e) => e.message.slice(0, 8)), ['Fetching']);
    await appendFile(file, 'igation,S:LogLevel=Error;S:Message=boom\r\n');
    const second = await readNewLogEntries(dir, first.bookmark);
    assert.deepEqual(second.entries.map((e) => [e.level, e.message]), [['Error', 'boom']]);
    const third = await readNewLogEntries(dir, second.bookmark);
    assert.deepEqual(third.entries, [], 'nothing is read twice');
  }));

test('survives rotation to a new file, truncation (and says so) and deletion of the bookmarked file', () =>
  withDir(async (dir) => {
    const a = join(dir, 'MitigationService_20260615-1.LOG');
    await writeFile(a, HEADER + line(0, 'one'));
    let r = await readNewLogEntries(dir, null);
    assert.deepEqual(r.entries.map((e) => e.message), ['one']);
    // Rotation: the old file gets a last line, a new day file begins; lower-case .log counts too.
    await appendFile(a, line(1, 'two'));
    await writeFile(join(dir, 'MitigationService_20260616-1.log'), HEADER + line(2, 'three'));
    await writeFile(join(dir, 'notes.txt'), 'not a log\n');
    r = await readNewLogEntries(dir, r.bookmark);
    assert.deepEqual(r.entries.map((e) => e.message), ['two', 'three']);
    assert.equal(r.bookmark?.file, 'MitigationService_20260616-1.log');
    // Truncation: the file is shorter than the bookmark.
    await writeFile(join(dir, 'MitigationService_20260616-1.log'), line(3, 'four'));
    r = await readNewLogEntries(dir, r.bookmark);
    assert.deepEqual(r.entries.map((e) => e.message), ['four']);
    assert.match(r.notes.join(' '), /truncated/);
    // Deletion of the bookmarked file: the files after it are read, nothing before it again.
    const bookmark = r.bookmark;
    await unlink(join(dir, 'MitigationService_20260616-1.log'));
    await writeFile(join(dir, 'MitigationService_20260617-1.LOG'), line(4, 'five'));
    r = await readNewLogEntries(dir, bookmark);
    assert.deepEqual(r.entries.map((e) => e.message), ['five']);
    assert.match(r.notes.join(' '), /gone/);
  }));

test('a missing folder is a note, not a crash, and keeps the bookmark', async () => {
  const bookmark = { file: 'x.LOG', offset: 10 };
  const folder = join(tmpdir(), 'eems-no-such-folder-' + process.pid);
  const r = await readNewLogEntries(folder, bookmark);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.bookmark, bookmark);
  assert.equal(r.unreadable, true);
  assert.ok(r.notes[0]!.includes(`${folder} cannot be read`));
  assert.match(r.notes[0]!, /heartbeat check .* off/);
  assert.match(r.notes[0]!, /Check servers\[\]\.logFolder/);
});
