/**
 * Settings that name a program, a file, a share or a URL are the admin's to set in the settings
 * file on disk, never through the UI/API transport: a page or a caller of the API that could set
 * `connection.powershellPath` would have its program run at the next start, a `servers[].logFolder`
 * UNC path makes Windows hand the user's credentials to that share, and an override file or a
 * proxy decides what the knowledge base and the feed checks trust. Updates through the API keep
 * these fields as they are on disk, or are refused with the field, the reason and where to change it.
 */
import type { Settings } from './settings-schema.js';
import { parseSettings } from './settings-schema.js';

/** What a settings update answers (the SettingsPort shape of main/api). */
type UpdateResult = { ok: true; value: Settings } | { ok: false; error: string };

/** A settings store the transport writes through. */
export interface GuardedSettings {
  get(): Settings;
  update(next: unknown): UpdateResult;
}

/** A field only the settings file may change, and why (shown read-only in the Settings view). */
export interface LockedField {
  field: string;
  label: string;
  reason: string;
}

/** The fields the UI/API may not change. */
export const LOCKED_FIELDS: LockedField[] = [
  { field: 'connection.powershellPath', label: 'PowerShell program', reason: 'it names a program that EEMS Watch runs' },
  { field: 'connection.labDir', label: 'Lab folder', reason: 'it names a folder whose files EEMS Watch reads and writes' },
  { field: 'servers[].logFolder', label: 'Log folder of a server', reason: 'it names a folder or share that EEMS Watch opens (Windows sends your credentials to a UNC share)' },
  { field: 'knowledgeOverrideFile', label: 'Knowledge-base override file', reason: 'it names a file that changes what EEMS Watch advises' },
  { field: 'knowledgeUrl', label: 'Knowledge-base update URL', reason: 'it names a server whose file changes what EEMS Watch advises' },
  { field: 'proxy', label: 'Proxy', reason: 'it names a server that all feed checks go through' },
];

/** The locked values of a settings document, by field path. */
function lockedValues(s: Settings): Map<string, string> {
  const values = new Map<string, string>([
    ['connection.powershellPath', s.connection.powershellPath],
    ['connection.labDir', s.connection.labDir ?? ''],
    ['knowledgeOverrideFile', s.knowledgeOverrideFile ?? ''],
    ['knowledgeUrl', s.knowledgeUrl ?? ''],
    ['proxy', s.proxy ?? ''],
  ]);
  for (const server of s.servers) values.set(`servers[${server.name.toLowerCase()}].logFolder`, server.logFolder ?? '');
  return values;
}

/** The sentence for a refused change of `field`. */
function refusal(field: string, where: string): string {
  const base = field.startsWith('servers[') ? 'servers[].logFolder' : field;
  const locked = LOCKED_FIELDS.find((f) => f.field === base);
  const server = /^servers\[(.+)\]/.exec(field)?.[1];
  const name = server ? `${locked?.label ?? field} (server ${server})` : (locked?.label ?? field);
  return `${name} cannot be changed from the Settings view, because ${locked?.reason ?? 'it names a file or program'}; change it in the settings file ${where}, then restart EEMS Watch`;
}

/** Wrap a settings store so the transport cannot change the locked fields. */
export function guardTransportUpdates(store: GuardedSettings, settingsFile: string): GuardedSettings {
  return {
    get: () => store.get(),
    update(next) {
      const parsed = parseSettings(next);
      if (!parsed.ok) return parsed;
      const before = lockedValues(store.get());
      for (const [field, value] of lockedValues(parsed.value)) {
        if ((before.get(field) ?? '') !== value) return { ok: false, error: refusal(field, settingsFile) };
      }
      return store.update(next);
    },
  };
}
