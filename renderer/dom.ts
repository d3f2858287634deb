/**
 * Small DOM helpers: an `html` tagged template that escapes every interpolated value (so text
 * from servers, logs or alerts can never become markup), and the age of a figure in words.
 */

/** Markup that is already safe (built by `html`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  return escapeHtml(String(value));
}

/** Build markup; interpolations are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += renderValue(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/**
 * A link target that is safe to put in href: http(s) only. Escaping keeps a value inside its
 * attribute, but a `javascript:` or `data:` URL would still run or load on click.
 */
export function safeHref(url: string): string {
  return /^https?:\/\/[^\s]+$/i.test(url.trim()) ? url.trim() : '#';
}

/** Replace an element's content with markup built by `html`. */
export function setHtml(element: Element, markup: SafeHtml): void {
  element.innerHTML = markup.value;
}

/** The element with this id, or an error naming it (the page is static: a missing id is a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

let clockOffsetMs = 0;

/** Align ages with the engine's clock (a lab runs on its own time): call with each generatedAt. */
export function setServerNow(iso: string): void {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) clockOffsetMs = t - Date.now();
}

/** The engine's "now" as the page estimates it. */
export function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

/** "just now", "4 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function formatAge(iso: string | null, nowMs: number = serverNow()): string {
  if (!iso) return 'never';
  const ms = nowMs - Date.parse(iso);
  if (Number.isNaN(ms)) return 'unknown';
  if (ms < 0) return 'in the future';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A <time> whose text is the figure's age; refreshed in place by refreshAges(). */
export function age(iso: string | null): SafeHtml {
  if (!iso) return html`<span class="age">never</span>`;
  return html`<time class="age" datetime="${iso}" title="${iso}">${formatAge(iso)}</time>`;
}

/** Refresh every age shown under root (cheap: text only). */
export function refreshAges(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>('time.age')) el.textContent = formatAge(el.dateTime);
}

/** A readable UTC time, "2026-11-27 10:00 UTC". */
export function formatTime(iso: string | null): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * "1 step", "3 steps": a count with its noun in the right number. The renderer's copy of
 * main/core/plural.ts countOf (the renderer imports nothing but types from main/).
 */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
