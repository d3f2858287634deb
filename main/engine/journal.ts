/**
 * The journal: an append-only JSON-lines file of alerts and actions, the one history of EEMS Watch.
 * Each append is written and fsync'd before it resolves (an alert is on disk before anyone is
 * notified of it). Files rotate by size (journal.jsonl, journal.1.jsonl, ... keep N); reading spans
 * them. Updates, resolutions, acks, snoozes and "notified" marks are records too, folded when
 * reading. Every line is checked against the record schema: a torn last line (a crash mid-write)
 * or a line that is JSON but no record is skipped and named, never fatal. Files are 0600 in a
 * 0700 folder: the journal says which servers are exposed.
 */
import { chmodSync, closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert, AlertKind, Severity } from '../core/model.js';
import { type FoldedAlert, type JournalFold, emptyFold, foldRecord } from './journal-fold.js';
import { type JournalRecord, type SkippedLine, parseJournalLine } from './journal-records.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './json-file.js';

export type { JournalAction, JournalRecord, SkippedLine } from './journal-records.js';

/** Filters of read() and alerts(). */
export interface JournalFilter {
  server?: string;
  kind?: AlertKind | string;
  severity?: Severity;
  /** ISO time: only records at or after it (alerts: raised at or after it). */
  since?: string;
  /** Only the last N matching records. */
  limit?: number;
  types?: JournalRecord['type'][];
}

/** An alert with what happened to it and what the admin did about it (the folded view). */
export interface AlertView extends Alert {
  acked: boolean;
  ackedAt: string | null;
  ackedBy: string | null;
  snoozedUntil: string | null;
  notified: boolean;
  /** When the journal first recorded it. */
  raisedAt: string;
  /** When it left the open list, and why ("cleared", "expired", "replaced"), per the journal. */
  resolvedAt: string | null;
  resolvedReason: string | null;
  /** The last time the rules saw its condition, as of its resolution. */
  resolvedLastSeenAt: string | null;
}

/** The journal API (helper G). */
export interface Journal {
  /** Append one record; resolves once it is fsync'd. */
  append(record: JournalRecord): Promise<void>;
  /** Append several records with one write and one fsync. */
  appendMany(records: JournalRecord[]): Promise<void>;
  /** The timeline, oldest first (with limit: the newest N, still oldest first). */
  read(filter?: JournalFilter): Promise<JournalRecord[]>;
  /** Alerts folded with their updates, resolutions, acks, snoozes and notified marks, newest first. */
  alerts(filter?: JournalFilter): Promise<AlertView[]>;
  ack(alertId: string, by?: string): Promise<void>;
  /** Take an acknowledgement back: notifications of the alert are no longer held. */
  unack(alertId: string, by?: string): Promise<void>;
  snooze(alertId: string, until: string): Promise<void>;
  unsnooze(alertId: string): Promise<void>;
  /** Is this alert id already in the journal (the replay guard)? */
  hasAlert(alertId: string): Promise<boolean>;
  /** Alerts with no "notified" record yet (a crash between journal and notification). */
  unnotified(): Promise<Alert[]>;
  /** Acked ids and snooze ends, for notification decisions. */
  mutes(): Promise<{ acked: Set<string>; snoozedUntil: Map<string, string> }>;
  /** Lines skipped as unreadable since open (a torn last line after a crash counts here). */
  readonly skippedLines: number;
  /** Where they are and why (the newest 50), for the log and the UI. */
  readonly skipped: readonly SkippedLine[];
}

export interface JournalOptions {
  dir: string;
  /** Rotate when the current file passes this size (default 5 MB). */
  maxBytes?: number;
  /** Files kept, the current one included (default 5). */
  keepFiles?: number;
  /** Called once per unusable line found, with where it was and why. */
  onSkip?: (file: string, line: number, reason: string) => void;
  now?: () => Date;
}

const SKIPPED_KEPT = 50;

function toView(f: JournalFold, item: FoldedAlert): AlertView {
  const id = item.alert.id;
  const ack = f.acked.get(id) ?? null;
  return {
    ...item.alert,
    acked: ack !== null,
    ackedAt: ack?.at ?? null,
    ackedBy: ack?.by ?? null,
    snoozedUntil: f.snoozed.get(id) ?? null,
    notified: f.notified.has(id),
    raisedAt: item.raisedAt,
    resolvedAt: item.resolved?.at ?? null,
    resolvedReason: item.resolved?.reason ?? null,
    resolvedLastSeenAt: item.resolved?.lastSeenAt ?? null,
  };
}

