/**
 * One server's fetch for a poll cycle: its state (when due), its new events and its new log lines,
 * side by side (so a cycle costs one round trip of latency per server, not three). Nothing here
 * advances a bookmark: the engine saves the returned positions after journaling.
 */
import type { EemsEvent, ServerState, StateDocument } from '../core/model.js';
import type { HostPort } from '../core/ports.js';
import type { Bookmarks } from './bookmarks.js';
import { collectServerEvents } from './collectors/event-collector.js';
import { type LogReadResult, readNewLogEntries } from './collectors/log-collector.js';
import type { PollWork } from './poller.js';

/** What one server's fetch brought. */
export interface ServerFetch {
  /** Present when state was due: the server and the organisation as collected. */
  collected: { server: ServerState; organization: StateDocument['organization']; collectedAt: string } | null;
  events: { events: EemsEvent[]; bookmark: number } | null;
  eventsError: string | null;
  log: LogReadResult | null;
}

/** Options of fetchServer. */
export interface FetchServerOptions {
  host: HostPort;
  bookmarks: Bookmarks;
  /** settings.events.source 'forwarded': events come from the collector, not from each server. */
  perServerEvents: boolean;
  /** settings.servers[].logFolder, which wins over the host's logLocation. */
  logFolder: string | null;
  /** Aborts the host calls (time-out or shutdown). */
  signal?: AbortSignal;
}

/** Fetch what is due for one server. Throws only when the host call itself throws for collect. */
export async function fetchServer(server: string, work: PollWork, options: FetchServerOptions): Promise<ServerFetch> {
  const { host, bookmarks } = options;
  const statePart = work.state ? host.collect({ servers: [server] }, { signal: options.signal }) : Promise.resolve(null);
  const eventsPart =
    work.events && options.perServerEvents
      ? collectServerEvents(host, server, bookmarks.events[server] ?? 0, options.signal).then(
          (value) => ({ value, error: null }),
          (error: unknown) => ({ value: null, error: error instanceof Error ? error.message : String(error) }),
        )
      : Promise.resolve({ value: null, error: null });
  const folder = options.logFolder ?? host.logLocation(server)?.folder ?? null;
  const logPart = work.events && folder ? readNewLogEntries(folder, bookmarks.logs[server] ?? null) : Promise.resolve(null);
  const [doc, ev, log] = await Promise.all([statePart, eventsPart, logPart]);
  let collected: ServerFetch['collected'] = null;
  if (doc) {
    const found = doc.servers.find((s) => s.Name.toLowerCase() === server.toLowerCase());
    const state = found ?? { Name: server, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: `The collection returned nothing for ${server}.` };
    collected = { server: state, organization: doc.organization, collectedAt: doc.collectedAt };
  }
  return { collected, events: ev.value, eventsError: ev.error, log };
}

/** Is this fetch a failure for back-off (unreadable server or events)? */
export function fetchFailed(fetch: ServerFetch): boolean {
  return Boolean(fetch.collected?.server.Error) || fetch.eventsError !== null;
}
