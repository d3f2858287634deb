/**
 * Server-sent events for the headless transport: every ApiEvent of the service goes to every
 * connected page as one `data:` line of JSON. A comment line every 20 s keeps idle connections
 * (and proxies, if any) from timing out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiEvent, ApiService } from '../api/eems-api.js';

export interface EventStream {
  attach(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

/** Fan the service's events out to the connected pages. */
export function createEventStream(service: ApiService, headers: Record<string, string>): EventStream {
  const clients = new Set<ServerResponse>();
  const unsubscribe = service.subscribe((event: ApiEvent) => {
    const line = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of clients) res.write(line);
  });
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 20_000);
  keepAlive.unref();
  return {
    attach(req, res) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    close() {
      unsubscribe();
      clearInterval(keepAlive);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
