/**
 * Where the renderer's files are: index.html and styles.css from the source folder renderer/,
 * the compiled ES modules from dist/renderer (built by `tsc -b`). When dist/renderer is missing
 * or older than the sources (running from source with tsx), the modules are transpiled once into
 * a temp folder keyed by the sources' hash, with the project's own TypeScript when it is installed.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

async function transpileInto(sources: string[], sourceDir: string): Promise<string> {
  const hash = createHash('sha256');
  const texts = await Promise.all(sources.map((file) => readFile(file, 'utf8')));
  sources.forEach((file, i) => hash.update(relative(sourceDir, file)).update('\0').update(texts[i] ?? ''));
  const outDir = join(tmpdir(), `eems-watch-renderer-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(outDir, 'app.js'))) return outDir;
  let ts: typeof TypeScript;
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new Error('The renderer is not compiled (dist/renderer is missing) and TypeScript is not installed. Run `npm run build` first.');
  }
  for (const [i, file] of sources.entries()) {
    const out = ts.transpileModule(texts[i] ?? '', {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const target = join(outDir, relative(sourceDir, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, out.outputText);
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
  return { staticDir, scriptDir: await transpileInto(sources, staticDir) };
}
