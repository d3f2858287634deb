/**
 * Wire the headless mode: the settings (conf store or a config file), the runtime of
 * main/api/runtime.ts (host, knowledge base, engine, API service) and the HTTP server. Used by `eems-watch serve`, the end-to-end tests and the benchmark,
 * so all three run exactly the same composition.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SettingsPort } from '../api/api-service.js';
import type { ApiService } from '../api/eems-api.js';
import { createEemsRuntime, defaultDataDir, type LabReader } from '../api/runtime.js';
import type { NotifierPort } from '../core/ports.js';
import { loadConfigFile } from '../engine/config-file.js';
import { writeJsonAtomic } from '../engine/json-file.js';
import type { Engine } from '../engine/engine-types.js';
import { createNodeNotifier } from '../engine/notifier/node-notifier-port.js';
import { openConfSettingsStore } from '../engine/settings/settings-store.js';
import { parseSettings } from '../engine/settings/settings-schema.js';
import { guardTransportUpdates } from '../engine/settings/transport-guard.js';
import type { SignInGrant } from './auth-routes.js';
import { startHeadlessServer, type HeadlessServer } from './http-server.js';
import { acquireInstanceLock, type InstanceLock } from './instance-lock.js';
import { ensurePrivateFolder } from './private-files.js';
import { locateRendererAssets } from './renderer-assets.js';

export interface ServeOptions {
  port?: number;
  /** A lab folder to watch. */
  lab?: string;
  /** A settings file (the poll --config document). */
  config?: string;
  /** How a lab (or the demo) is read: the lab host, or PowerShell and the bundled scripts. */
  labReader?: LabReader;
  /** Where the journal, engine state and settings live. */
  dataDir?: string;
  /** Hours the demo lab is advanced when it is created (default 48). */
  demoHours?: number;
  /** false: no desktop notifications at all (tests). Otherwise node-notifier, and the settings' notification policy decides, live. */
  notifications?: boolean;
  /** In lab mode, let one lab hour pass every this many real seconds (default 3600; 0: never). */
  labHourSeconds?: number;
  /** Called with a line for the admin (what mode, where the data is). */
  say?: (line: string) => void;
}

export interface RunningServe {
  /** The server's address (no secret in it). */
  url: string;
  /** The first one-time sign-in (code and private sign-in page). */
  signIn: SignInGrant;
  port: number;
  dataDir: string;
  labDir: string | null;
  engine: Engine;
  service: ApiService;
  server: HeadlessServer;
  stop(): Promise<void>;
}

/** The data folder of one serve target, so a lab, the demo and real servers never share a journal. */
function serveDataDir(options: ServeOptions): string {
  const base = defaultDataDir();
  if (options.config) return base;
  if (options.lab) return join(base, 'labs', createHash('sha256').update(resolve(options.lab)).digest('hex').slice(0, 12));
  return join(base, 'demo');
}

/** A settings port over a config file: updates are validated and written back atomically. */
async function fileSettings(path: string): Promise<SettingsPort> {
  let current = await loadConfigFile(path);
  return {
    get: () => structuredClone(current),
    update(next) {
      const parsed = parseSettings(next);
      if (!parsed.ok) return parsed;
      current = parsed.value;
      writeJsonAtomic(path, current, true);
      return { ok: true, value: structuredClone(current) };
    },
  };
}

/** Start the engine and the headless server. */
export async function startServe(options: ServeOptions = {}): Promise<RunningServe> {
  const say = options.say ?? (() => undefined);
  if (options.lab && options.config) throw new Error('Give either --lab or --config, not both.');
  const dataDir = resolve(options.dataDir ?? serveDataDir(options));
  await mkdir(dataDir, { recursive: true });
  // Secrets (sign-in pages, the lock's launch key) live in a private folder of the data folder,
  // never in a shared predictable one; a second start on this data folder is refused here.
  const runDir = ensurePrivateFolder(dataDir, 'run');
  const lock = await acquireInstanceLock(runDir);
  try {
    return await startLocked(options, dataDir, runDir, say, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(options: ServeOptions, dataDir: string, runDir: string, say: (line: string) => void, lock: InstanceLock): Promise<RunningServe> {

  const store = options.config ? null : await openConfSettingsStore(dataDir);
  // A corrupt settings file moved aside is announced here too, not only in the desktop app.
  if (store?.notice) say(store.notice);
  const onDisk: SettingsPort = store ?? (await fileSettings(options.config ?? ''));
  // Programs, files, shares and URLs are set in the file on disk only (transport-guard.ts).
  const settingsPort: SettingsPort = guardTransportUpdates(onDisk, store?.path ?? resolve(options.config ?? ''));
  if (options.config && settingsPort.get().connection.mode === 'lab' && !settingsPort.get().connection.labDir) {
    throw new Error(`The config file ${options.config} has connection.mode "lab" but no connection.labDir. Add the lab folder, or use --lab DIR.`);
  }
  // The notifier always exists; whether a notification goes out is the policy's call (settings.notifications),
  // so turning notifications on in Settings works without a restart.
  const notifier: NotifierPort | null = options.notifications === false ? null : createNodeNotifier();
  const runtime = await createEemsRuntime({
    settings: settingsPort,
    dataDir,
    labDir: options.lab ?? null,
    labReader: options.labReader,
    notifier,
    demoHours: options.demoHours,
    labHourSeconds: options.labHourSeconds,
    notes: store?.notice ? [store.notice] : [],
    say,
  });
  let server: HeadlessServer;
  try {
    server = await startHeadlessServer({ service: runtime.service, assets: await locateRendererAssets(), port: options.port, runDir });
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  lock.publish(server.port, server.launchKey);
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    signIn: server.mintSignIn(),
    port: server.port,
    dataDir,
    labDir: runtime.labDir,
    engine: runtime.engine,
    service: runtime.service,
    server,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await runtime.stop();
        lock.release();
      })();
      return stopping;
    },
  };
}
