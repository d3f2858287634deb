/**
 * Wire the headless mode: settings, knowledge base, host (a lab or PowerShell), engine, the API
 * service and the HTTP server. Used by `eems-watch serve`, the end-to-end tests and the benchmark,
 * so all three run exactly the same composition.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApiService, type SettingsPort } from '../api/api-service.js';
import type { ApiService } from '../api/eems-api.js';
import { applyKnowledgeOverride, defaultKnowledgeBase, type KnowledgeBase } from '../core/knowledge/knowledge-base.js';
import type { Clock, HostPort, NotifierPort } from '../core/ports.js';
import { loadConfigFile } from '../engine/config-file.js';
import { createEngine } from '../engine/engine.js';
import type { Engine } from '../engine/engine-types.js';
import { createPowerShellHost } from '../engine/hosts/powershell-host.js';
import { createNodeNotifier } from '../engine/notifier/node-notifier-port.js';
import { systemClock } from '../engine/scheduler.js';
import { openConfSettingsStore } from '../engine/settings/settings-store.js';
import { parseSettings, type Settings } from '../engine/settings/settings-schema.js';
import { advanceLab, createLabHost, initLab, summarizeLab } from '../lab/index.js';
import { startHeadlessServer, type HeadlessServer } from './http-server.js';
import { locateRendererAssets } from './renderer-assets.js';

export interface ServeOptions {
  port?: number;
  /** A lab folder to watch. */
  lab?: string;
  /** A settings file (the poll --config document). */
  config?: string;
  /** Where the journal, engine state and settings live. */
  dataDir?: string;
  /** Hours the demo lab is advanced when it is created (default 48). */
  demoHours?: number;
  /** Desktop notifications through node-notifier (default: as the settings say). */
  notifications?: boolean;
  /** In lab mode, let one lab hour pass every this many real seconds (default 3600; 0: never). */
  labHourSeconds?: number;
  /** Called with a line for the admin (what mode, where the data is). */
  say?: (line: string) => void;
}

export interface RunningServe {
  url: string;
  port: number;
  dataDir: string;
  labDir: string | null;
  engine: Engine;
  service: ApiService;
  server: HeadlessServer;
  stop(): Promise<void>;
}

/** The default data folder: ~/.eems-watch, or a folder per lab, or the demo's. */
function defaultDataDir(options: ServeOptions): string {
  const base = process.env.EEMS_WATCH_DATA ?? join(homedir(), '.eems-watch');
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
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`);
      renameSync(tmp, path);
      return { ok: true, value: structuredClone(current) };
    },
  };
}

async function loadKnowledge(settings: Settings, say: (line: string) => void): Promise<KnowledgeBase> {
  const base = defaultKnowledgeBase();
  if (!settings.knowledgeOverrideFile) return base;
  try {
    const applied = applyKnowledgeOverride(base, JSON.parse(await readFile(settings.knowledgeOverrideFile, 'utf8')));
    if (applied.ok) return applied.value;
    say(`The knowledge-base override ${settings.knowledgeOverrideFile} was not applied: ${applied.error}. Using the built-in knowledge base.`);
  } catch (error) {
    say(`The knowledge-base override ${settings.knowledgeOverrideFile} could not be read (${(error as Error).message}). Using the built-in knowledge base.`);
  }
  return base;
}

/** Prepare the demo lab under the data folder (created once, then reused). */
async function prepareDemo(dataDir: string, hours: number, say: (line: string) => void): Promise<string> {
  const dir = join(dataDir, 'demo-lab');
  if (existsSync(join(dir, 'lab.json'))) {
    say(`Demo mode: watching the simulated Exchange organisation in ${dir} (no --lab or --config given).`);
    return dir;
  }
  await initLab(dir, { scenario: 'demo' });
  await advanceLab(dir, hours);
  say(`Demo mode: no --lab or --config given, so a simulated Exchange organisation was created in ${dir} and ${hours} hours of EEMS cycles were simulated.`);
  return dir;
}

/** Start the engine and the headless server. */
export async function startServe(options: ServeOptions = {}): Promise<RunningServe> {
  const say = options.say ?? (() => undefined);
  if (options.lab && options.config) throw new Error('Give either --lab or --config, not both.');
  const dataDir = resolve(options.dataDir ?? defaultDataDir(options));
  await mkdir(dataDir, { recursive: true });

  const settingsPort: SettingsPort = options.config ? await fileSettings(options.config) : await openConfSettingsStore(dataDir);
  let settings = settingsPort.get();
  let labDir: string | null = options.lab ? resolve(options.lab) : null;
  if (!options.config && !labDir) labDir = await prepareDemo(dataDir, options.demoHours ?? 48, say);
  if (options.config && settings.connection.mode === 'lab' && settings.connection.labDir) labDir = settings.connection.labDir;

  let host: HostPort;
  let clock: Clock = systemClock;
  let servers: string[] | undefined;
  let labHost: Awaited<ReturnType<typeof createLabHost>> | null = null;
  if (labDir) {
    labHost = await createLabHost(labDir);
    host = labHost;
    clock = labHost.clock;
    servers = summarizeLab(labDir).servers.map((s) => s.name);
    settings = { ...settings, connection: { ...settings.connection, mode: 'lab', labDir } };
  } else {
    host = createPowerShellHost({ settings });
  }
  const knowledge = await loadKnowledge(settings, say);
  const wantNotify = options.notifications ?? settings.notifications.enabled;
  const notifier: NotifierPort | null = wantNotify ? createNodeNotifier() : null;
  const engine = createEngine({ host, settings, dataDir, clock, notifier, knowledge, servers });
  const service = createApiService({ engine, host, knowledge, clock, settings: settingsPort });
  await engine.ready();
  engine.start();

  let labTimer: NodeJS.Timeout | null = null;
  const hourSeconds = options.labHourSeconds ?? 3600;
  if (labHost && hourSeconds > 0) {
    // The lab's clock only moves when hours are simulated: one lab hour per real hour keeps it live.
    labTimer = setInterval(() => void labHost!.advance(1).catch((error: unknown) => say(`The lab could not advance: ${(error as Error).message}`)), hourSeconds * 1000);
    labTimer.unref();
  }
  let server: HeadlessServer;
  try {
    server = await startHeadlessServer({ service, assets: await locateRendererAssets(), port: options.port });
  } catch (error) {
    await engine.stop();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    port: server.port,
    dataDir,
    labDir,
    engine,
    service,
    server,
    stop() {
      stopping ??= (async () => {
        if (labTimer) clearInterval(labTimer);
        await server.close();
        await engine.stop();
        labHost?.close();
      })();
      return stopping;
    },
  };
}
