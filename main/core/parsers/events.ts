/**
 * Application event log records of the mitigation service, from the two exports admins make:
 * `Get-WinEvent ... | ConvertTo-Json` (Windows PowerShell 5.1 or PowerShell 7) and
 * `wevtutil qe Application /f:xml` (one <Event> per record, no wrapping root).
 *
 * Provider "MSExchange Mitigation Service" and ID 1008 = Error are CONFIRMED (eems-domain.md §1).
 * 4999 Watson reports of provider "MSExchange Common" are kept too: diagnosis decides whether one
 * names the mitigation service. Records of other providers are left out (counted in `ignored`).
 * A record that cannot be read is counted in `skipped`, never thrown.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { EemsEvent, EventLevel } from '../model.js';
import { normaliseEventTime, normaliseIsoTime } from './iso-time.js';

/** What an event export parse returns. `errors` says why a whole input was refused. */
export interface EventParseResult {
  events: EemsEvent[];
  skipped: number;
  /** Records of unrelated providers, left out on purpose. */
  ignored?: number;
  errors?: string[];
}

export interface EventParseOptions {
  /** Refuse larger input (default 50 MB of text). */
  maxBytes?: number;
  /** Keep records of every provider (default: only the mitigation service and 4999 reports). */
  allProviders?: boolean;
}

export const MITIGATION_PROVIDER = 'MSExchange Mitigation Service';
export const COMMON_PROVIDER = 'MSExchange Common';
const DEFAULT_MAX = 50 * 1024 * 1024;

/** Is this a 4999 Watson (crash) report of MSExchange Common? (INFERRED: generic Exchange crash event.) */
export function isWatsonReport(event: Pick<EemsEvent, 'eventId' | 'provider'>): boolean {
  return event.eventId === 4999 && sameName(event.provider, COMMON_PROVIDER);
}

/** Is this record one EEMS Watch cares about (the mitigation service, or a 4999 report)? */
export function isEemsEvent(event: Pick<EemsEvent, 'eventId' | 'provider'>): boolean {
  return sameName(event.provider, MITIGATION_PROVIDER) || isWatsonReport(event);
}

/** Standard Windows levels: 1 Critical, 2 Error, 3 Warning, 4 Information, 5 Verbose; classic 0 = Information. */
const LEVEL_NUMBERS: Record<number, EventLevel> = { 0: 'Information', 1: 'Critical', 2: 'Error', 3: 'Warning', 4: 'Information', 5: 'Verbose' };

/** LevelDisplayName is localised by the exporting machine's UI culture. */
const LEVEL_NAMES: Record<string, EventLevel> = {
  critical: 'Critical', kritisch: 'Critical', critique: 'Critical', crítico: 'Critical', critico: 'Critical', 重大: 'Critical',
  error: 'Error', fehler: 'Error', erreur: 'Error', errore: 'Error', 'エラー': 'Error', fout: 'Error', błąd: 'Error',
  warning: 'Warning', warnung: 'Warning', avertissement: 'Warning', advertencia: 'Warning', avviso: 'Warning', '警告': 'Warning', waarschuwing: 'Warning', ostrzeżenie: 'Warning',
  information: 'Information', informationen: 'Information', información: 'Information', informazioni: 'Information', '情報': 'Information', informatie: 'Information', informacje: 'Information', informação: 'Information',
  verbose: 'Verbose', ausführlich: 'Verbose', commentaires: 'Verbose', detallado: 'Verbose', '詳細': 'Verbose',
};

/** Read a level from a number (or numeric text) or a display name in any of the known languages. */
export function readEventLevel(level: unknown, displayName?: unknown): EventLevel {
  const n = typeof level === 'number' ? level : typeof level === 'string' && /^\s*\d+\s*$/.test(level) ? Number(level) : NaN;
  if (Object.hasOwn(LEVEL_NUMBERS, n)) return LEVEL_NUMBERS[n]!;
  for (const name of [displayName, level]) {
    // Own keys only: a hostile export's "constructor" or "__proto__" must not find Object's members.
    const key = typeof name === 'string' ? name.trim().toLowerCase() : '';
    if (Object.hasOwn(LEVEL_NAMES, key)) return LEVEL_NAMES[key]!;
  }
  return 'Unknown';
}

/**
 * Parse `Get-WinEvent | ConvertTo-Json`: an array, a single object (one record), or the
 * `{ "value": [...], "Count": n }` wrapper of `ConvertTo-Json -InputObject`.
 */
export function parseGetWinEventJson(text: string, options: EventParseOptions = {}): EventParseResult {
  const refused = refuseLarge(text, options);
  if (refused) return refused;
  let json: unknown;
  try {
    json = JSON.parse(stripBom(text));
  } catch (error) {
    return { events: [], skipped: 1, errors: [`not valid JSON (${(error as Error).message}); export again with ConvertTo-Json.`] };
  }
  let records: unknown[];
  if (Array.isArray(json)) records = json;
  else if (isObject(json) && Array.isArray(json.value) && !('Id' in json)) records = json.value;
  else if (json === null) records = [];
  else records = [json];
  const result: EventParseResult = { events: [], skipped: 0, ignored: 0 };
  for (const record of records) {
    const event = isObject(record) ? readJsonRecord(record) : null;
    keep(result, event, options);
  }
  return result;
}

