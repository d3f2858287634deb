/**
 * One headless server per data folder: two would share a journal and bookmarks and raise every
 * alert twice. The running server keeps a lock file in the private run folder with its process id,
 * port and a launch key. A second start finds it, asks the running server for a fresh one-time
 * sign-in (proving with the launch key that it runs as the same user) and is refused with that
 * sign-in, so the admin gets to the running one. A lock whose process is gone, or whose port does
 * not answer as that server, is stale and taken over.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { SignInGrant } from './auth-routes.js';
import { writePrivateFile } from './private-files.js';
import { LAUNCH_KEY_HEADER } from './security.js';

/** What the lock file holds. */
interface LockDocument {
  pid: number;
  instanceId: string;
  startedAt: string;
  port: number | null;
  launchKey: string | null;
}

/** The data folder is in use by a running server: `signIn` lets the admin into that one. */
export class InstanceRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly origin: string | null,
    readonly signIn: SignInGrant | null,
  ) {
    super(
      origin
        ? `EEMS Watch is already running for this data folder (process ${pid}) at ${origin}/.`
        : `EEMS Watch is starting for this data folder (process ${pid}). Wait a moment and run the command again to get its address.`,
    );
    this.name = 'InstanceRunningError';
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Record the port and launch key once the server listens. */
  publish(port: number, launchKey: string): void;
  /** Remove the lock (only if it is still this server's). */
  release(): void;
}

/** A lock without a port is a server still starting; after this long it is a start that died. */
const STARTING_GRACE_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): { text: string; doc: LockDocument | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const doc = JSON.parse(text) as LockDocument;
    return { text, doc: Number.isInteger(doc.pid) && typeof doc.instanceId === 'string' ? doc : null };
  } catch {
    return { text, doc: null };
  }
}

/** Ask a running server for a new sign-in; null when nothing answers as that server. */
export function requestSignIn(port: number, launchKey: string, timeoutMs = 3000): Promise<SignInGrant | null> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/auth/new-sign-in', headers: { Host: `127.0.0.1:${port}`, [LAUNCH_KEY_HEADER]: launchKey, 'Content-Length': '0' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok?: boolean; value?: SignInGrant };
            resolve(res.statusCode === 200 && body.ok && body.value ? body.value : null);
          } catch {
            resolve(null);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Is the lock held by a live server? Throws InstanceRunningError when it is. */
async function checkHolder(doc: LockDocument | null, now: number): Promise<void> {
  if (!doc || !isAlive(doc.pid)) return;
  if (doc.port === null || doc.launchKey === null) {
    if (now - Date.parse(doc.startedAt) < STARTING_GRACE_MS) throw new InstanceRunningError(doc.pid, null, null);
    return;
  }
  const grant = await requestSignIn(doc.port, doc.launchKey);
  if (grant) throw new InstanceRunningError(doc.pid, `http://127.0.0.1:${doc.port}`, grant);
}

/** Take the lock of the data folder whose private run folder is `runDir`. */
export async function acquireInstanceLock(runDir: string): Promise<InstanceLock> {
  const path = join(runDir, 'serve.lock');
  const mine: LockDocument = { pid: process.pid, instanceId: randomUUID(), startedAt: new Date().toISOString(), port: null, launchKey: null };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      return {
        path,
        publish(port, launchKey) {
          Object.assign(mine, { port, launchKey });
          writePrivateFile(path, JSON.stringify(mine));
        },
        release() {
          if (readLock(path)?.doc?.instanceId === mine.instanceId) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = readLock(path);
    if (!found) continue;
    await checkHolder(found.doc, Date.now());
    // Stale: remove it, but only if it is still the document judged stale (another start may have
    // taken it over meanwhile).
    if (readLock(path)?.text === found.text) unlinkSync(path);
  }
  throw new Error(`Could not take the lock ${path}: another EEMS Watch keeps starting for this data folder. Stop it, then start again.`);
}
