/**
 * Reads mitigation-service events by RecordId: per server (each server's Application log), or
 * once from a Windows Event Forwarding collector (ForwardedEvents), split by machine.
 */
import type { EemsEvent } from '../../core/model.js';
import type { HostPort } from '../../core/ports.js';

/** New events of one server since its bookmark, and the next bookmark. */
export async function collectServerEvents(host: HostPort, server: string, since: number, signal?: AbortSignal): Promise<{ events: EemsEvent[]; bookmark: number }> {
  const events = (await host.events(server, since, { signal })).filter((e) => e.recordId > since);
  events.sort((a, b) => a.recordId - b.recordId);
  return { events, bookmark: events.reduce((max, e) => Math.max(max, e.recordId), since) };
}

/** The server a forwarded record belongs to: its Computer is the FQDN or the NetBIOS name. */
export function serverOfMachine(machine: string, servers: { name: string; fqdn?: string | null }[]): string | null {
  const m = machine.toLowerCase();
  const short = m.split('.')[0];
  for (const s of servers) {
    if (s.fqdn && s.fqdn.toLowerCase() === m) return s.name;
  }
  for (const s of servers) {
    if (s.name.toLowerCase() === m || s.name.toLowerCase() === short) return s.name;
  }
  return null;
}

/**
 * New events from the forwarding collector, split by server. Records of machines we do not watch
 * are dropped (a collector often serves more than Exchange).
 */
export async function collectForwardedEvents(
  host: HostPort,
  collector: string,
  since: number,
  servers: { name: string; fqdn?: string | null }[],
): Promise<{ byServer: Record<string, EemsEvent[]>; bookmark: number }> {
  const { events, bookmark } = await collectServerEvents(host, collector, since);
  const byServer: Record<string, EemsEvent[]> = {};
  for (const event of events) {
    const name = serverOfMachine(event.machine, servers);
    if (name) (byServer[name] ??= []).push(event);
  }
  return { byServer, bookmark };
}
