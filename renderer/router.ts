/**
 * The URL hash as a route: `#servers`, `#heartbeat`, `#alert=<id>` (the Alerts view, that alert
 * open), `#server=<name>` (one server's page), `#<view>=<section>` (a view scrolled to one of its
 * sections, e.g. `#diagnostics=organization`). Pure: the shell applies what it returns, so any
 * view can be reloaded or deep-linked.
 */

/** A route: which view, and what follows "=" (decoded), if anything. */
export interface Route {
  view: string;
  param: string | null;
}

/** Hash prefixes that name another view than themselves. */
const ALIASES: Record<string, string> = { alert: 'alerts' };

/** Read a location hash ("#server=EX03"); an unknown view falls back to `fallback`. */
export function parseRoute(hash: string, known: readonly string[], fallback: string): Route {
  let text = hash.replace(/^#/, '');
  try {
    text = decodeURIComponent(text);
  } catch {
    // A malformed escape (a hand-edited link): read it as typed rather than fail the page.
  }
  const at = text.indexOf('=');
  const name = (at >= 0 ? text.slice(0, at) : text).trim().toLowerCase();
  const param = at >= 0 ? text.slice(at + 1) : null;
  const view = ALIASES[name] ?? name;
  if (!known.includes(view)) return { view: fallback, param: null };
  return { view, param: param === '' ? null : param };
}

/** The hash for a route (what links and the shell write). */
export function routeHash(view: string, param: string | null = null): string {
  const prefix = view === 'alerts' && param !== null ? 'alert' : view;
  return param === null ? `#${prefix}` : `#${prefix}=${encodeURIComponent(param)}`;
}
