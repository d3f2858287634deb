/**
 * Knowledge updates without a release (issue 11.2): the knowledge base shipped with EEMS Watch,
 * with a knowledge update applied from a file on disk or an https URL that the admin sets in the
 * settings file. All or nothing: the update is checked against the schema and refused whole with the
 * field at fault; on refusal the previous knowledge stays in force and `lastError` says why.
 * The URL is fetched with undici: https only, no redirects, a size cap and a time-out.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { Agent, fetch } from 'undici';
import { applyKnowledgeOverride, defaultKnowledgeBase, type KnowledgeBase } from '../core/mitigations/knowledge-base.js';

/** What the Diagnostics view shows about the knowledge in force. */
export interface KnowledgeInfo {
  /** "2026.12.1" (shipped), or "2026.12.1 + <update's dataVersion>". */
  version: string;
  /** The date of the facts in force: the update's date when one is applied, else the shipped date. */
  date: string;
  source: 'built-in' | 'file' | 'url';
  /** The file or URL of the applied update, or null. */
  location: string | null;
  loadedAt: string;
  /** Why the last update was refused or could not be read, with the next step; null when none failed. */
  lastError: string | null;
}

export interface KnowledgeSourceOptions {
  file?: string | null;
  url?: string | null;
  now: () => Date;
  /** Largest update accepted, in bytes (default 2 MB). */
  maxBytes?: number;
  /** Time-out of the URL fetch (default 15 s). */
  timeoutMs?: number;
  /** Extra PEM roots for the https fetch (tests with a private PKI); the system's roots otherwise. */
  ca?: string[];
}

const DEFAULT_MAX = 2 * 1024 * 1024;

/** Read the update's text from a file, with the size cap. */
async function readUpdateFile(path: string, maxBytes: number): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error('it is not a file');
  if (info.size > maxBytes) throw new Error(`it is ${info.size} bytes, more than the ${maxBytes} bytes a knowledge update may have`);
  return readFile(path, 'utf8');
}

