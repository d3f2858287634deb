import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import type { EemsEvent } from '../../main/core/model.js';
import type { HostPort } from '../../main/core/ports.js';
import { collectForwardedEvents } from '../../main/engine/collectors/event-collector.js';
import { createEngine } from '../../main/engine/engine.js';
import { createFakeClock, createManualScheduler } from '../../main/engine/scheduler.js';
import { defaultSettings } from '../../main/engine/settings/settings-schema.js';
import { type LabHost } from '../../main/lab/index.js';
import { withQuietLab } from '../support/quiet-lab.js';

const SERVERS = ['EX01', 'EX02', 'EX03'];
const COLLECTOR = 'WEC01';

/**
 * The lab's servers behind a Windows Event Forwarding collector: each call to events(WEC01) first
 * delivers what the servers wrote since the last delivery into ForwardedEvents (with the
 * collector's own RecordIds), with records of a domain controller in between and EX03 known by its
 * NetBIOS name only. Calls about the Exchange servers themselves are counted: they must not happen.
 */
function forwardingHost(lab: LabHost): HostPort & { perServerCalls: string[]; sinceSeen: number[] } {
  const forwarded: EemsEvent[] = [];
  const delivered: Record<string, number> = {};
  let nextId = 5000;
  const perServerCalls: string[] = [];
  const sinceSeen: number[] = [];
  const deliver = async () => {
    for (const server of SERVERS) {
      const fresh = await lab.events(server, delivered[server] ?? 0);
      for (const event of fresh) {
        delivered[server] = Math.max(delivered[server] ?? 0, event.recordId);
        const machine = server === 'EX03' ? 'EX03' : event.machine;
        forwarded.push({ ...event, recordId: (nextId += 3), machine });
        forwarded.push({ ...event, recordId: (nextId += 2), machine: 'DC01.contoso.com', eventId: 4625, provider: 'Microsoft-Windows-Security-Auditing' });
      }
    }
  };
  return {
    perServerCalls,
    sinceSeen,
    collect: (request) => lab.collect(request),
    run: (step) => lab.run(step),
    logLocation: (server) => lab.logLocation(server),
    testEndpoint: (server) => lab.testEndpoint(server),
    async events(server, since) {
      if (server !== COLLECTOR) {
        perServerCalls.push(server);
        return lab.events(server, since);
      }
      sinceSeen.push(since);
      await deliver();
      return forwarded.filter((e) => e.recordId > since);
    },
  };
}

const withLab = (fn: (dir: string, lab: LabHost) => Promise<void>) => withQuietLab('forwarded', fn);

test('forwarded events are split by machine (FQDN or NetBIOS name) to the right server; other machines are dropped', () =>
  withLab(async (_dir, lab) => {
    await lab.setFault('EX02', { kind: 'service-crash', restart: true });
    await lab.setFault('EX03', { kind: 'fetch-failing', code: 'signing-cert' });
    await lab.advance(2);
    const host = forwardingHost(lab);
    const watched = [
      { name: 'EX01', fqdn: 'ex01.contoso.com' },
      { name: 'EX02', fqdn: 'EX02.CONTOSO.COM' },
      { name: 'EX03', fqdn: null },
    ];
    const first = await collectForwardedEvents(host, COLLECTOR, 0, watched);
    assert.deepEqual(Object.keys(first.byServer).sort(), ['EX02', 'EX03']);
    assert.deepEqual(first.byServer.EX02!.map((e) => e.eventId), [4999, 1001], 'the crash and the restart');
    assert.deepEqual(first.byServer.EX03!.map((e) => e.eventId), [1008, 1008]);
    assert.ok(Object.values(first.byServer).flat().every((e) => e.eventId !== 4625), 'the domain controller records are dropped');
    const all = Object.values(first.byServer).flat().map((e) => e.recordId);
    assert.ok(first.bookmark > Math.max(...all), 'the bookmark passes the dropped records too');

    const again = await collectForwardedEvents(host, COLLECTOR, first.bookmark, watched);
    assert.deepEqual(again.byServer, {}, 'nothing is delivered twice');
    assert.equal(again.bookmark, first.bookmark);
    await lab.advance(1);
    const next = await collectForwardedEvents(host, COLLECTOR, first.bookmark, watched);
    assert.deepEqual(Object.keys(next.byServer), ['EX03']);
    assert.deepEqual(next.byServer.EX03!.map((e) => e.eventId), [1008]);
    assert.deepEqual(host.perServerCalls, []);
  }));

test('the engine with events.source forwarded: one bookmark for the collector, alerts on the right servers, nothing twice across a restart', () =>
  withLab(async (dir, lab) => {
    const host = forwardingHost(lab);
    const settings = defaultSettings();
    settings.events = { source: 'forwarded', collector: COLLECTOR };
    settings.servers = [{ name: 'EX03', enabled: true }];
    const dataDir = join(dir, 'data');
    const make = () =>
      createEngine({ host, settings, dataDir, clock: lab.clock, notifier: null, knowledge: defaultKnowledgeBase(), servers: SERVERS, scheduler: createManualScheduler(createFakeClock(new Date(0))) });
    let engine = make();
    await lab.advance(1);
    await engine.pollOnce();
    await lab.setFault('EX02', { kind: 'service-crash', restart: false });
    await lab.advance(1);
    await engine.pollOnce();
    const crashed = engine.snapshot().openAlerts.filter((a) => a.kind === 'service-crashed');
    assert.deepEqual(crashed.map((a) => a.server), ['EX02'], 'the forwarded 4999 raised its alert on EX02');
    await engine.stop();

    const bookmarkBefore = host.sinceSeen.at(-1)!;
    engine = make(); // a restart over the same data folder
    await lab.advance(1);
    await engine.pollOnce();
    assert.ok(host.sinceSeen.at(-1)! > bookmarkBefore, 'the collector bookmark was saved and advanced');
    const journal = (await engine.journal.read({ types: ['alert'] })).flatMap((r) => (r.type === 'alert' ? [r.alert] : []));
    assert.equal(journal.filter((a) => a.kind === 'service-crashed').length, 1, 'the crash is not raised again after the restart');
    assert.deepEqual(host.perServerCalls, [], 'no server was asked for its own events');
    await engine.stop();
  }));