/** Create a journal in `dir` (made on first use, 0700). */
export function createJournal(options: JournalOptions): Journal {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = Math.max(1, options.keepFiles ?? 5);
  const now = options.now ?? (() => new Date());
  const current = join(options.dir, 'journal.jsonl');
  const rotated = (n: number) => join(options.dir, `journal.${n}.jsonl`);
  const skipped = new Map<string, SkippedLine>();
  let queue: Promise<unknown> = Promise.resolve();
  let folded: JournalFold | null = null;
  let size = 0;

  const files = () => [...Array.from({ length: keep - 1 }, (_, i) => rotated(keep - 1 - i)), current];

  function skip(file: string, line: number, reason: string): void {
    const key = `${file}:${line}`;
    if (skipped.has(key)) return;
    skipped.set(key, { file, line, reason });
    options.onSkip?.(file, line, reason);
  }

  async function readAll(): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    for (const file of files()) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        const parsed = parseJournalLine(line);
        if (parsed.ok) out.push(parsed.record);
        else skip(file, i + 1, parsed.reason);
      });
    }
    return out;
  }

  /** Open: make the folder, end a torn last line so the next record starts clean, fold the index. */
  async function ready(): Promise<JournalFold> {
    if (folded) return folded;
    ensurePrivateDir(options.dir);
    try {
      const info = await stat(current);
      size = info.size;
      if ((info.mode & 0o077) !== 0) chmodSync(current, PRIVATE_FILE_MODE);
      const text = size > 0 ? await readFile(current) : Buffer.alloc(0);
      if (text.length > 0 && text[text.length - 1] !== 0x0a) writeDurably(current, '\n');
    } catch {
      size = 0;
    }
    const f = emptyFold();
    for (const record of await readAll()) foldRecord(f, record);
    folded = f;
    return f;
  }

  function writeDurably(file: string, text: string): void {
    const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async function rotate(): Promise<void> {
    await rm(rotated(keep - 1), { force: true });
    for (let n = keep - 2; n >= 1; n -= 1) await rename(rotated(n), rotated(n + 1)).catch(() => undefined);
    if (keep > 1) await rename(current, rotated(1));
    else await rm(current, { force: true });
    size = 0;
  }

  function serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  }

  function appendMany(records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return serialised(async () => {
      const f = await ready();
      const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
      if (size > 0 && size + text.length > maxBytes) await rotate();
      writeDurably(current, text);
      size += Buffer.byteLength(text);
      for (const r of records) foldRecord(f, r);
    });
  }

  function matches(record: JournalRecord, filter: JournalFilter, f: JournalFold): boolean {
    if (filter.types && !filter.types.includes(record.type)) return false;
    if (filter.since && record.at < filter.since) return false;
    const alert = record.type === 'alert' || record.type === 'update' ? record.alert : 'alertId' in record ? f.alerts.get(record.alertId)?.alert : null;
    const server = alert ? alert.server : record.type === 'action' ? record.action.server : null;
    if (filter.server !== undefined && server !== filter.server) return false;
    if (filter.kind !== undefined && alert?.kind !== filter.kind) return false;
    if (filter.severity !== undefined && alert?.severity !== filter.severity) return false;
    return true;
  }

  async function read(filter: JournalFilter = {}): Promise<JournalRecord[]> {
    return serialised(async () => {
      const f = await ready();
      const all = (await readAll()).filter((r) => matches(r, filter, f));
      return filter.limit !== undefined ? all.slice(-filter.limit) : all;
    });
  }

  const mark = (record: JournalRecord) => appendMany([record]);
  const at = () => now().toISOString();

  return {
    get skippedLines() {
      return skipped.size;
    },
    get skipped() {
      return [...skipped.values()].slice(-SKIPPED_KEPT);
    },
    append: (record) => appendMany([record]),
    appendMany,
    read,
    async alerts(filter = {}) {
      const f = await serialised(ready);
      const views: AlertView[] = [];
      for (const item of f.alerts.values()) {
        const a = item.alert;
        if (filter.server !== undefined && a.server !== filter.server) continue;
        if (filter.kind !== undefined && a.kind !== filter.kind) continue;
        if (filter.severity !== undefined && a.severity !== filter.severity) continue;
        if (filter.since !== undefined && item.raisedAt < filter.since) continue;
        views.push(toView(f, item));
      }
      views.reverse();
      return filter.limit !== undefined ? views.slice(0, filter.limit) : views;
    },
    ack: (alertId, by) => mark({ type: 'ack', at: at(), alertId, ...(by ? { by } : {}) }),
    unack: (alertId, by) => mark({ type: 'unack', at: at(), alertId, ...(by ? { by } : {}) }),
    snooze: (alertId, until) => mark({ type: 'snooze', at: at(), alertId, until: new Date(until).toISOString() }),
    unsnooze: (alertId) => mark({ type: 'unsnooze', at: at(), alertId }),
    async hasAlert(alertId) {
      return (await serialised(ready)).ids.has(alertId);
    },
    async unnotified() {
      const f = await serialised(ready);
      return [...f.alerts.values()].filter((a) => !f.notified.has(a.alert.id)).map((a) => a.alert);
    },
    async mutes() {
      const f = await serialised(ready);
      return { acked: new Set(f.acked.keys()), snoozedUntil: new Map(f.snoozed) };
    },
  };
}
