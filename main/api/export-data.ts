/**
 * Exports of the Servers view and of the timeline as CSV (RFC 4180 quoting) and JSON. CSV cells
 * that a spreadsheet would run as a formula (=, +, -, @, a leading tab or CR; a plain number is
 * left alone) are prefixed with an apostrophe: log and event text comes from servers, not from us.
 * Cells holding ';' are quoted, for spreadsheets that split on ';' (locales with a decimal comma).
 */
import type { AlertList, ExportFile, Overview } from './eems-api.js';

/** One CSV cell, quoted when it must be. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join('; ') : String(value);
  // OWASP CSV injection: any cell starting with = + - @ TAB or CR (after leading blanks, which some
  // spreadsheets skip) is defused, except a plain number ("-1.5"), which no spreadsheet runs.
  // "-2+3+cmd|..." starts like a number but is a formula: only the whole text decides.
  // A leading control character (NUL, ESC, LF...) is defused too (issue 14.10).
  // eslint-disable-next-line no-control-regex -- control characters are what this matches
  if ((/^\s*[=+\-@\t\r]/.test(text) || /^[\u0000-\u001F\u007F]/.test(text)) && !/^[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(text)) text = `'${text}`;
  // ';' is quoted as well: spreadsheets in locales with a decimal comma split CSV on ';'.
  return /[",;\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text with CRLF line ends (what Excel and RFC 4180 expect). */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const SERVER_COLUMNS = [
  'server', 'fqdn', 'build', 'build_version', 'build_source', 'org_mitigations_enabled', 'server_mitigations_enabled', 'eems',
  'service_status', 'service_start_type', 'last_cycle', 'collected_at', 'status', 'error', 'last_fetch_error', 'mitigation', 'family',
  'verdict', 'removable', 'fixed_in', 'artefacts', 'protects_against', 'user_impact', 'reason',
];

function serverRows(overview: Overview): unknown[][] {
  const rows: unknown[][] = [];
  for (const s of overview.servers) {
    const head = [
      s.name, s.fqdn, s.build.short, s.build.version, s.build.source, overview.organization.MitigationsEnabled, s.mitigationsEnabled, s.effective,
      s.service?.Status, s.service?.StartType, s.lastCycleAt, s.collectedAt, s.status, s.error, s.lastFetchError?.diagnosis?.title ?? s.lastFetchError?.message,
    ];
    if (s.mitigations.length === 0) rows.push([...head, '', '', '', '', '', '', '', '', '']);
    for (const m of s.mitigations) {
      rows.push([...head, m.id, m.family, m.verdict, m.removable, m.fixedIn, m.artefacts, m.protectsAgainst, m.userImpact, m.reason]);
    }
  }
  return rows;
}

const TIMELINE_COLUMNS = ['time', 'type', 'id', 'kind', 'severity', 'server', 'mitigation', 'title', 'body', 'state', 'snoozed_until', 'diagnosis', 'ok'];

function timelineRows(list: AlertList): unknown[][] {
  const rows: unknown[][] = [
    ...list.alerts.map((a) => [a.time, 'alert', a.id, a.kind, a.severity, a.server, a.mitigation, a.title, a.body, a.acked ? 'acknowledged' : a.snoozedUntil ? 'snoozed' : 'open', a.snoozedUntil, a.diagnosis?.code, '']),
    ...list.actions.map((a) => [a.time, 'action', a.id, 'action', '', a.server, a.mitigation, a.title, a.message, '', '', '', a.ok]),
  ];
  return rows.sort((a, b) => String(b[0]).localeCompare(String(a[0])));
}

function stamp(iso: string): string {
  return iso.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
}

/** The servers view as a file. */
export function exportServers(overview: Overview, format: 'csv' | 'json'): ExportFile {
  const base = `eems-watch-servers-${stamp(overview.generatedAt)}`;
  if (format === 'json') {
    const doc = { generatedAt: overview.generatedAt, collectedAt: overview.collectedAt, organization: overview.organization, servers: overview.servers };
    return { filename: `${base}.json`, mime: 'application/json', content: `${JSON.stringify(doc, null, 2)}\n` };
  }
  return { filename: `${base}.csv`, mime: 'text/csv', content: toCsv(SERVER_COLUMNS, serverRows(overview)) };
}

/** The timeline (alerts and actions) as a file. */
export function exportTimeline(list: AlertList, generatedAt: string, format: 'csv' | 'json'): ExportFile {
  const base = `eems-watch-timeline-${stamp(generatedAt)}`;
  if (format === 'json') {
    return { filename: `${base}.json`, mime: 'application/json', content: `${JSON.stringify({ generatedAt, alerts: list.alerts, actions: list.actions }, null, 2)}\n` };
  }
  return { filename: `${base}.csv`, mime: 'text/csv', content: toCsv(TIMELINE_COLUMNS, timelineRows(list)) };
}
