/**
 * Server-sent events for the headless transport: every ApiEvent of the service goes to every
 * connected page as one `data:` line of JSON. A comment line every 20 s keeps idle connections
 * (and proxies, if any) from timing out. The number of open streams is bounded, and a page that
 * stops reading (its socket buffer fills) is dropped rather than buffered without end. Each stream
 * is tagged with the session that opened it: it closes when that session signs out, and within one
 * keep-alive period after the session ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiEvent, ApiService } from '../api/eems-api.js';

/** Open event streams at once: a handful of tabs is normal; more is a leak or a flood. */
export const MAX_EVENT_CLIENTS = 16;
/** Bytes queued for one page before it counts as gone (events are small: this is thousands). */
export const MAX_QUEUED_BYTES = 1024 * 1024;

export interface EventStream {
  /** Start streaming to this page; false (and nothing written) when the limit is reached. */
  attach(req: IncomingMessage, res: ServerResponse, tag?: string): boolean;
  /** Close the streams opened with this tag (a session that signed out). */
  dropTagged(tag: string): void;
  /** Streams open now. */
  size(): number;
  close(): void;
}

/** Fan the service's events out to the connected pages. */
export function createEventStream(
  service: ApiService,
  headers: Record<string, string>,
  options: { maxClients?: number; maxQueuedBytes?: number; isOpen?: (tag: string) => boolean } = {},
): EventStream {
  const maxClients = options.maxClients ?? MAX_EVENT_CLIENTS;
  const maxQueued = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  const isOpen = options.isOpen ?? (() => true);
  const clients = new Map<ServerResponse, string | undefined>();
  const drop = (res: ServerResponse): void => {
    clients.delete(res);
    res.destroy();
  };
  const broadcast = (text: string): void => {
    for (const [res, tag] of clients) {
      if (res.destroyed || res.writableEnded) clients.delete(res);
      else if (res.writableLength > maxQueued || (tag !== undefined && !isOpen(tag))) drop(res);
      else res.write(text);
    }
  };
  const unsubscribe = service.subscribe((event: ApiEvent) => broadcast(`data: ${JSON.stringify(event)}\n\n`));
  const keepAlive = setInterval(() => broadcast(': keep-alive\n\n'), 20_000);
  keepAlive.unref();
  return {
    attach(_req, res, tag) {
      if (clients.size >= maxClients) return false;
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.set(res, tag);
      const forget = (): void => {
        clients.delete(res);
      };
      // The response's close, not the request's: a GET's request stream closes as soon as it is
      // read, while the page is still listening; the response closes when the connection does.
      res.on('close', forget);
      res.on('error', forget);
      return true;
    },
    dropTagged(tag) {
      for (const [res, owner] of clients) if (owner === tag) drop(res);
    },
    size: () => clients.size,
    close() {
      unsubscribe();
      clearInterval(keepAlive);
      for (const res of clients.keys()) res.end();
      clients.clear();
    },
  };
}
