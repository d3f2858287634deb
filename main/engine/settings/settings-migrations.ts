/**
 * Named migration steps of the settings document, oldest first. Each takes the raw document of
 * version `from` and returns version `from + 1`. Conf's own semver migrations are not used: the
 * same steps must run for conf (headless) and electron-store (app), keyed by schemaVersion.
 */
export interface SettingsMigration {
  from: number;
  name: string;
  up(doc: Record<string, unknown>): Record<string, unknown>;
}

export const SETTINGS_MIGRATIONS: SettingsMigration[] = [
  {
    // Documents written before schemaVersion existed (the 0.0 previews) kept the PowerShell path at the top level.
    from: 0,
    name: 'move powershellPath into connection',
    up(doc) {
      const { powershellPath, ...rest } = doc;
      const connection = { ...((rest.connection as Record<string, unknown> | undefined) ?? {}) };
      if (typeof powershellPath === 'string' && connection.powershellPath === undefined) connection.powershellPath = powershellPath;
      return { ...rest, connection, schemaVersion: 1 };
    },
  },
];

/** Bring a raw settings document to the current version; lists the steps applied. */
export function migrateSettings(raw: unknown): { doc: unknown; applied: string[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { doc: raw, applied: [] };
  let doc = raw as Record<string, unknown>;
  const applied: string[] = [];
  let version = typeof doc.schemaVersion === 'number' ? doc.schemaVersion : 0;
  for (const step of SETTINGS_MIGRATIONS) {
    if (step.from === version) {
      doc = step.up(doc);
      applied.push(step.name);
      version += 1;
    }
  }
  return { doc, applied };
}
