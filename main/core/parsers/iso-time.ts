/**
 * Time stamps as Exchange and PowerShell write them, normalised to ISO 8601 UTC
 * ("2026-06-10T08:50:01.612Z", the form of Date.prototype.toISOString).
 */

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
// Date, 'T' or a space, time, optional fraction of any length, optional zone (Z or +hh:mm / +hhmm).
const ISO_LIKE = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;
const MS_JSON_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * Normalise a time stamp to ISO 8601 UTC, or null when it cannot be read.
 * A stamp without a zone is taken as UTC: Exchange writes its logs in UTC (the sample header says
 * `#Date: ...Z`). INFERRED for the Mitigation Service log: if a server ever writes local time, the
 * hours reported would shift by its offset.
 */
export function normaliseIsoTime(text: string): string | null {
  // Fast path: already canonical (every line of a real log), only check that the fields make sense.
  // Checked with charCodeAt: Date.parse on every line of a 200 MB log costs more than the rest.
  if (text.length === 24 && text.charCodeAt(23) === 90 /* Z */ && CANONICAL.test(text)) {
    return isValidCanonical(text) ? text : null;
  }
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const ms = `${frac}000`.slice(0, 3);
  const z = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const parsed = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${z}`);
  if (Number.isNaN(parsed)) return null;
  // Date.UTC rolls 2026-02-31 over to March: refuse it rather than move the day silently.
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return null;
  return new Date(parsed).toISOString();
}

function two(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

/** Field ranges of a canonical stamp whose shape CANONICAL already checked. */
function isValidCanonical(text: string): boolean {
  const month = two(text, 5);
  const day = two(text, 8);
  if (month < 1 || month > 12 || day < 1 || two(text, 11) > 23 || two(text, 14) > 59 || two(text, 17) > 59) return false;
  if (day <= 28) return true;
  const year = two(text, 0) * 100 + two(text, 2);
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Read the time forms of Get-WinEvent | ConvertTo-Json: Windows PowerShell 5.1 writes
 * "\/Date(1781078400000)\/" (the backslashes vanish in JSON.parse), PowerShell 7 an ISO string
 * with an offset. Returns ISO 8601 UTC or null.
 */
export function normaliseEventTime(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return safeIso(value);
  if (typeof value !== 'string') {
    // ConvertTo-Json -Depth on a DateTime can give { value: "\/Date(..)\/", DateTime: "..." }.
    if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      return normaliseEventTime(o.value ?? o.DateTime ?? null);
    }
    return null;
  }
  const ms = MS_JSON_DATE.exec(value.trim());
  if (ms) return safeIso(Number(ms[1]));
  return normaliseIsoTime(value);
}

function safeIso(ms: number): string | null {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
