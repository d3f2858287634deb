import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, diagnoseLogEntries } from '../../main/core/diagnosis/diagnosis.js';
import { FETCH_FAILURE_CODES, advanceLab, initLab, setLabFault, summarizeLab } from '../../main/lab/index.js';
import { readEvents, readLogEntries, tempDir } from './lab-support.js';

const PROXY = 'http://10.0.0.10:8080/';

/** What one server wrote for its failed fetches: the 1008 events and the diagnosed failure lines. */
async function written(dir: string, server: string) {
  const events = (await readEvents(dir, server)).filter((e) => e.eventId === 1008);
  const { entries } = await readLogEntries(dir, server);
  const failures = diagnoseLogEntries(entries).filter((d) => d.entry.level === 'Error' || d.entry.level === 'Warning');
  return { events, failures };
}

test('every fetch failure the lab simulates is diagnosed as its own code, from the 1008 event and from the log', async (t) => {
  const { dir, cleanup } = await tempDir('eems-lab-diag-');
  t.after(cleanup);
  await initLab(dir, { scenario: 'faults' });
  await advanceLab(dir, 2);
  const servers = summarizeLab(dir).servers;
  const simulated = servers.map((s) => s.faults.fetch);
  assert.deepEqual([...simulated].sort(), [...FETCH_FAILURE_CODES].sort(), 'the scenario covers every code');
  for (const server of servers) {
    const code = server.faults.fetch!;
    const { events, failures } = await written(dir, server.name);
    assert.equal(events.length, 2, server.name);
    for (const event of events) assert.equal(diagnose(event.message).code, code, `${server.name} 1008: ${event.message}`);
    assert.ok(failures.some((f) => f.entry.level === 'Error'), server.name);
    for (const { entry, diagnosis } of failures) assert.equal(diagnosis.code, code, `${server.name} ${entry.level}: ${entry.message}`);
  }
});

test('through a proxy, every code keeps its own diagnosis and the log diagnosis names the proxy', async (t) => {
  const { dir, cleanup } = await tempDir('eems-lab-diag-proxy-');
  t.after(cleanup);
  await initLab(dir, { scenario: 'faults' });
  for (const code of FETCH_FAILURE_CODES) {
    await setLabFault(dir, 'EX-PROXY', { kind: 'fetch-failing', code });
    await advanceLab(dir, 1);
  }
  const { events, failures } = await written(dir, 'EX-PROXY');
  assert.deepEqual(events.map((e) => diagnose(e.message).code), [...FETCH_FAILURE_CODES]);
  const errors = failures.filter((f) => f.entry.level === 'Error');
  assert.deepEqual(errors.map((f) => f.diagnosis.code), [...FETCH_FAILURE_CODES]);
  for (const { entry, diagnosis } of failures) {
    assert.equal(diagnosis.details.proxy, PROXY, `${entry.level}: ${entry.message}`);
  }
});
