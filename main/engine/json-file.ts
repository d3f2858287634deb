/**
 * JSON documents on disk, the one way: read with a sentence naming the file when it fails, write
 * atomically (temp file, fsync, rename: a crash leaves the old or the new document, never half of
 * one), and move an unusable document aside (never delete what an admin may want back).
 *
 * Data files are created 0600 in a 0700 folder: they name servers, who changed what, and which
 * mitigations are missing, which is nobody else's business on a shared admin workstation.
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A JSON file that cannot be read or parsed; `message` names the file and the problem. */
export class JsonFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonFileError';
  }
}

/** Read a JSON file (a UTF-8 BOM is fine). `what` names it in errors: "state file", "config file". */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : (err.code ?? err.message);
    throw new JsonFileError(`cannot read the ${what} ${path}: ${why}.`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    throw new JsonFileError(`the ${what} ${path} is not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Mode of every data file EEMS Watch creates: owner read and write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of a data folder EEMS Watch creates: owner only. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Make a data folder (and its missing parents) 0700. A folder that already exists keeps its mode:
 * it may be one the admin chose (--data /srv/eems), and we do not change what we did not create.
 */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Write a JSON document atomically (0600, in a 0700 folder when we make it); `pretty` for files people edit. */
export function writeJsonAtomic(file: string, value: unknown, pretty = false): void {
  ensurePrivateDir(dirname(file));
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', PRIVATE_FILE_MODE);
  try {
    // The mode of open() only applies to a new file; a temp file left by a crash keeps its own.
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, pretty ? `${JSON.stringify(value, null, 2)}\n` : JSON.stringify(value));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** Move a document that cannot be used to `<file>.corrupt-<time>`; returns where it went. */
export function moveAside(file: string, now: Date = new Date()): string {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  return aside;
}
