/**
 * The config file of `eems-watch poll --config FILE` (and the headless server): the settings
 * document as JSON, checked with the one settings schema; defaults fill what is left out. Every
 * error names the file and the field ("servers.0.name: must be a server name ...").
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { JsonFileError, readJsonFile } from './json-file.js';
import { parseSettings, type Settings } from './settings/settings-schema.js';

/** A config file that cannot be used: the message names the file and the field, with the next step. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** Load and check a config file. Relative paths inside it (labDir, logFolder) are resolved against its folder. */
export async function loadConfigFile(path: string): Promise<Settings> {
  let raw: unknown;
  try {
    raw = await readJsonFile(path, 'config file');
  } catch (error) {
    if (!(error instanceof JsonFileError)) throw error;
    throw new ConfigFileError(`${error.message.charAt(0).toUpperCase()}${error.message.slice(1)} Fix it and run again.`);
  }
  const parsed = parseSettings(raw);
  if (!parsed.ok) throw new ConfigFileError(`The config file ${path} is not valid: ${parsed.error}. Fix that field and run again.`);
  const settings = parsed.value;
  const base = dirname(resolve(path));
  const within = (p: string) => (isAbsolute(p) || p.startsWith('\\\\') ? p : resolve(base, p));
  if (settings.connection.labDir) settings.connection.labDir = within(settings.connection.labDir);
  for (const server of settings.servers) if (server.logFolder) server.logFolder = within(server.logFolder);
  return settings;
}
