/**
 * Signing in and out of the headless server (session-store.ts holds the sessions):
 * - `POST /` with a form field `code`: the private sign-in page posting its one-time code; the
 *   answer is the app page carrying the session key (sign-in-page.ts), plus the session cookie;
 * - `POST /auth/sign-in` with JSON `{code}`: the sign-in panel of the page, for a code typed in;
 * - `POST /auth/sign-out`: the session ends now, its event streams close, the cookie is removed;
 * - `POST /auth/session`: when the session ends if nothing else is called;
 * - `POST /auth/new-sign-in`: a second `eems-watch serve` on the same data folder asks the
 *   running server for a fresh sign-in, proving with the launch key of the private lock file
 *   that it runs as the same user.
 * No answer here is ever a redirect: there is no address to send a browser elsewhere with.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStream } from './event-stream.js';
import { mediaType, readBody, refuse, sendHtml, sendJson } from './http-replies.js';
import { LAUNCH_KEY_HEADER, SESSION_HEADER, checkRequestOrigin, clearSessionCookieHeader, readCookie, secretsMatch, sessionCookieHeader, sessionCookieName } from './security.js';
import type { IssuedSession, RedeemResult, SessionCheck, SessionStore } from './session-store.js';
import { pageWithSessionKey, pageWithSignInError, type SignInFile, type SignInFiles } from './sign-in-page.js';

/** A one-time sign-in: the code, when it lapses, and the private page that posts it. */
export interface SignInGrant {
  code: string;
  /** ISO 8601. */
  expiresAt: string;
  file: SignInFile;
}

export interface AuthDeps {
  sessions: SessionStore;
  files: SignInFiles;
  events: EventStream;
  port: () => number;
  launchKey: string;
  /** The app page (index.html) as served. */
  indexHtml: () => Promise<string>;
}

export interface Auth {
  mintSignIn(): SignInGrant;
  /** Check a request's cookie and header key. */
  check(req: IncomingMessage): SessionCheck;
  /** The sentence for a refused session. */
  refusal(check: Exclude<SessionCheck, { ok: true }>): string;
  /** Answer the request if it is one of the sign-in routes; false when it is not. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
}

const AGAIN = 'Run `eems-watch serve` (or `npm start`) again on this machine: it prints a new one-time sign-in for the running server.';
const MAX_SIGN_IN_BODY = 4096;

/** 90 -> "90 minutes", 120 -> "2 hours", 60 -> "1 hour". */
function duration(minutes: number): string {
  if (minutes % 60 !== 0) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = minutes / 60;
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** The sign-in routes over a session store. */
export function createAuth(deps: AuthDeps): Auth {
  const { sessions } = deps;
  const minutes = sessions.policy.signInMinutes;

  const redeemMessage = (result: Exclude<RedeemResult, { ok: true }>): string =>
    result.reason === 'used'
      ? `This sign-in code was already used: each code signs in one browser, once. ${AGAIN}`
      : result.reason === 'expired'
        ? `This sign-in code has expired (a code lasts ${minutes} minutes). ${AGAIN}`
        : `This sign-in code is not one this server made. ${AGAIN}`;

  // The cookie may outlive the session: the server decides when a session ends, not the browser.
  const cookieFor = (session: IssuedSession): string => sessionCookieHeader(deps.port(), session.cookie, sessions.policy.maxHours * 3600);

  const redeem = (code: string): RedeemResult => {
    const result = sessions.redeem(code);
    deps.files.remove(code);
    return result;
  };

  async function signInForm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_SIGN_IN_BODY);
    const code = body === null ? '' : (new URLSearchParams(body.toString('utf8')).get('code') ?? '');
    const result = redeem(code);
    if (!result.ok) return sendHtml(res, 401, pageWithSignInError(await deps.indexHtml(), redeemMessage(result)));
    sendHtml(res, 200, pageWithSessionKey(await deps.indexHtml(), result.session.key), { 'Set-Cookie': cookieFor(result.session) });
  }

