/**
 * The headless server's event stream over real loopback HTTP: the number of open streams is
 * bounded, a page that goes away frees its place (no leak), and a page that stops reading is
 * dropped instead of being buffered without end. The service here only emits events: the server
 * is what is under test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiEvent, ApiService } from '../../main/api/eems-api.js';
import { startHeadlessServer, type HeadlessServer } from '../../main/headless/http-server.js';
import { authHeaders, signInWithCode } from './support/serve-lab.js';

const listeners = new Set<(event: ApiEvent) => void>();
const service: ApiService = {
  call: async () => ({ ok: true, value: null }),
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
const emit = (event: ApiEvent): void => {
  for (const listener of listeners) listener(event);
};

let dir: string;
let server: HeadlessServer;
let cookie: string;
const open: ClientRequest[] = [];

interface Stream {
  req: ClientRequest;
  res: IncomingMessage;
}

function openStream(): Promise<Stream | number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Host: `127.0.0.1:${server.port}`, ...authHeaders(cookie) } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(res.statusCode ?? 0);
      }
      open.push(req);
      resolve({ req, res });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first chunk of text containing `needle`. */
function waitFor(res: IncomingMessage, needle: string): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes(needle)) {
        res.off('data', onData);
        resolve();
      }
    };
    res.on('data', onData);
  });
}

/** Open a stream, retrying while the server still counts a page that just left. */
async function openStreamEventually(): Promise<Stream | number> {
  let last: Stream | number = 0;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    last = await openStream();
    if (typeof last !== 'number') return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  return last;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eems-sse-'));
  server = await startHeadlessServer({ service, assets: { staticDir: dir, scriptDir: dir }, runDir: dir, maxEventClients: 3 });
  cookie = await signInWithCode(server.origin, server.mintSignIn().code);
  assert.match(cookie, /^eems_session_\d+=/);
});
after(async () => {
  for (const req of open) req.destroy();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the number of open event streams is bounded, and a page that leaves frees its place', async () => {
  const streams = [await openStream(), await openStream(), await openStream()];
  assert.ok(streams.every((s) => typeof s !== 'number'), 'three pages may listen');
  assert.equal(await openStream(), 503, 'a fourth is refused');

  const [first, second] = streams as Stream[];
  const received = waitFor(second!.res, '"settings-changed"');
  emit({ type: 'settings-changed' });
  await received;

  // The page goes away: the server forgets it, and another page may connect.
  first!.req.destroy();
  const next = await openStreamEventually();
  assert.notEqual(typeof next, 'number', `a place was freed (got ${String(next)})`);
  assert.equal(await openStream(), 503, 'and the bound still holds');
  for (const s of [...streams, next]) if (typeof s !== 'number') s.req.destroy();
  assert.notEqual(typeof (await openStreamEventually()), 'number');
});

test('a page that stops reading is dropped instead of buffered without end; a page that reads is kept', async () => {
  for (const req of open.splice(0)) req.destroy();
  const stalled = await openStreamEventually();
  const reading = await openStreamEventually();
  assert.ok(typeof stalled !== 'number' && typeof reading !== 'number');
  stalled.res.pause();
  const socket = stalled.req.socket!;
  socket.on('error', () => undefined);
  // Events of 64 KB, each one read by the healthy page before the next: only the stalled page's
  // queue grows (32 MB in all), past the socket buffers and past the server's bound.
  const message = 'x'.repeat(64 * 1024);
  for (let step = 0; step < 512; step += 1) {
    const seen = waitFor(reading.res, `"step":${step},`);
    emit({ type: 'plan-progress', planId: 'p', step, status: 'running', message });
    await seen;
  }
  emit({ type: 'settings-changed' });
  // The stalled page reads again: it gets what was in flight, then the end of a dropped connection,
  // never the whole backlog up to the last event.
  const outcome = await new Promise<string>((resolve) => {
    let tail = '';
    stalled.res.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-200);
      if (tail.includes('"settings-changed"')) resolve('got everything');
    });
    socket.once('close', () => resolve('dropped'));
    stalled.res.resume();
  });
  assert.equal(outcome, 'dropped');
  const last = waitFor(reading.res, '"alerts-changed"');
  emit({ type: 'alerts-changed' });
  await last;
});
