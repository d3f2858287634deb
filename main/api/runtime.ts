/**
 * The one composition of EEMS Watch's engine, used by every face: `eems-watch poll` (host only),
 * `eems-watch serve` and the Electron app (engine + API service). From the settings it picks the
 * host (a simulated lab, or Windows PowerShell locally or by remoting), loads the knowledge base
 * with the admin's override, and wires the engine and the API service.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApiService, type SettingsPort } from './api-service.js';
import type { ApiService } from './eems-api.js';
import type { KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import { loadKnowledgeSource, watchKnowledgeSource, type KnowledgeInfo, type KnowledgeWatch } from '../engine/knowledge-source.js';
import type { Clock, HostPort, NotifierPort } from '../core/ports.js';
import { createEngine } from '../engine/engine.js';
import type { Engine } from '../engine/engine-types.js';
import { createPowerShellHost } from '../engine/hosts/powershell-host.js';
import { systemClock } from '../engine/scheduler.js';
import type { Settings } from '../engine/settings/settings-schema.js';
import { advanceLab, createLabHost, initLab, summarizeLab, type LabHost } from '../lab/index.js';
import { createSimulatedPowerShellHost } from './simulated-powershell.js';

type Say = (line: string) => void;

/** The per-user data folder: %LOCALAPPDATA%\EEMS Watch on Windows, $XDG_STATE_HOME/eems-watch elsewhere. */
export function defaultDataDir(): string {
  if (process.env.EEMS_WATCH_DATA) return process.env.EEMS_WATCH_DATA;
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'EEMS Watch');
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'eems-watch');
}

/** The knowledge base with the admin's knowledge update (URL or file) applied; a bad update is reported, never fatal. */
export async function loadKnowledge(settings: Settings, say: Say): Promise<KnowledgeBase> {
  return (await loadKnowledgeWithInfo(settings, say)).kb;
}

function knowledgeSourceOptions(settings: Settings) {
  return { file: settings.knowledgeOverrideFile, url: settings.knowledgeUrl, now: () => new Date() };
}

/** The same, with where the knowledge came from (knowledge-source.ts), for the Diagnostics view. */
export async function loadKnowledgeWithInfo(settings: Settings, say: Say): Promise<{ kb: KnowledgeBase; info: KnowledgeInfo }> {
  const loaded = await loadKnowledgeSource(knowledgeSourceOptions(settings));
  if (loaded.info.lastError) say(loaded.info.lastError);
  return loaded;
}

/** Create the demo lab under the data folder once, then reuse it. */
async function prepareDemoLab(dataDir: string, hours: number, say: Say): Promise<string> {
  const dir = join(dataDir, 'demo-lab');
  if (existsSync(join(dir, 'lab.json'))) {
    say(`Demo mode: watching the simulated Exchange organisation in ${dir}.`);
    return dir;
  }
  await initLab(dir, { scenario: 'demo' });
  await advanceLab(dir, hours);
  say(`Demo mode: no Exchange is configured, so a simulated Exchange organisation was created in ${dir} and ${hours} hours of EEMS cycles were simulated.`);
  return dir;
}

/** Where the engine reads Exchange from. */
export interface OpenedHost {
  host: HostPort;
  clock: Clock;
  /** The servers to watch (a lab's); undefined: the enabled servers of the settings. */
  servers: string[] | undefined;
  labDir: string | null;
  /** The lab's host, to advance it; null for PowerShell. */
  lab: LabHost | null;
  /** The settings as the engine should see them (a lab folder filled in). */
  settings: Settings;
  close(): void;
}

/**
 * How a lab is read: by the lab host (in process, instant), or through the production PowerShell
 * host, pwsh and the bundled scripts against the simulated Exchange (main/lab/powershell-sim), so
 * what the demo shows went through the same scripts as production.
 */
export type LabReader = 'lab' | 'powershell';

/** The lab read through the PowerShell host and the simulated Exchange. */
function openSimulatedPowerShell(lab: LabHost, labDir: string, settings: Settings): HostPort {
  const host = createSimulatedPowerShellHost(labDir, { clock: lab.clock, host: { timeoutMs: settings.connection.callTimeoutSeconds * 1000 } });
  // Two things stay the lab's own. The hourly log is read as files (over the admin share in
  // production), not through PowerShell, and the simulated servers' folders are the lab's.
  // test-endpoint.ps1 would fetch Microsoft's real endpoint from this machine, which says nothing
  // about the simulated servers.
  return { collect: host.collect, events: host.events, run: host.run, logLocation: lab.logLocation, testEndpoint: lab.testEndpoint };
}

/**
 * Open the host the settings ask for. An explicit `labDir` wins; connection mode "lab" without a
 * folder means the demo lab under `dataDir`; "local" and "remote" mean Windows PowerShell. A lab is
 * read by the lab host unless `reader` is "powershell".
 */
