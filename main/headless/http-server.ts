/**
 * The headless transport of EemsApi: `POST /api/<method>` with a JSON body answers an ApiResult,
 * `GET /api/events` streams ApiEvents as server-sent events, everything else is the renderer's
 * static files. Bound to 127.0.0.1 only; a random token in the printed URL is exchanged once for
 * an HttpOnly SameSite=Strict cookie; Host and Origin must be this server's own; no CORS headers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_METHODS, parseApiCall, type ApiError, type ApiResult, type ApiService } from '../api/eems-api.js';
import { createEventStream } from './event-stream.js';
import type { RendererAssets } from './renderer-assets.js';
import { SECURITY_HEADERS, checkRequestOrigin, createSecret, readSessionCookie, secretsMatch, sessionCookieHeader } from './security.js';
import { serveStatic } from './static-files.js';

/** Largest accepted request body: a 5 MB definitions file, JSON-escaped, fits. */
export const MAX_BODY_BYTES = 12 * 1024 * 1024;

export interface HeadlessServerOptions {
  service: ApiService;
  assets: RendererAssets;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Override the random token (tests only need the printed one). */
  token?: string;
  maxBodyBytes?: number;
  /** Event streams open at once (default MAX_EVENT_CLIENTS). */
  maxEventClients?: number;
}

export interface HeadlessServer {
  /** The URL to open: carries the token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATUS_OF: Record<ApiError['code'], number> = { 'bad-request': 400, 'not-found': 404, conflict: 409, failed: 500, forbidden: 403 };

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, JSON.stringify(value));
}

function refuse(res: ServerResponse, status: number, code: ApiError['code'], message: string): void {
  const result: ApiResult = { ok: false, error: { code, message } };
  sendJson(res, status, result);
}

/** Read the body up to a limit; null when it is too large (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handleApiCall(req: IncomingMessage, res: ServerResponse, method: string, options: { service: ApiService; limit: number }): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return refuse(res, 405, 'bad-request', 'API methods are called with POST and a JSON body.');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return refuse(res, 415, 'bad-request', 'The request body must be JSON (Content-Type: application/json).');
  const body = await readBody(req, options.limit);
  if (body === null) {
    res.setHeader('Connection', 'close');
    return refuse(res, 413, 'bad-request', `The request body is larger than ${Math.round(options.limit / 1024 / 1024)} MB.`);
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(res, 400, 'bad-request', 'The request body is not valid JSON.');
  }
  const parsed = parseApiCall(method, input);
  if (!parsed.ok) return refuse(res, Object.hasOwn(API_METHODS, method) ? 400 : 404, parsed.error.code, parsed.error.message);
  let result: ApiResult;
  try {
    result = await options.service.call(parsed.method, parsed.input);
  } catch (error) {
    result = { ok: false, error: { code: 'failed', message: `The request failed: ${(error as Error).message}` } };
  }
  sendJson(res, result.ok ? 200 : STATUS_OF[result.error.code], result);
}

/** Start the headless server on 127.0.0.1. */
export async function startHeadlessServer(options: HeadlessServerOptions): Promise<HeadlessServer> {
  const token = options.token ?? createSecret();
  const session = createSecret();
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const events = createEventStream(options.service, SECURITY_HEADERS, { maxClients: options.maxEventClients });
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const blocked = checkRequestOrigin(req, port);
    if (blocked) return refuse(res, blocked.status, 'forbidden', blocked.message);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!secretsMatch(given, token) || req.method !== 'GET') return refuse(res, 401, 'forbidden', 'This token is not valid. Open the URL that eems-watch serve printed.');
      // The token leaves the address bar (and history) at once: a cookie carries the session.
      url.searchParams.delete('token');
      return send(res, 303, { Location: `${url.pathname}${url.search}`, 'Set-Cookie': sessionCookieHeader(session), 'Cache-Control': 'no-store' });
    }
    if (!secretsMatch(readSessionCookie(req), session)) {
      return refuse(res, 401, 'forbidden', 'Not signed in. Open the URL with the token that eems-watch serve printed.');
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return refuse(res, 405, 'bad-request', 'The event stream is read with GET.');
      if (!events.attach(req, res)) {
        res.setHeader('Retry-After', '30');
        return refuse(res, 503, 'failed', 'Too many EEMS Watch pages are open on this server: close some tabs, then reload.');
      }
      return;
    }
    const api = /^\/api\/([A-Za-z]{1,64})$/.exec(url.pathname);
    if (api) return handleApiCall(req, res, api[1] ?? '', { service: options.service, limit });
    if (url.pathname.startsWith('/api/')) return refuse(res, 404, 'not-found', `No such API path: ${url.pathname.slice(0, 80)}.`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'bad-request', 'Only GET is served here.');
    return serveStatic(url.pathname, options.assets, res);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'failed', `The server failed: ${(error as Error).message}`);
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    async close() {
      events.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
