/**
 * The headless server's gatekeeping: who may talk to it (a random token, then a cookie), from
 * where (Host and Origin of this loopback server only: no DNS rebinding, no cross-site calls),
 * and the response headers every answer carries (a strict CSP, no sniffing, no referrer).
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

/** Why a request is refused before it reaches any handler, or null when it may proceed. */
export function checkRequestOrigin(req: IncomingMessage, port: number): { status: number; message: string } | null {
  const hosts = allowedHosts(port);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) {
    return { status: 403, message: 'This server answers only to 127.0.0.1 and localhost on its own port. Open the URL that eems-watch serve printed.' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.map((h) => `http://${h}`).includes(origin.toLowerCase())) {
    return { status: 403, message: 'Requests from another web site are refused. Open the URL that eems-watch serve printed.' };
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    return { status: 403, message: 'Requests from another web site are refused.' };
  }
  return null;
}

/** The session cookie's value from a request, or null. */
export function readSessionCookie(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return null;
}

/** The Set-Cookie header that carries the session: not readable by script, never sent cross-site. */
export function sessionCookieHeader(session: string): string {
  return `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;
}
