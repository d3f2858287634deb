/**
 * Files only this user may read: the sign-in pages and the instance lock carry secrets. They live
 * in a folder of the data folder that is created with mode 0700 and, when it exists already, is
 * used only if it is a real folder (not a symbolic link) owned by this user. Files are created
 * with O_EXCL (a planted symbolic link is never followed) and mode 0600, and replaced by rename.
 * On Windows the mode bits mean nothing; the data folder under %LOCALAPPDATA% is the user's own.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A folder that is not safe to keep secrets in: the message says why and what to do. */
export class PrivateFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivateFolderError';
  }
}

/** Create (or check) `<parent>/<name>` as a folder only this user can open; returns its path. */
export function ensurePrivateFolder(parent: string, name: string): string {
  mkdirSync(parent, { recursive: true });
  const dir = join(parent, name);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.isSymbolicLink()) {
    throw new PrivateFolderError(`${dir} is not a folder (it is a link or a file), so EEMS Watch will not keep its sign-in secrets there. Remove it, or pass another data folder with --data.`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new PrivateFolderError(`${dir} belongs to another user (uid ${stat.uid}), so EEMS Watch will not keep its sign-in secrets there. Use a data folder of your own with --data.`);
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** Write `text` to a new file readable by this user only, replacing `path` atomically. */
export function writePrivateFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  // 'wx': O_CREAT | O_EXCL, so nothing that already sits at the temp name (a link) is followed.
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Remove a file if it is there. */
export function removeFile(path: string): void {
  rmSync(path, { force: true });
}