  async function signInJson(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_SIGN_IN_BODY);
    let code = '';
    try {
      const parsed = JSON.parse(body?.toString('utf8') ?? '') as { code?: unknown };
      if (typeof parsed.code === 'string') code = parsed.code.trim();
    } catch {
      // An unreadable body is a missing code.
    }
    if (code === '') return refuse(res, 400, 'bad-request', `Paste the sign-in code that eems-watch serve printed. ${AGAIN}`);
    const result = redeem(code);
    if (!result.ok) return refuse(res, 401, 'forbidden', redeemMessage(result));
    sendJson(res, 200, { ok: true, value: { key: result.session.key, expiresAt: new Date(result.session.expiresAt).toISOString() } }, { 'Set-Cookie': cookieFor(result.session) });
  }

  const auth: Auth = {
    mintSignIn() {
      deps.files.keepOnly(sessions.pendingCodes().map((c) => c.code));
      const code = sessions.mintSignIn();
      return { code: code.code, expiresAt: new Date(code.expiresAt).toISOString(), file: deps.files.write(code.code) };
    },
    check(req) {
      const key = req.headers[SESSION_HEADER];
      return sessions.check(readCookie(req, sessionCookieName(deps.port())), typeof key === 'string' ? key : null);
    },
    refusal(check) {
      if (check.reason === 'expired') {
        return `Your session has ended (after ${duration(sessions.policy.idleMinutes)} without use, or ${duration(sessions.policy.maxHours * 60)} after signing in). Sign in again. ${AGAIN}`;
      }
      if (check.reason === 'invalid') return `This browser's session is not valid any more (you signed out, or the server was restarted). Sign in again. ${AGAIN}`;
      return `Not signed in. Open the sign-in page that eems-watch serve printed, or enter its code. ${AGAIN}`;
    },
    async handle(req, res, pathname) {
      const post = req.method === 'POST';
      if (post && pathname === '/' && mediaType(req) === 'application/x-www-form-urlencoded') {
        const blocked = checkRequestOrigin(req, deps.port(), 'sign-in-form');
        if (blocked) refuse(res, blocked.status, 'forbidden', blocked.message);
        else await signInForm(req, res);
        return true;
      }
      if (!pathname.startsWith('/auth/')) return false;
      const kind = pathname === '/auth/new-sign-in' ? 'local-tool' : 'page';
      const blocked = checkRequestOrigin(req, deps.port(), kind);
      if (blocked) refuse(res, blocked.status, 'forbidden', blocked.message);
      else if (!post) refuse(res, 405, 'bad-request', 'Sign-in addresses are called with POST.');
      else if (pathname === '/auth/sign-in') await signInJson(req, res);
      else if (pathname === '/auth/sign-out') {
        const found = auth.check(req);
        if (found.ok) {
          sessions.end(found.id);
          deps.events.dropTagged(found.id);
        }
        sendJson(res, 200, { ok: true, value: { signedOut: true } }, { 'Set-Cookie': clearSessionCookieHeader(deps.port()) });
      } else if (pathname === '/auth/session') {
        const found = auth.check(req);
        const info = found.ok ? sessions.describe(found.id) : null;
        if (!found.ok || !info) refuse(res, 401, 'forbidden', auth.refusal(found.ok ? { ok: false, reason: 'expired' } : found));
        else sendJson(res, 200, { ok: true, value: { signedInAt: new Date(info.createdAt).toISOString(), expiresAt: new Date(info.expiresAt).toISOString(), idleMinutes: info.idleMinutes, maxHours: info.maxHours } });
      } else if (pathname === '/auth/new-sign-in') {
        const given = req.headers[LAUNCH_KEY_HEADER];
        if (!secretsMatch(typeof given === 'string' ? given : null, deps.launchKey)) refuse(res, 403, 'forbidden', 'The launch key is not this server\'s.');
        else {
          const grant = auth.mintSignIn();
          sendJson(res, 200, { ok: true, value: { ...grant, pid: process.pid } });
        }
      } else refuse(res, 404, 'not-found', `No such sign-in address: ${pathname.slice(0, 80)}.`);
      return true;
    },
  };
  return auth;
}
