/**
 * Test support: a real demo lab in a temp folder and the real headless stack over it (the same
 * startServe that `eems-watch serve --lab DIR` runs), plus small readers of what changed on disk.
 */
import assert from 'node:assert/strict';
import type { ApiService } from '../../../main/api/eems-api.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advanceLab, initLab, summarizeLab } from '../../../main/lab/index.js';
import { startServe, type RunningServe } from '../../../main/headless/start-serve.js';

export interface LabStack {
  root: string;
  labDir: string;
  dataDir: string;
  running: RunningServe;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** A fresh private sign-in page (file: URL) each time it is read: opening it signs a browser in. */
  readonly url: string;
  close(): Promise<void>;
}

/** Create a demo lab (advanced `hours`), start the stack on it and wait for the first poll. */
export async function startLabStack(
  options: { hours?: number; scenario?: string; servers?: number; labReader?: 'lab' | 'powershell'; prepareDataDir?: (dataDir: string) => Promise<void> } = {},
): Promise<LabStack> {
  const root = await mkdtemp(join(tmpdir(), 'eems-serve-'));
  const labDir = join(root, 'lab');
  const dataDir = join(root, 'data');
  await initLab(labDir, { scenario: options.scenario ?? 'demo', ...(options.servers ? { servers: options.servers } : {}) });
  await advanceLab(labDir, options.hours ?? 26);
  // Files left in the data folder before the start (damaged ones, in the resilience tests).
  if (options.prepareDataDir) await options.prepareDataDir(dataDir);
  const running = await startServe({ lab: labDir, dataDir, port: 0, notifications: false, labHourSeconds: 0, labReader: options.labReader });
  await running.engine.pollNow();
  const origin = new URL(running.url).origin;
  return {
    root,
    labDir,
    dataDir,
    running,
    origin,
    get url() {
      return running.server.mintSignIn().file.url;
    },
    async close() {
      await running.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The journal's text (all of it), '' when none was written yet. */
export async function journalText(stack: LabStack): Promise<string> {
  return readFile(join(stack.dataDir, 'journal.jsonl'), 'utf8').catch(() => '');
}

/** The journal's records. */
export async function journalRecords(stack: LabStack): Promise<Array<Record<string, unknown>>> {
  return (await journalText(stack))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The lab's own view of one server (what is really on it). */
export function labServer(stack: LabStack, name: string) {
  const server = summarizeLab(stack.labDir).servers.find((s) => s.name === name);
  if (!server) throw new Error(`${name} is not in the lab`);
  return server;
}

/** The lab's organisation settings. */
export function labOrganization(stack: LabStack) {
  return summarizeLab(stack.labDir).organization;
}

/** The header key each signed-in Cookie header goes with (the page keeps it in its storage). */
const keyOfCookie = new Map<string, string>();

/** Trade a one-time code for a session as the sign-in panel does; the Cookie header (its key is remembered). */
export async function signInWithCode(origin: string, code: string): Promise<string> {
  const response = await fetch(`${origin}/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  const body = (await response.json()) as { ok: boolean; value?: { key: string } };
  const cookie = response.headers.get('set-cookie');
  if (response.status !== 200 || !cookie || !body.value) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(body)}`);
  const header = cookie.split(';')[0]!;
  keyOfCookie.set(header, body.value.key);
  return header;
}

/** Sign in with a fresh one-time code of the server, return the Cookie header. */
export async function signIn(stack: LabStack): Promise<string> {
  return signInWithCode(stack.origin, stack.running.server.mintSignIn().code);
}

/** The headers of a signed-in call: the cookie and its header key. */
export function authHeaders(cookie: string): Record<string, string> {
  const key = keyOfCookie.get(cookie);
  return key === undefined ? { Cookie: cookie } : { Cookie: cookie, 'X-Eems-Session': key };
}

/** Call an API method over HTTP with the session cookie and its key. */
export async function callApi(stack: LabStack, cookie: string, method: string, input: unknown): Promise<{ status: number; body: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  const response = await fetch(`${stack.origin}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeaders(cookie) }, body: JSON.stringify(input) });
  return { status: response.status, body: (await response.json()) as never };
}

/** Call an API method that must succeed; its value (the assertion names the method's error otherwise). */
export async function callOk<T>(api: ApiService, method: Parameters<ApiService['call']>[0], input: unknown): Promise<T> {
  const result = await api.call(method, input);
  assert.equal(result.ok, true, JSON.stringify(result));
  return (result as { value: T }).value;
}
