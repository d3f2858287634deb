/**
 * The renderer's static files, from an allowlist of names only: index.html and styles.css from
 * the renderer folder, compiled modules under /js/ (no dots, no traversal: names are checked by
 * pattern before any path is built).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { RendererAssets } from './renderer-assets.js';
import { SECURITY_HEADERS } from './security.js';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The file and content type for a renderer path, or null when the path is not on the allow-list. */
export function resolveRendererFile(pathname: string, assets: RendererAssets): { file: string; type: string } | null {
  if (pathname === '/' || pathname === '/index.html') return { file: join(assets.staticDir, 'index.html'), type: TYPES.html! };
  if (pathname === '/styles.css') return { file: join(assets.staticDir, 'styles.css'), type: TYPES.css! };
  if (pathname === '/favicon.svg') return { file: join(assets.staticDir, 'favicon.svg'), type: TYPES.svg! };
  const script = /^\/js\/((?:[a-z0-9-]+\/)?[a-z0-9-]+\.js)$/.exec(pathname);
  if (script) return { file: join(assets.scriptDir, script[1] ?? ''), type: TYPES.js! };
  return null;
}

/** Answer a GET for a static file (404 for anything not on the list). */
export async function serveStatic(pathname: string, assets: RendererAssets, res: ServerResponse): Promise<void> {
  const target = resolveRendererFile(pathname, assets);
  const body = target ? await readFile(target.file).catch(() => null) : null;
  if (!target || body === null) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found.');
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': target.type, 'Cache-Control': 'no-cache' });
  res.end(body);
}
