/**
 * The headless transport of EemsApi: `POST /api/<method>` with a JSON body answers an ApiResult,
 * `GET /api/events` streams ApiEvents as server-sent events, `/auth/...` and a form POST to `/`
 * sign browsers in and out (auth-routes.ts), everything else is the renderer's static files.
 * Bound to 127.0.0.1 only; Host and Origin must be this server's own; no CORS headers. Every API
 * call needs the session's cookie and its header key (session-store.ts says why both).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { API_METHODS, parseApiCall, type ApiError, type ApiResult, type ApiService } from '../api/eems-api.js';
import { createAuth, type SignInGrant } from './auth-routes.js';
import { createEventStream } from './event-stream.js';
import { mediaType, readBody, refuse, sendJson } from './http-replies.js';
import type { RendererAssets } from './renderer-assets.js';
import { SECURITY_HEADERS, checkRequestOrigin, createSecret } from './security.js';
import { createSessionStore, type SessionPolicy } from './session-store.js';
import { createSignInFiles } from './sign-in-page.js';
import { serveStatic } from './static-files.js';

/** Largest accepted request body: a 5 MB definitions file, JSON-escaped, fits. */
export const MAX_BODY_BYTES = 12 * 1024 * 1024;

export interface HeadlessServerOptions {
  service: ApiService;
  assets: RendererAssets;
  /** A private folder (private-files.ts) for the sign-in pages. */
  runDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  maxBodyBytes?: number;
  /** Event streams open at once (default MAX_EVENT_CLIENTS). */
  maxEventClients?: number;
  /** How long sign-in codes and sessions live (defaults in session-store.ts). */
  sessionPolicy?: Partial<SessionPolicy>;
  /** The clock of sessions (tests move it instead of waiting). */
  now?: () => number;
}

export interface HeadlessServer {
  /** http://127.0.0.1:PORT/ (no secret in it). */
  url: string;
  origin: string;
  port: number;
  /** The secret a local `eems-watch serve` shows to get a new sign-in (kept in the private lock file). */
  launchKey: string;
  /** A new one-time sign-in (code and private sign-in page). */
  mintSignIn(): SignInGrant;
  close(): Promise<void>;
}

const STATUS_OF: Record<ApiError['code'], number> = { 'bad-request': 400, 'not-found': 404, conflict: 409, failed: 500, forbidden: 403 };

async function handleApiCall(req: IncomingMessage, res: ServerResponse, method: string, options: { service: ApiService; limit: number }): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return refuse(res, 405, 'bad-request', 'API methods are called with POST and a JSON body.');
  }
  if (mediaType(req) !== 'application/json') return refuse(res, 415, 'bad-request', 'The request body must be JSON (Content-Type: application/json).');
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
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const sessions = createSessionStore({ now: options.now, policy: options.sessionPolicy });
  const events = createEventStream(options.service, SECURITY_HEADERS, { maxClients: options.maxEventClients, isOpen: (id) => sessions.isOpen(id) });
  let port = 0;
  const origin = (): string => `http://127.0.0.1:${port}`;
  const files = createSignInFiles(options.runDir, origin);
  const launchKey = createSecret();
  const auth = createAuth({
    sessions,
    files,
    events,
    port: () => port,
    launchKey,
    indexHtml: () => readFile(join(options.assets.staticDir, 'index.html'), 'utf8'),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin());
    if (await auth.handle(req, res, url.pathname)) return;
    const blocked = checkRequestOrigin(req, port);
    if (blocked) return refuse(res, blocked.status, 'forbidden', blocked.message);
    if (url.pathname.startsWith('/api/')) {
      const session = auth.check(req);
      if (!session.ok) return refuse(res, 401, 'forbidden', auth.refusal(session));
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return refuse(res, 405, 'bad-request', 'The event stream is read with GET.');
        if (!events.attach(req, res, session.id)) {
          res.setHeader('Retry-After', '30');
          return refuse(res, 503, 'failed', 'Too many EEMS Watch pages are open on this server: close some tabs, then reload.');
        }
        return;
      }
      const api = /^\/api\/([A-Za-z]{1,64})$/.exec(url.pathname);
      if (api) return handleApiCall(req, res, api[1] ?? '', { service: options.service, limit });
      return refuse(res, 404, 'not-found', `No such API path: ${url.pathname.slice(0, 80)}.`);
    }
    // The page and its scripts are the public program; they hold no data and need no session.
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
  // Sign-in pages of codes that lapsed unused are removed once a minute.
  const sweep = setInterval(() => files.keepOnly(sessions.pendingCodes().map((c) => c.code)), 60_000);
  sweep.unref();
  return {
    url: `${origin()}/`,
    origin: origin(),
    port,
    launchKey,
    mintSignIn: () => auth.mintSignIn(),
    async close() {
      clearInterval(sweep);
      events.close();
      files.removeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