export async function openHost(settings: Settings, options: { dataDir: string; labDir?: string | null; demoHours?: number; say?: Say; reader?: LabReader }): Promise<OpenedHost> {
  const say = options.say ?? (() => undefined);
  let labDir = options.labDir ? resolve(options.labDir) : null;
  if (!labDir && settings.connection.mode === 'lab') {
    labDir = settings.connection.labDir ? resolve(settings.connection.labDir) : await prepareDemoLab(options.dataDir, options.demoHours ?? 48, say);
  }
  if (!labDir) {
    return { host: createPowerShellHost({ settings }), clock: systemClock, servers: undefined, labDir: null, lab: null, settings, close: () => undefined };
  }
  const lab = await createLabHost(labDir);
  const servers = summarizeLab(labDir).servers.map((s) => s.name);
  let host: HostPort = lab;
  if (options.reader === 'powershell') {
    try {
      host = openSimulatedPowerShell(lab, labDir, settings);
    } catch (error) {
      lab.close();
      throw error;
    }
    say(`The lab in ${labDir} is read through PowerShell 7 and the bundled scripts against the simulated Exchange: a poll takes seconds per server.`);
  }
  return {
    host,
    clock: lab.clock,
    servers,
    labDir,
    lab,
    settings: { ...settings, connection: { ...settings.connection, mode: 'lab', labDir } },
    close: () => lab.close(),
  };
}

export interface RuntimeOptions {
  settings: SettingsPort;
  dataDir: string;
  /** Watch this lab whatever the settings say (eems-watch serve --lab). */
  labDir?: string | null;
  /** Read the lab through the PowerShell host (serve --host powershell). */
  labReader?: LabReader;
  notifier: NotifierPort | null;
  /** Hours simulated when the demo lab is created (default 48). */
  demoHours?: number;
  /** In lab mode, one lab hour passes every this many real seconds (default 3600; 0: never). */
  labHourSeconds?: number;
  /** How often the knowledge update's file is looked at (default 60 s). */
  knowledgeCheckMs?: number;
  /** Damaged data found before the runtime started (a settings file moved aside): shown in Diagnostics. */
  notes?: string[];
  say?: Say;
}

export interface EemsRuntime {
  engine: Engine;
  service: ApiService;
  host: HostPort;
  clock: Clock;
  /** Reads the knowledge update again when it changes (a timer; `check()` looks at once). */
  knowledgeWatch: KnowledgeWatch;
  labDir: string | null;
  /** Stop polling, flush the journal, close the host. */
  stop(): Promise<void>;
}

/** Wire the host, the knowledge base, the engine and the API service, and start polling. */
export async function createEemsRuntime(options: RuntimeOptions): Promise<EemsRuntime> {
  const say = options.say ?? (() => undefined);
  const opened = await openHost(options.settings.get(), { dataDir: options.dataDir, labDir: options.labDir, demoHours: options.demoHours, say, reader: options.labReader });
  const initial = await loadKnowledgeWithInfo(opened.settings, say);
  const engine = createEngine({
    host: opened.host,
    settings: opened.settings,
    dataDir: options.dataDir,
    clock: opened.clock,
    notifier: options.notifier,
    knowledge: initial.kb,
    servers: opened.servers,
    notes: options.notes,
  });
  // A changed knowledge update is taken without a restart: verdicts are judged again at once.
  const knowledgeWatch = watchKnowledgeSource({
    ...knowledgeSourceOptions(opened.settings),
    initial,
    checkEveryMs: options.knowledgeCheckMs,
    onChange(loaded) {
      if (loaded.info.lastError) say(loaded.info.lastError);
      if (loaded.kb !== engine.knowledge()) engine.applyKnowledge(loaded.kb);
    },
  });
  const service = createApiService({ engine, host: opened.host, knowledgeInfo: () => knowledgeWatch.current().info, clock: opened.clock, settings: options.settings });
  await engine.ready();
  engine.start();

  let labTimer: NodeJS.Timeout | null = null;
  const hourSeconds = options.labHourSeconds ?? 3600;
  if (opened.lab && hourSeconds > 0) {
    // The lab's clock only moves when hours are simulated: one lab hour per real hour keeps it live.
    const lab = opened.lab;
    labTimer = setInterval(() => void lab.advance(1).catch((error: unknown) => say(`The lab could not advance: ${(error as Error).message}`)), hourSeconds * 1000);
    labTimer.unref();
  }
  let stopping: Promise<void> | null = null;
  return {
    engine,
    service,
    host: opened.host,
    clock: opened.clock,
    knowledgeWatch,
    labDir: opened.labDir,
    stop() {
      stopping ??= (async () => {
        if (labTimer) clearInterval(labTimer);
        knowledgeWatch.stop();
        await engine.stop();
        opened.close();
      })();
      return stopping;
    },
  };
}
