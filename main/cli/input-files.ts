/**
 * The files commands read that admins hand them: JSON documents, state files and knowledge-base
 * overrides. Every failure becomes one UsageError line naming the file and the problem.
 */
import { UsageError, type CliIo } from './cli-io.js';
import { applyKnowledgeOverride, defaultKnowledgeBase, type KnowledgeBase } from '../core/mitigations/knowledge-base.js';
import type { StateDocument } from '../core/model.js';
import { JsonFileError, readJsonFile as readEngineJsonFile } from '../engine/json-file.js';
import { parseStateDocument } from '../core/parsers/state-document.js';

/**
 * A binary file: NUL never occurs in a decoded text file (a UTF-16 export is decoded first), and
 * many undecodable bytes (U+FFFD) mean it was not text in the first place.
 */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const head = text.slice(0, 64 * 1024);
  const replaced = head.length - head.replaceAll('\uFFFD', '').length;
  return replaced > 8 && replaced * 10 > head.length;
}

/** Read a JSON file; a failure is one line naming the file (exit 2). */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  try {
    return await readEngineJsonFile(path, what);
  } catch (error) {
    if (error instanceof JsonFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** Read and validate a state file; its tolerance warnings go to stderr (never to a --json stdout). */
export async function readStateFile(path: string, io: CliIo): Promise<StateDocument> {
  const parsed = parseStateDocument(await readJsonFile(path, 'state file'));
  if (!parsed.ok) throw new UsageError(`state file ${path}: ${parsed.error}`);
  for (const warning of parsed.warnings) io.stderr(`warning: ${warning}\n`);
  return parsed.value;
}

/** The built-in knowledge base, with the override file applied when one is given. */
export async function readKnowledge(path: string | undefined): Promise<KnowledgeBase> {
  const base = defaultKnowledgeBase();
  if (path === undefined) return base;
  const merged = applyKnowledgeOverride(base, await readJsonFile(path, 'knowledge override'));
  if (!merged.ok) throw new UsageError(`knowledge override ${path}: ${merged.error}. Fix the override file, or leave out --knowledge.`);
  return merged.value;
}

/**
 * Why a file could not be read, in plain words for the admin (never an errno code such as
 * "ENOTDIR: not a directory, open ..."). `folder` is what to say when the path is a folder.
 */
export function readFailureReason(error: unknown, folder = 'it is a folder'): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return folder;
  if (err.code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'ENAMETOOLONG') return 'the path is too long';
  if (err.code === 'ELOOP') return 'the path has a loop of symbolic links';
  return (err.message ?? String(error)).split('\n')[0]!;
}
