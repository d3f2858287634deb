/**
 * eems-watch poll --once: one full cycle over every configured server, with the JSON and the exit
 * codes of contracts.md (0 ok, 1 warning, 2 critical, 3 unknown) so monitoring systems can run it.
 * State (bookmarks, rule memory, the journal) persists in the data folder between runs, so an
 * alert is raised once and its condition keeps the status until it clears.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { defaultKnowledgeBase } from '../../core/knowledge/knowledge-base.js';
import { STATUS_EXIT_CODE, type Alert } from '../../core/model.js';
import type { Clock, HostPort, NotifierPort } from '../../core/ports.js';
import { ConfigFileError, loadConfigFile } from '../../engine/config-file.js';
import { createEngine } from '../../engine/engine.js';
import { createPowerShellHost } from '../../engine/hosts/powershell-host.js';
import { createNodeNotifier } from '../../engine/notifier/node-notifier-port.js';
import { systemClock } from '../../engine/scheduler.js';
import { defaultSettings, type Settings } from '../../engine/settings/settings-schema.js';
import { createLabHost, summarizeLab } from '../../lab/index.js';

const USAGE = `Usage: eems-watch poll --once (--config FILE | --lab DIR) [--data DIR] [--notify] [--json]

Polls every configured server once: state, new events and new Mitigation Service log lines, and
reports the alerts that are open and the overall status. Exit code as monitoring plugins expect:
0 ok, 1 warning, 2 critical, 3 unknown.

Options:
  --once         one cycle, then exit (required: run 'eems-watch serve' to watch continuously)
  --config FILE  a settings file (JSON) naming the servers and how to reach them
  --lab DIR      a simulated organisation made with 'eems-watch lab init DIR'
  --data DIR     where bookmarks, alert memory and the journal live
                 (default: DIR/.eems-watch for a lab, else a per-user folder)
  --notify       also show new alerts as desktop notifications
  --json         print one JSON document: { "state", "alerts", "status" }`;

/** The per-user data folder for real servers. */
export function defaultDataDir(): string {
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'EEMS Watch');
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'eems-watch');
}

interface Target {
  host: HostPort & { close?: () => void };
  clock: Clock;
  settings: Settings;
  servers?: string[];
  dataDir: string;
}

async function labTarget(dir: string, settings: Settings, dataDir: string | undefined): Promise<Target> {
  const labDir = resolve(dir);
  let host;
  try {
    host = await createLabHost(labDir);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const servers = summarizeLab(labDir).servers.map((s) => s.name);
  return { host, clock: host.clock, settings, servers, dataDir: dataDir ?? join(labDir, '.eems-watch') };
}

async function resolveTarget(values: { config?: string; lab?: string; data?: string }): Promise<Target> {
  if (values.lab) return labTarget(values.lab, defaultSettings(), values.data);
  let settings: Settings;
  try {
    settings = await loadConfigFile(values.config!);
  } catch (error) {
    if (error instanceof ConfigFileError) throw new UsageError(error.message);
    throw error;
  }
  if (settings.connection.mode === 'lab') {
    if (!settings.connection.labDir) throw new UsageError(`The config file ${values.config} has connection.mode "lab" but no connection.labDir. Add the lab folder, or use --lab DIR.`);
    return labTarget(settings.connection.labDir, settings, values.data);
  }
  if (settings.servers.filter((s) => s.enabled).length === 0) {
    throw new UsageError(`The config file ${values.config} lists no enabled server under "servers". Add at least one: { "name": "EX01" }.`);
  }
  return { host: createPowerShellHost({ settings }), clock: systemClock, settings, dataDir: values.data ?? defaultDataDir() };
}

function formatAlert(alert: Alert): string {
  const where = alert.server ?? 'organisation';
  return `  [${alert.severity.toUpperCase()}] ${where}: ${alert.title}\n      ${alert.body}`;
}

export const command: Command = {
  name: 'poll',
  summary: 'Poll every configured server once (monitoring exit codes)',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, {
      once: { type: 'boolean' },
      config: { type: 'string' },
      lab: { type: 'string' },
      data: { type: 'string' },
      notify: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (!values.once) throw new UsageError("only one cycle is supported here: add --once (run 'eems-watch serve' to watch continuously).");
    if (Boolean(values.config) === Boolean(values.lab)) throw new UsageError('give exactly one of --config FILE or --lab DIR.');
    const target = await resolveTarget(values);
    let notifier: NotifierPort | null = null;
    if (values.notify) notifier = createNodeNotifier();
    const engine = createEngine({
      host: target.host,
      settings: target.settings,
      dataDir: target.dataDir,
      clock: target.clock,
      notifier,
      knowledge: defaultKnowledgeBase(),
      ...(target.servers ? { servers: target.servers } : {}),
    });
    try {
      const result = await engine.pollOnce();
      if (values.json) {
        writeJson(io, {
          state: result.state,
          alerts: result.alerts.map((a) => ({ id: a.id, kind: a.kind, severity: a.severity, server: a.server, mitigation: a.mitigation, title: a.title, body: a.body, diagnosis: a.diagnosis, time: a.time, new: result.raised.some((r) => r.id === a.id) })),
          status: result.status,
        });
      } else {
        const lines = [`EEMS status: ${result.status.toUpperCase()} (${result.state.servers.length} servers, collected ${result.state.collectedAt})`];
        const fresh = new Set(result.raised.map((a) => a.id));
        if (result.alerts.length === 0) lines.push('No open alerts.');
        else {
          lines.push(`Open alerts (${result.alerts.length}, ${fresh.size} new):`);
          const rank = { critical: 0, warning: 1, info: 2 };
          for (const alert of [...result.alerts].sort((a, b) => rank[a.severity] - rank[b.severity])) lines.push(formatAlert(alert) + (fresh.has(alert.id) ? '  (new)' : ''));
        }
        io.stdout(`${lines.join('\n')}\n`);
      }
      return STATUS_EXIT_CODE[result.status];
    } finally {
      await engine.stop();
      target.host.close?.();
    }
  },
};
