/**
 * The journal: an append-only JSON-lines file of alerts and actions, the one history of EEMS Watch.
 * Each append is written and fsync'd before it resolves (an alert is on disk before anyone is
 * notified of it). Files rotate by size (journal.jsonl, journal.1.jsonl, ... keep N); reading spans
 * them. Acks, snoozes and "notified" marks are records too, folded when reading. A torn last line
 * (a crash mid-write) is skipped and counted, never fatal.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert, AlertKind, Severity } from '../core/model.js';

/** One line of the journal. */
export type JournalRecord =
  | { type: 'alert'; at: string; alert: Alert }
  | { type: 'action'; at: string; action: JournalAction }
  | { type: 'ack'; at: string; alertId: string; by?: string }
  | { type: 'snooze'; at: string; alertId: string; until: string }
  | { type: 'notified'; at: string; alertIds: string[]; title?: string; held?: string; error?: string };

/** An admin action (a removal plan step, a re-enable), as the action runner records it. */
export interface JournalAction {
  planId?: string;
  server: string | null;
  mitigation: string | null;
  title: string;
  status: 'started' | 'done' | 'failed' | 'cancelled';
  message: string;
  [extra: string]: unknown;
}

/** Filters of read() and alerts(). */
export interface JournalFilter {
  server?: string;
  kind?: AlertKind | string;
  severity?: Severity;
  /** ISO time: only records at or after it. */
  since?: string;
  /** Only the last N matching records. */
  limit?: number;
  types?: JournalRecord['type'][];
}

/** An alert with what the admin did about it (the folded view the UI shows). */
export interface AlertView extends Alert {
  acked: boolean;
  ackedAt: string | null;
  snoozedUntil: string | null;
  notified: boolean;
}

/** The journal API (helper G). */
export interface Journal {
  /** Append one record; resolves once it is fsync'd. */
  append(record: JournalRecord): Promise<void>;
  /** Append several records with one write and one fsync. */
  appendMany(records: JournalRecord[]): Promise<void>;
  /** The timeline, oldest first (with limit: the newest N, still oldest first). */
  read(filter?: JournalFilter): Promise<JournalRecord[]>;
  /** Alerts folded with their acks, snoozes and notified marks, newest first. */
  alerts(filter?: JournalFilter): Promise<AlertView[]>;
  ack(alertId: string, by?: string): Promise<void>;
  snooze(alertId: string, until: string): Promise<void>;
  /** Is this alert id already in the journal (the replay guard)? */
  hasAlert(alertId: string): Promise<boolean>;
  /** Alerts with no "notified" record yet (a crash between journal and notification). */
  unnotified(): Promise<Alert[]>;
  /** Acked ids and snooze ends, for status and notification decisions. */
  mutes(): Promise<{ acked: Set<string>; snoozedUntil: Map<string, string> }>;
  /** Lines skipped as unreadable since open (a torn last line after a crash counts here). */
  readonly skippedLines: number;
}

export interface JournalOptions {
  dir: string;
  /** Rotate when the current file passes this size (default 5 MB). */
  maxBytes?: number;
  /** Files kept, the current one included (default 5). */
  keepFiles?: number;
  /** Called once per unreadable line found, with where it was. */
  onSkip?: (file: string, line: number) => void;
  now?: () => Date;
}

interface Folded {
  ids: Set<string>;
  alerts: Map<string, Alert>;
  notified: Set<string>;
  acked: Map<string, string>;
  snoozed: Map<string, string>;
}

/** Create a journal in `dir` (made on first use). */
export function createJournal(options: JournalOptions): Journal {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = Math.max(1, options.keepFiles ?? 5);
  const now = options.now ?? (() => new Date());
  const current = join(options.dir, 'journal.jsonl');
  const rotated = (n: number) => join(options.dir, `journal.${n}.jsonl`);
  let skipped = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let folded: Folded | null = null;
  let size = 0;

  const files = () => [...Array.from({ length: keep - 1 }, (_, i) => rotated(keep - 1 - i)), current];

  async function readAll(): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    for (const file of files()) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          out.push(JSON.parse(line) as JournalRecord);
        } catch {
          skipped += 1;
          options.onSkip?.(file, i + 1);
        }
      });
    }
    return out;
  }

  function fold(into: Folded, record: JournalRecord): void {
    if (record.type === 'alert') {
      into.ids.add(record.alert.id);
      into.alerts.set(record.alert.id, record.alert);
    } else if (record.type === 'notified') for (const id of record.alertIds) into.notified.add(id);
    else if (record.type === 'ack') into.acked.set(record.alertId, record.at);
    else if (record.type === 'snooze') into.snoozed.set(record.alertId, record.until);
  }

  /** Open: make the folder, end a torn last line so the next record starts clean, fold the index. */
  async function ready(): Promise<Folded> {
    if (folded) return folded;
    await mkdir(options.dir, { recursive: true });
    try {
      const info = await stat(current);
      size = info.size;
      const text = size > 0 ? await readFile(current) : Buffer.alloc(0);
      if (text.length > 0 && text[text.length - 1] !== 0x0a) writeDurably(current, '\n');
    } catch {
      size = 0;
    }
    const f: Folded = { ids: new Set(), alerts: new Map(), notified: new Set(), acked: new Map(), snoozed: new Map() };
    for (const record of await readAll()) fold(f, record);
    folded = f;
    return f;
  }

  function writeDurably(file: string, text: string): void {
    const fd = openSync(file, 'a');
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
      for (const r of records) fold(f, r);
    });
  }

  function matches(record: JournalRecord, filter: JournalFilter, f: Folded): boolean {
    if (filter.types && !filter.types.includes(record.type)) return false;
    if (filter.since && record.at < filter.since) return false;
    const alert = record.type === 'alert' ? record.alert : 'alertId' in record ? f.alerts.get(record.alertId) : null;
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

  return {
    get skippedLines() {
      return skipped;
    },
    append: (record) => appendMany([record]),
    appendMany,
    read,
    async alerts(filter = {}) {
      const f = await serialised(ready);
      const records = (await read({ ...filter, types: ['alert'], limit: undefined })) as Extract<JournalRecord, { type: 'alert' }>[];
      const views = records.reverse().map(
        (r): AlertView => ({
          ...r.alert,
          acked: f.acked.has(r.alert.id),
          ackedAt: f.acked.get(r.alert.id) ?? null,
          snoozedUntil: f.snoozed.get(r.alert.id) ?? null,
          notified: f.notified.has(r.alert.id),
        }),
      );
      return filter.limit !== undefined ? views.slice(0, filter.limit) : views;
    },
    ack: (alertId, by) => appendMany([{ type: 'ack', at: now().toISOString(), alertId, ...(by ? { by } : {}) }]),
    snooze: (alertId, until) => appendMany([{ type: 'snooze', at: now().toISOString(), alertId, until: new Date(until).toISOString() }]),
    async hasAlert(alertId) {
      return (await serialised(ready)).ids.has(alertId);
    },
    async unnotified() {
      const f = await serialised(ready);
      return [...f.alerts.values()].filter((a) => !f.notified.has(a.id));
    },
    async mutes() {
      const f = await serialised(ready);
      return { acked: new Set(f.acked.keys()), snoozedUntil: new Map(f.snoozed) };
    },
  };
}