/** Fetch the update's text from an https URL: no redirects, size cap, time-out. */
async function fetchUpdate(url: string, options: KnowledgeSourceOptions, maxBytes: number): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('it is not a URL');
  }
  if (parsed.protocol !== 'https:') throw new Error('only https:// URLs are used for knowledge updates');
  const dispatcher = new Agent({ connect: options.ca ? { ca: options.ca } : {}, bodyTimeout: options.timeoutMs ?? 15_000, headersTimeout: options.timeoutMs ?? 15_000 });
  try {
    const response = await fetch(parsed, { dispatcher, redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs ?? 15_000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw new Error(`it is ${declared} bytes, more than the ${maxBytes} bytes a knowledge update may have`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new Error(`it is more than the ${maxBytes} bytes a knowledge update may have`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    // destroy, not close: a body refused half-way must not keep the connection (and the caller) waiting.
    await dispatcher.destroy();
  }
}

function builtIn(kb: KnowledgeBase, now: Date, lastError: string | null): KnowledgeInfo {
  return { version: kb.versions.mitigations, date: kb.versions.date, source: 'built-in', location: null, loadedAt: now.toISOString(), lastError };
}

/**
 * The knowledge in force: the shipped knowledge base with the update applied, or, when no update
 * is set or it was refused, `previous` (the knowledge in force so far; the shipped one at start).
 * A URL wins over a file when both are set.
 */
export async function loadKnowledgeSource(
  options: KnowledgeSourceOptions,
  previous: { kb: KnowledgeBase; info: KnowledgeInfo } | null = null,
): Promise<{ kb: KnowledgeBase; info: KnowledgeInfo }> {
  const base = defaultKnowledgeBase();
  const now = options.now();
  const location = options.url || options.file || null;
  if (!location) return { kb: base, info: builtIn(base, now, null) };
  const source = options.url ? 'url' : 'file';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX;
  const keep = (why: string) => {
    const lastError = `The knowledge update ${location} was not applied: ${why}. ${previous && previous.info.source !== 'built-in' ? `The previous update (${previous.info.version}) stays in force` : 'The built-in knowledge stays in force'}; fix the update (or the knowledge setting in the settings file): ${source === 'url' ? `the URL is read again every ${URL_EVERY_HOURS} hours` : 'the file is read again within a minute of a change'}, or at the next start of EEMS Watch.`;
    return previous ? { kb: previous.kb, info: { ...previous.info, lastError } } : { kb: base, info: builtIn(base, now, lastError) };
  };
  let text: string;
  try {
    text = source === 'url' ? await fetchUpdate(location, options, maxBytes) : await readUpdateFile(location, maxBytes);
  } catch (error) {
    return keep(`it could not be read (${(error as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return keep('it is not valid JSON');
  }
  const applied = applyKnowledgeOverride(base, doc);
  if (!applied.ok) return keep(applied.error);
  const v = applied.value.versions;
  return {
    kb: applied.value,
    info: { version: `${v.mitigations} + ${v.override ?? 'unversioned'}`, date: v.overrideDate ?? v.date, source, location, loadedAt: now.toISOString(), lastError: null },
  };
}

/** How often a knowledge URL is fetched again. */
const URL_EVERY_HOURS = 6;

/** The knowledge in force and where it came from. */
export interface LoadedKnowledge {
  kb: KnowledgeBase;
  info: KnowledgeInfo;
}

export interface KnowledgeWatchOptions extends KnowledgeSourceOptions {
  /** What was loaded at start (loadKnowledgeSource with the same options). */
  initial: LoadedKnowledge;
  /** Called with what is in force after a read that changed it (a new update, or a refusal to report). */
  onChange: (loaded: LoadedKnowledge) => void;
  /** How often the file is looked at (default 60 s; a stat, nothing is read unless it changed). */
  checkEveryMs?: number;
}

/** Reads a knowledge update again when it changes; `check` is what the timer runs. */
export interface KnowledgeWatch {
  /** The knowledge in force now. */
  current(): LoadedKnowledge;
  /**
   * Look once: a file is read again when its size, time or inode changed (or it appeared or
   * vanished), a URL when URL_EVERY_HOURS have passed since it was last fetched. True when it was read.
   */
  check(): Promise<boolean>;
  stop(): void;
}

function fileIdentity(info: Stats | null): string {
  return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'absent';
}

/**
 * Keep a knowledge update current without a restart (issue 11.2: Microsoft's next correction the
 * day it is published). A refused or unreadable update leaves what is in force in place and says
 * why (KnowledgeInfo.lastError), as at start. No update set: nothing to watch.
 */
export function watchKnowledgeSource(options: KnowledgeWatchOptions): KnowledgeWatch {
  let loaded = options.initial;
  const location = options.url || options.file || null;
  const identityNow = async () => (options.file ? fileIdentity(await stat(options.file).catch(() => null)) : '');
  let lastIdentity: Promise<string> = options.url ? Promise.resolve('') : identityNow();
  let lastFetch = options.now().getTime();
  let running: Promise<boolean> | null = null;

  async function checkOnce(): Promise<boolean> {
    if (!location) return false;
    if (options.url) {
      if (options.now().getTime() - lastFetch < URL_EVERY_HOURS * 3_600_000) return false;
      lastFetch = options.now().getTime();
    } else {
      const [before, now] = [await lastIdentity, await identityNow()];
      if (before === now) return false;
      lastIdentity = Promise.resolve(now);
    }
    const next = await loadKnowledgeSource(options, loaded);
    loaded = next;
    options.onChange(next);
    return true;
  }

  const timer = location ? setInterval(() => void check().catch(() => undefined), options.checkEveryMs ?? 60_000) : null;
  timer?.unref();
  function check(): Promise<boolean> {
    // One look at a time: a slow URL must not be fetched twice over.
    running ??= checkOnce().finally(() => {
      running = null;
    });
    return running;
  }
  return {
    current: () => loaded,
    check,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
