/**
 * The config file of `eems-watch poll --config FILE` (and the headless server): the settings
 * document as JSON, checked with the one settings schema; defaults fill what is left out. Every
 * error names the file and the field ("servers.0.name: must be a server name ...").
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
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
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message);
    throw new ConfigFileError(`Cannot read the config file ${path}: ${why}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigFileError(`The config file ${path} is not valid JSON: ${(error as Error).message.split('\n')[0]}. Fix it and run again.`);
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
