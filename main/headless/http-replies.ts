/**
 * The headless server's small HTTP vocabulary: answers that always carry the security headers,
 * JSON results in the ApiResult shape, and request bodies read up to a limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError, ApiResult } from '../api/eems-api.js';
import { SECURITY_HEADERS } from './security.js';

/** Answer with the security headers plus `headers`. */
export function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer = ''): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

/** Answer a JSON value, never cached. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers }, JSON.stringify(value));
}

/** Answer a failed ApiResult. */
export function refuse(res: ServerResponse, status: number, code: ApiError['code'], message: string): void {
  const result: ApiResult = { ok: false, error: { code, message } };
  sendJson(res, status, result);
}

/** Answer an HTML page, never cached. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  send(res, status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers }, html);
}

/** The media type of a request without parameters, lower case. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Read the body up to a limit; null when it is too large (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
