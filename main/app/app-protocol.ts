/**
 * The app:// protocol the window loads the renderer from: the same allow-listed files and the same
 * Content-Security-Policy as the headless server (main/headless/static-files.ts), never a file://
 * page with its extra privileges.
 */
import type { Protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { APP_HOST, APP_SCHEME } from './app-identity.js';
import { resolveRendererFile } from '../headless/static-files.js';
import type { RendererAssets } from '../headless/renderer-assets.js';
import { SECURITY_HEADERS } from '../headless/security.js';

/** Must run before app 'ready': app:// is a standard, secure origin that may use fetch. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Answer one app:// request: a renderer file with the CSP, or 404. */
export async function answerAppRequest(url: string, assets: RendererAssets): Promise<Response> {
  const parsed = new URL(url);
  const target = parsed.host === APP_HOST ? resolveRendererFile(parsed.pathname, assets) : null;
  const body = target ? await readFile(target.file).catch(() => null) : null;
  if (!target || body === null) return new Response('Not found.', { status: 404, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': target.type } });
}

/** Serve app:// from the renderer assets (after app 'ready'). */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, assets: RendererAssets): void {
  protocol.handle(APP_SCHEME, (request) => answerAppRequest(request.url, assets));
}
