/**
 * EemsApi: the one contract between the UI and the engine. Both transports serve exactly this:
 * the headless HTTP server (main/headless: JSON methods + server-sent events) and the Electron
 * preload (main/app: contextBridge over ipcRenderer.invoke). Inputs are validated at the main side
 * with these schemas, whichever transport carried them. Results cross as values, never as throws.
 *
 * The renderer imports this file with `import type` only.
 */
import { z } from 'zod';

const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a server name: letters, digits, ".", "_" and "-"');
const mitigationId = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}(\.[0-9]{1,4}){0,3}$/, 'a mitigation id such as M2 or M2.1.0');
const isoTime = z.string().datetime({ offset: true });

/** Input schemas of every method, by name. A method with no input takes `{}`. */
export const API_METHODS = {
  getOverview: z.object({}).strict(),
  listAlerts: z
    .object({
      server: serverName.optional(),
      kind: z.string().max(64).optional(),
      severity: z.enum(['info', 'warning', 'critical']).optional(),
      limit: z.number().int().min(1).max(5000).optional(),
    })
    .strict(),
  ackAlert: z.object({ id: z.string().min(1).max(200) }).strict(),
  snoozeAlert: z.object({ id: z.string().min(1).max(200), until: isoTime }).strict(),
  pollNow: z.object({ server: serverName.optional() }).strict(),
  planRemoval: z.object({ server: serverName, mitigation: mitigationId }).strict(),
  planOrgReenable: z.object({}).strict(),
  runPlan: z.object({ planId: z.string().min(1).max(200), confirm: z.literal(true) }).strict(),
  getHeartbeat: z.object({ server: serverName, days: z.number().int().min(1).max(31).optional() }).strict(),
  getDiagnostics: z.object({ server: serverName.optional() }).strict(),
  verifyFeed: z.object({ xml: z.string().min(1).max(5 * 1024 * 1024), at: isoTime.optional() }).strict(),
  getSettings: z.object({}).strict(),
  updateSettings: z.object({ settings: z.record(z.string(), z.unknown()) }).strict(),
  exportData: z.object({ what: z.enum(['servers', 'alerts']), format: z.enum(['csv', 'json']) }).strict(),
} as const;

export type ApiMethod = keyof typeof API_METHODS;
export type ApiInput<M extends ApiMethod> = z.infer<(typeof API_METHODS)[M]>;

/** An error that crosses a transport: a code for programs, a sentence for the admin. */
export interface ApiError {
  code: 'bad-request' | 'not-found' | 'conflict' | 'failed' | 'forbidden';
  message: string;
}

/** Every call resolves to a result, never a throw (Electron only passes error.message across IPC). */
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Events pushed to the UI. */
export type ApiEvent =
  | { type: 'state-changed' }
  | { type: 'alerts-changed' }
  | { type: 'poll-progress'; polling: boolean; server?: string }
  | { type: 'plan-progress'; planId: string; step: number; status: 'running' | 'done' | 'failed'; message: string }
  | { type: 'open-alert'; alertId: string };

/** What serves the API: one object over the engine, used by both transports. */
export interface ApiService {
  call(method: ApiMethod, input: unknown): Promise<ApiResult>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

/** Validate a method name and its input; the transports call this before the service. */
export function parseApiCall(method: unknown, input: unknown): { ok: true; method: ApiMethod; input: unknown } | { ok: false; error: ApiError } {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(API_METHODS, method)) {
    return { ok: false, error: { code: 'bad-request', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.` } };
  }
  const schema = API_METHODS[method as ApiMethod];
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'input';
    return { ok: false, error: { code: 'bad-request', message: `Invalid ${method} request: ${where}: ${issue?.message ?? 'invalid'}.` } };
  }
  return { ok: true, method: method as ApiMethod, input: parsed.data };
}
