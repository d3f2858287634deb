/**
 * Where the renderer's files are: index.html and styles.css from the source folder renderer/,
 * the compiled ES modules from dist/renderer (built by `tsc -b`). When dist/renderer is missing
 * or older than the sources (running from source with tsx), the modules are transpiled into the
 * project's own dist/renderer with the project's TypeScript, or the start is refused with "run npm
 * run build". Never a shared, predictable folder (a temp folder another local user can plant a
 * script or a symbolic link in): each file is written under a fresh name and renamed into place, so
 * a link already sitting at a target is replaced, never followed.
 */
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type TypeScript from 'typescript';
import { findProjectRoot } from '../engine/project-root.js';

export interface RendererAssets {
  /** Holds index.html and styles.css. */
  staticDir: string;
  /** Holds the compiled modules (app.js, views/*.js), served under /js/. */
  scriptDir: string;
}

async function listSources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listSources(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

function isCompiledFresh(sources: string[], sourceDir: string, compiledDir: string): boolean {
  return sources.every((file) => {
    const js = join(compiledDir, relative(sourceDir, file)).replace(/\.ts$/, '.js');
    return existsSync(js) && statSync(js).mtimeMs >= statSync(file).mtimeMs;
  });
}

/** Write a file under a fresh name (O_EXCL) and rename it over the target. */
async function replaceFile(target: string, text: string): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}

async function transpileInto(sources: string[], sourceDir: string, outDir: string): Promise<string> {
  const texts = await Promise.all(sources.map((file) => readFile(file, 'utf8')));
  let ts: typeof TypeScript;
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new Error('The renderer is not compiled, or older than its sources, and TypeScript is not installed to compile it. Run `npm run build`, then start again.');
  }
  for (const [i, file] of sources.entries()) {
    const out = ts.transpileModule(texts[i] ?? '', {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const target = join(outDir, relative(sourceDir, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await replaceFile(target, out.outputText);
  }
  return outDir;
}

/** Locate (or, from source, prepare) the renderer's files. */
export async function locateRendererAssets(root = findProjectRoot()): Promise<RendererAssets> {
  const staticDir = join(root, 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`The renderer's index.html is missing in ${staticDir}.`);
  const compiled = join(root, 'dist', 'renderer');
  const sources = await listSources(staticDir);
  if (isCompiledFresh(sources, staticDir, compiled)) return { staticDir, scriptDir: compiled };
  return { staticDir, scriptDir: await transpileInto(sources, staticDir, compiled) };
}
