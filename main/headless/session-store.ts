/**
 * Who is signed in to the headless server. A browser signs in once with a one-time sign-in code
 * (short-lived, single use) and gets two secrets: an HttpOnly cookie and a key the page keeps in
 * its own origin's storage and sends as a request header. Both are needed for every call.
 *
 * Why two: browsers send cookies for 127.0.0.1 to every port, so any other local web server the
 * admin visits receives the cookie; it never receives the header key, which only script of this
 * origin (scheme, host and port) can read. The key alone is useless too: it is not a cookie, so a
 * script that steals it cannot replay it without the HttpOnly cookie.
 *
 * Time comes from `now` (tests pass their own clock); sessions end after a time without use and
 * after a maximum age, and on sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { secretsMatch } from './security.js';

/** How long codes and sessions live. */
export interface SessionPolicy {
  /** A sign-in code is redeemable this long after it was made. */
  signInMinutes: number;
  /** A session ends after this long without a call. */
  idleMinutes: number;
  /** A session ends this long after sign-in, used or not. */
  maxHours: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { signInMinutes: 10, idleMinutes: 120, maxHours: 24 };

/** Sign-in codes waiting at once: each start or refused second start makes one. */
const MAX_PENDING_CODES = 8;
/** Codes remembered after use, so a replay is told "already used" rather than "unknown". */
const MAX_USED_CODES = 64;
/** Browsers signed in at once (one per browser profile the admin uses; more is a flood). */
const MAX_SESSIONS = 32;

export interface SignInCode {
  code: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** What a successful sign-in hands the browser. */
export interface IssuedSession {
  id: string;
  /** The cookie's value. */
  cookie: string;
  /** The header key the page keeps. */
  key: string;
  expiresAt: number;
}

export interface SessionInfo {
  createdAt: number;
  /** The earlier of the idle and the maximum end, if nothing else is called. */
  expiresAt: number;
  idleMinutes: number;
  maxHours: number;
}

export type SessionCheck = { ok: true; id: string } | { ok: false; reason: 'missing' | 'expired' | 'invalid' };
export type RedeemResult = { ok: true; session: IssuedSession } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export interface SessionStore {
  readonly policy: SessionPolicy;
  /** A fresh one-time sign-in code. */
  mintSignIn(): SignInCode;
  /** Trade a code for a session; a code works once, within its lifetime. */
  redeem(code: string): RedeemResult;
  /** Check a request's cookie value and header key; a good check counts as use. */
  check(cookie: string | null, key: string | null): SessionCheck;
  /** Is the session still open (no use counted)? */
  isOpen(id: string): boolean;
  describe(id: string): SessionInfo | null;
  /** Sign out: the session ends now. */
  end(id: string): void;
  /** Codes made and not used yet (for removing their sign-in files when they lapse). */
  pendingCodes(): SignInCode[];
}

interface Session {
  id: string;
  cookieSecret: string;
  key: string;
  createdAt: number;
  lastUsedAt: number;
}

const secret = (): string => randomBytes(32).toString('base64url');
const digest = (code: string): string => createHash('sha256').update(code).digest('base64url');

/** Create the store (one per server). */
export function createSessionStore(options: { now?: () => number; policy?: Partial<SessionPolicy> } = {}): SessionStore {
  const now = options.now ?? Date.now;
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...options.policy };
  // Codes are kept by their hash: a memory dump or a log line of this map holds no usable code.
  const pending = new Map<string, SignInCode>();
  const used = new Set<string>();
  const sessions = new Map<string, Session>();

  const endsAt = (s: Session): number => Math.min(s.lastUsedAt + policy.idleMinutes * 60_000, s.createdAt + policy.maxHours * 3_600_000);
  const live = (s: Session | undefined): s is Session => s !== undefined && now() < endsAt(s);
  const remember = (hash: string): void => {
    used.add(hash);
    if (used.size > MAX_USED_CODES) used.delete(used.values().next().value as string);
  };
  // Lapsed codes stay (bounded by count) so that redeeming one says "expired", not "unknown".
  const pruneSessions = (): void => {
    for (const [id, s] of sessions) if (!live(s)) sessions.delete(id);
  };

  return {
    policy,
    mintSignIn() {
      const code: SignInCode = { code: secret(), expiresAt: now() + policy.signInMinutes * 60_000 };
      pending.set(digest(code.code), code);
      if (pending.size > MAX_PENDING_CODES) pending.delete(pending.keys().next().value as string);
      return { ...code };
    },
    redeem(code) {
      const hash = digest(code);
      const found = pending.get(hash);
      if (!found) return { ok: false, reason: used.has(hash) ? 'used' : 'unknown' };
      pending.delete(hash);
      remember(hash);
      if (now() >= found.expiresAt) return { ok: false, reason: 'expired' };
      pruneSessions();
      if (sessions.size >= MAX_SESSIONS) {
        const oldest = [...sessions.values()].sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
        if (oldest) sessions.delete(oldest.id);
      }
      const session: Session = { id: randomBytes(12).toString('base64url'), cookieSecret: secret(), key: secret(), createdAt: now(), lastUsedAt: now() };
      sessions.set(session.id, session);
      return { ok: true, session: { id: session.id, cookie: `${session.id}.${session.cookieSecret}`, key: session.key, expiresAt: endsAt(session) } };
    },
    check(cookie, key) {
      if (!cookie || !key) return { ok: false, reason: 'missing' };
      const [id = '', cookieSecret = ''] = cookie.split('.');
      const session = sessions.get(id);
      if (!session || !secretsMatch(cookieSecret, session.cookieSecret) || !secretsMatch(key, session.key)) return { ok: false, reason: 'invalid' };
      if (!live(session)) {
        sessions.delete(id);
        return { ok: false, reason: 'expired' };
      }
      session.lastUsedAt = now();
      return { ok: true, id };
    },
    isOpen: (id) => live(sessions.get(id)),
    describe(id) {
      const s = sessions.get(id);
      if (!live(s)) return null;
      return { createdAt: s.createdAt, expiresAt: endsAt(s), idleMinutes: policy.idleMinutes, maxHours: policy.maxHours };
    },
    end(id) {
      sessions.delete(id);
    },
    pendingCodes() {
      return [...pending.values()].filter((c) => now() < c.expiresAt).map((c) => ({ ...c }));
    },
  };
}
