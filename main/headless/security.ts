/**
 * The headless server's gatekeeping: from where it may be called (Host and Origin of this loopback
 * server only: no DNS rebinding, no cross-site calls), the names of the session's cookie and header
 * (session-store.ts says who is signed in), and the response headers every answer carries (a strict
 * CSP, no sniffing, no referrer).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'eems_session';

/** The Content-Security-Policy of every response: no inline script or style, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers every response carries, whatever it is. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** A fresh secret: 32 random bytes, URL-safe. */
export function createSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Compare two secrets in constant time (a length mismatch is simply false). */
export function secretsMatch(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The origins this server answers for: its own port on 127.0.0.1 and localhost. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Where a request may come from:
 * - `page`: this server's own page only (Origin, when sent, is this server; Sec-Fetch-Site is not
 *   cross-site or same-site);
 * - `sign-in-form`: the private sign-in file posting its code (a file: page has the opaque Origin
 *   "null" and counts as cross-site); the one-time code is what authenticates it;
 * - `local-tool`: a program on this machine (a second `eems-watch serve`), never a browser: no Origin
 *   and no Sec-Fetch headers at all; the launch key from the private lock file authenticates it.
 */
export type RequestKind = 'page' | 'sign-in-form' | 'local-tool';

/** Why a request is refused before it reaches any handler, or null when it may proceed. */
export function checkRequestOrigin(req: IncomingMessage, port: number, kind: RequestKind = 'page'): { status: number; message: string } | null {
  const hosts = allowedHosts(port);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) {
    return { status: 403, message: 'This server answers only to 127.0.0.1 and localhost on its own port. Open the address that eems-watch serve printed.' };
  }
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (kind === 'local-tool') {
    if (origin !== undefined || site !== undefined) return { status: 403, message: 'This address is for the eems-watch command on this machine, not for a web page.' };
    return null;
  }
  const ownOrigin = origin === undefined || hosts.map((h) => `http://${h}`).includes(origin.toLowerCase());
  if (!ownOrigin && !(kind === 'sign-in-form' && origin === 'null')) {
    return { status: 403, message: 'Requests from another web site are refused. Open the address that eems-watch serve printed.' };
  }
  if (kind === 'page' && (site === 'cross-site' || site === 'same-site')) {
    return { status: 403, message: 'Requests from another web site are refused.' };
  }
  return null;
}

/** The request header that carries the page's session key (no other site can make a browser send it). */
export const SESSION_HEADER = 'x-eems-session';
/** The request header of a local `eems-watch serve` asking the running server for a new sign-in. */
export const LAUNCH_KEY_HEADER = 'x-eems-launch-key';

/**
 * The session cookie's name. Cookies for 127.0.0.1 are shared by every port, so the name carries
 * the port: two servers (a demo and a lab, say) do not overwrite each other's sign-in.
 */
export function sessionCookieName(port: number): string {
  return `${SESSION_COOKIE}_${port}`;
}

/** A cookie's value from a request, or null. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** The Set-Cookie header that carries the session: not readable by script, never sent cross-site. */
export function sessionCookieHeader(port: number, value: string, maxAgeSeconds: number): string {
  return `${sessionCookieName(port)}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

/** The Set-Cookie header that removes the session cookie (sign-out). */
export function clearSessionCookieHeader(port: number): string {
  return `${sessionCookieName(port)}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
