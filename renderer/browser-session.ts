/**
 * The browser side of a headless session (main/headless/session-store.ts says why it has two
 * parts): the HttpOnly cookie travels by itself, and the header key the server put in the signed-in
 * page is kept in this origin's storage and sent with every call. Other local web servers get the
 * cookie (browsers share 127.0.0.1 cookies across ports) but can never read this origin's storage.
 */

/** The request header of the key (security.ts SESSION_HEADER). */
export const SESSION_HEADER = 'X-Eems-Session';
const STORAGE_KEY = 'eems-session-key';

/** The key the server put in this page, if any; it moves into storage and out of the page. */
export function adoptSessionKey(): void {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="eems-session-key"]');
  if (meta) {
    localStorage.setItem(STORAGE_KEY, meta.content);
    meta.remove();
    // The sign-in was a form POST: replacing the entry lets a reload GET the page instead of
    // posting the used code again.
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
}

/** Why the last sign-in failed, if the server said so in this page. */
export function signInErrorOfPage(): string | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="eems-sign-in-error"]');
  if (!meta) return null;
  meta.remove();
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  return meta.content;
}

/** The headers that prove this page's session. */
export function sessionHeaders(): Record<string, string> {
  const key = localStorage.getItem(STORAGE_KEY);
  return key ? { [SESSION_HEADER]: key } : {};
}

/** Trade a one-time code for a session; null on success, else the server's sentence. */
export async function signInWithCode(code: string): Promise<string | null> {
  try {
    const response = await fetch('/auth/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }), credentials: 'same-origin' });
    const result = (await response.json()) as { ok: boolean; value?: { key: string }; error?: { message: string } };
    if (!result.ok || !result.value) return result.error?.message ?? 'The sign-in was refused. Run `eems-watch serve` again for a new code.';
    localStorage.setItem(STORAGE_KEY, result.value.key);
    return null;
  } catch {
    return 'The EEMS Watch server does not answer. Is `eems-watch serve` still running?';
  }
}

/** End the session on the server and forget the key here. */
export async function signOut(): Promise<void> {
  try {
    await fetch('/auth/sign-out', { method: 'POST', headers: sessionHeaders(), credentials: 'same-origin' });
  } finally {
    localStorage.removeItem(STORAGE_KEY);
  }
}

/** When the session ends if nothing else is called (ISO 8601), or null when not signed in. */
export async function sessionEnd(): Promise<string | null> {
  try {
    const response = await fetch('/auth/session', { method: 'POST', headers: sessionHeaders(), credentials: 'same-origin' });
    const result = (await response.json()) as { ok: boolean; value?: { expiresAt: string } };
    return result.ok && result.value ? result.value.expiresAt : null;
  } catch {
    return null;
  }
}