function readJsonRecord(r: Record<string, unknown>): EemsEvent | null {
  const eventId = toInt(r.Id ?? r.EventID ?? r.EventId ?? r.InstanceId);
  const time = normaliseEventTime(r.TimeCreated ?? r.TimeGenerated ?? r.TimeWritten);
  if (eventId === null || time === null) return null;
  const provider = text(r.ProviderName ?? r.Source ?? r.Provider) ?? '';
  const properties = Array.isArray(r.Properties) ? r.Properties.map((p) => (isObject(p) ? text(p.Value) : text(p)) ?? '') : undefined;
  const message = text(r.Message) ?? properties?.join('\n') ?? '';
  const event: EemsEvent = {
    recordId: toInt(r.RecordId ?? r.RecordID ?? r.EventRecordID ?? r.Index) ?? 0,
    eventId: eventId & 0xffff, // Get-EventLog's InstanceId carries the qualifiers in the high bits
    level: readEventLevel(r.Level ?? r.EntryType, r.LevelDisplayName),
    time,
    machine: text(r.MachineName ?? r.Computer) ?? '',
    provider,
    message,
  };
  if (properties) event.data = properties;
  return event;
}

/**
 * Parse `wevtutil qe ... /f:xml`: <Event> elements one after the other, with or without a root.
 * Each record is parsed on its own, so one broken record costs only itself. A DOCTYPE anywhere
 * refuses the whole input (no DTD, no entities).
 */
export function parseWevtutilXml(text: string, options: EventParseOptions = {}): EventParseResult {
  const refused = refuseLarge(text, options);
  if (refused) return refused;
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    return { events: [], skipped: countRecords(text) || 1, errors: ['the export holds a DOCTYPE or ENTITY declaration; refused (wevtutil never writes one).'] };
  }
  // Comments may mention "<Event>" (the sample's does); drop them before looking for records.
  text = text.replace(/<!--[\s\S]*?-->/g, '');
  const result: EventParseResult = { events: [], skipped: 0, ignored: 0 };
  const start = /<(?:[A-Za-z_][\w.-]*:)?Event[\s>/]/g;
  let m: RegExpExecArray | null;
  while ((m = start.exec(text)) !== null) {
    const endTag = findEventEnd(text, m.index);
    if (endTag === -1) {
      result.skipped += 1; // truncated last record
      break;
    }
    keep(result, readXmlRecord(text.slice(m.index, endTag)), options);
    start.lastIndex = endTag;
  }
  return result;
}

/** End (exclusive) of the <Event> starting at `from`: after its `</Event>`, or -1. */
function findEventEnd(text: string, from: number): number {
  const head = text.indexOf('>', from);
  if (head === -1) return -1;
  if (text.charCodeAt(head - 1) === 47) return head + 1; // <Event/>
  const m = /<\/(?:[A-Za-z_][\w.-]*:)?Event\s*>/g;
  m.lastIndex = head;
  const hit = m.exec(text);
  return hit ? hit.index + hit[0].length : -1;
}

function readXmlRecord(xml: string): EemsEvent | null {
  let failed = false;
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: (level: string) => { if (level !== 'warning') failed = true; } }).parseFromString(xml, 'text/xml');
  } catch {
    return null;
  }
  const root = doc.documentElement;
  if (failed || !root || root.localName !== 'Event') return null;
  const system = child(root, 'System');
  if (!system) return null;
  const eventId = toInt(textOf(child(system, 'EventID')));
  const time = normaliseIsoTime(child(system, 'TimeCreated')?.getAttribute('SystemTime') ?? '');
  if (eventId === null || time === null) return null;
  const rendering = child(root, 'RenderingInfo');
  const data = children(child(root, 'EventData'), 'Data').map((d) => textOf(d) ?? '');
  const rendered = textOf(child(rendering, 'Message'));
  const event: EemsEvent = {
    recordId: toInt(textOf(child(system, 'EventRecordID'))) ?? 0,
    eventId,
    level: readEventLevel(textOf(child(system, 'Level')), textOf(child(rendering, 'Level'))),
    time,
    machine: textOf(child(system, 'Computer')) ?? '',
    provider: child(system, 'Provider')?.getAttribute('Name') ?? '',
    message: rendered ?? data.join('\n'),
  };
  if (data.length > 0) event.data = data;
  return event;
}

/** Parse either export, told apart by the first character (`<` = wevtutil XML, else JSON). */
export function parseEventExport(
  text: string,
  options: EventParseOptions = {},
): EventParseResult & { format: 'getwinevent-json' | 'wevtutil-xml' } {
  const first = stripBom(text).trimStart().charAt(0);
  if (first === '<') return { ...parseWevtutilXml(text, options), format: 'wevtutil-xml' };
  return { ...parseGetWinEventJson(text, options), format: 'getwinevent-json' };
}

function keep(result: EventParseResult, event: EemsEvent | null, options: EventParseOptions): void {
  if (event === null) result.skipped += 1;
  else if (options.allProviders || isEemsEvent(event)) result.events.push(event);
  else result.ignored = (result.ignored ?? 0) + 1;
}

function refuseLarge(text: string, options: EventParseOptions): EventParseResult | null {
  const max = options.maxBytes ?? DEFAULT_MAX;
  if (text.length <= max) return null;
  return { events: [], skipped: 1, errors: [`the export is larger than ${Math.round(max / 1048576)} MB; export a shorter time range (Get-WinEvent -MaxEvents or a StartTime filter).`] };
}

function countRecords(text: string): number {
  return (text.match(/<Event[\s>]/g) ?? []).length;
}

function child(el: Element | null | undefined, localName: string): Element | null {
  if (!el) return null;
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === localName) return n as Element;
  }
  return null;
}

function children(el: Element | null, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = el?.firstChild ?? null; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === localName) out.push(n as Element);
  }
  return out;
}

function textOf(el: Element | null): string | null {
  return el ? (el.textContent ?? '') : null;
}

function toInt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.toLowerCase();
}
