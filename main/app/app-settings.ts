/**
 * The app's settings: electron-store under the user-data folder, with the same schema, migrations
 * and corrupt-file recovery as headless mode's conf store (main/engine/settings/settings-store.ts).
 */
import { join } from 'node:path';
import { openSettingsStore, type SettingsStore } from '../engine/settings/settings-store.js';

/** Open (and if needed recover) the settings in `userDataDir`. */
export async function openAppSettings(userDataDir: string): Promise<SettingsStore> {
  const { default: ElectronStore } = await import('electron-store');
  return openSettingsStore(join(userDataDir, 'settings.json'), () => new ElectronStore<Record<string, unknown>>({ cwd: userDataDir, name: 'settings' }));
}
