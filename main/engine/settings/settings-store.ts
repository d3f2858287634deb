/**
 * The settings store over conf (headless) or electron-store (the app): one schema, one set of
 * migrations, one recovery path. A file that is not JSON, or not valid settings even after the
 * migrations, is moved aside (never deleted), defaults are loaded, and `notice` tells the admin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { moveAside } from '../json-file.js';
import { join } from 'node:path';
import { defaultSettings, parseSettings, type Settings } from './settings-schema.js';
import { migrateSettings } from './settings-migrations.js';

/** What conf and electron-store both offer: the file path and the whole document. */
export interface StoreBackend {
  readonly path: string;
  store: Record<string, unknown>;
}

export interface SettingsStore {
  get(): Settings;
  /** Validate and save; the error names the field at fault. */
  update(next: unknown): { ok: true; value: Settings } | { ok: false; error: string };
  /** Set when the file had to be moved aside at start: a sentence for the admin. */
  readonly notice: string | null;
  readonly path: string;
}

/**
 * Check the settings file before conf or electron-store opens it (both throw on invalid JSON), and
 * move it aside when it cannot be used. Returns the sentence for the admin, or null.
 */
export function quarantineCorruptSettings(filePath: string, now: Date = new Date()): string | null {
  if (!existsSync(filePath)) return null;
  let reason: string | null = null;
  try {
    const raw = JSON.parse(readFileSync(filePath, 'utf8')) as unknown;
    const parsed = parseSettings(migrateSettings(raw).doc);
    if (!parsed.ok) reason = `it is not valid (${parsed.error})`;
  } catch (error) {
    reason = `it is not readable JSON (${(error as Error).message})`;
  }
  if (reason === null) return null;
  const aside = moveAside(filePath, now);
  return `Your EEMS Watch settings file could not be used: ${reason}. It was moved to ${aside} and the default settings were loaded. Check the servers and connection in Settings, or copy what you need from the moved file.`;
}

/** Open the settings over a backend created after the file was checked. */
export function openSettingsStore(filePath: string, createBackend: () => StoreBackend, now?: Date): SettingsStore {
  const notice = quarantineCorruptSettings(filePath, now);
  const backend = createBackend();
  const migrated = migrateSettings(backend.store);
  const parsed = parseSettings(migrated.doc);
  let current: Settings = parsed.ok ? parsed.value : defaultSettings();
  backend.store = current as unknown as Record<string, unknown>;
  return {
    notice,
    path: backend.path,
    get: () => structuredClone(current),
    update(next) {
      const result = parseSettings(next);
      if (!result.ok) return result;
      current = result.value;
      backend.store = current as unknown as Record<string, unknown>;
      return { ok: true, value: structuredClone(current) };
    },
  };
}

/** The headless-mode store: conf in `dir`, file settings.json. */
export async function openConfSettingsStore(dir: string): Promise<SettingsStore> {
  const { default: Conf } = await import('conf');
  const filePath = join(dir, 'settings.json');
  return openSettingsStore(filePath, () => new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', projectName: 'eems-watch' }));
}
