/**
 * eems-watch poll --once: one full cycle over every configured server, with the JSON and the exit
 * codes of contracts.md (0 ok, 1 warning, 2 critical, 3 unknown) so monitoring systems can run it.
 * State (bookmarks, rule memory, the journal) persists in the data folder between runs, so an
 * alert is raised once and its condition keeps the status until it clears.
 */
import { join } from 'node:path';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { defaultDataDir, loadKnowledge, openHost, type OpenedHost } from '../../api/runtime.js';
import { STATUS_EXIT_CODE, type Alert } from '../../core/model.js';
import type { NotifierPort } from '../../core/ports.js';
import { ConfigFileError, loadConfigFile } from '../../engine/config-file.js';
import { createEngine } from '../../engine/engine.js';
import { createNodeNotifier } from '../../engine/notifier/node-notifier-port.js';
import { defaultSettings, type Settings } from '../../engine/settings/settings-schema.js';
import { countOf } from '../../core/plural.js';

const USAGE = `Usage: eems-watch poll --once (--config FILE | --lab DIR) [--data DIR] [--notify] [--json]

Polls every configured server once: state, new events and new Mitigation Service log lines, and
reports the alerts that are open and the overall status. Exit code as monitoring plugins expect:
0 ok, 1 warning, 2 critical, 3 unknown. A usage or configuration error is 3 (unknown) too, and
with --json it prints { "state": null, "alerts": [], "status": "unknown", "error": "..." }.

Options:
  --once         one cycle, then exit (required: run 'eems-watch serve' to watch continuously)
  --config FILE  a settings file (JSON) naming the servers and how to reach them
  --lab DIR      a simulated organisation made with 'eems-watch lab init DIR'
  --data DIR     where bookmarks, alert memory and the journal live
                 (default: DIR/.eems-watch for a lab, else a per-user folder)
  --notify       also show new alerts as desktop notifications
  --json         print one JSON document: { "state", "alerts", "status" }`;

interface Target extends OpenedHost {
  dataDir: string;
}

/** The settings of --config (errors name the field and the file), or the defaults for --lab. */
async function readSettings(values: { config?: string; lab?: string }): Promise<Settings> {
  if (values.lab) return defaultSettings();
  try {
    return await loadConfigFile(values.config!);
  } catch (error) {
    if (error instanceof ConfigFileError) throw new UsageError(error.message);
    throw error;
  }
}

async function resolveTarget(values: { config?: string; lab?: string; data?: string }): Promise<Target> {
  const settings = await readSettings(values);
  if (!values.lab && settings.connection.mode === 'lab' && !settings.connection.labDir) {
    throw new UsageError(`The config file ${values.config} has connection.mode "lab" but no connection.labDir. Add the lab folder, or use --lab DIR.`);
  }
  if (!values.lab && settings.connection.mode !== 'lab' && settings.servers.filter((s) => s.enabled).length === 0) {
    throw new UsageError(`The config file ${values.config} lists no enabled server under "servers". Add at least one: { "name": "EX01" }.`);
  }
  let opened: OpenedHost;
  try {
    opened = await openHost(settings, { dataDir: values.data ?? defaultDataDir(), labDir: values.lab ?? null });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const dataDir = values.data ?? (opened.labDir ? join(opened.labDir, '.eems-watch') : defaultDataDir());
  return { ...opened, dataDir };
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
    try {
      return await runPoll(args, io);
    } catch (error) {
      // A monitoring system reads a broken check as UNKNOWN (3), never as CRITICAL (2).
      if (!(error instanceof UsageError)) throw error;
      if (args.includes('--json')) writeJson(io, { state: null, alerts: [], status: 'unknown', error: error.message });
      throw new UsageError(error.message, STATUS_EXIT_CODE.unknown);
    }
  },
};

async function runPoll(args: string[], io: CliIo): Promise<number> {
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
    knowledge: await loadKnowledge(target.settings, (line) => io.stderr(`${line}\n`)),
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
      const lines = [`EEMS status: ${result.status.toUpperCase()} (${countOf(result.state.servers.length, 'server')}, collected ${result.state.collectedAt})`];
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
    target.close();
  }
}
