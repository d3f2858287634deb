/**
 * The IPC handlers: the only door from the renderer into main. Every message is checked twice:
 * the sender must be our own window's top frame on app://eems (a trusted webContents id), and the
 * payload must pass the same EemsApi schemas as the HTTP transport (parseApiCall).
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import { parseApiCall, type ApiResult, type ApiService } from '../api/eems-api.js';
import { APP_ORIGIN } from './app-identity.js';
import { IPC } from './ipc-channels.js';

/** The part of an IPC event the sender check reads. */
export type SenderEvent = Pick<IpcMainInvokeEvent | IpcMainEvent, 'sender' | 'senderFrame'>;

/** The webContents ids of the windows we created; anything else is refused. */
export class TrustedSenders {
  private readonly ids = new Set<number>();

  add(webContentsId: number): void {
    this.ids.add(webContentsId);
  }

  remove(webContentsId: number): void {
    this.ids.delete(webContentsId);
  }

  /** True only for the top frame of a trusted window showing our own origin. */
  isTrusted(event: SenderEvent): boolean {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    if (!this.ids.has(event.sender.id)) return false;
    try {
      return new URL(frame.url).origin === APP_ORIGIN || frame.url.startsWith(`${APP_ORIGIN}/`);
    } catch {
      return false;
    }
  }
}

export interface IpcLog {
  warn(message: string): void;
  log(level: 'error' | 'warn' | 'info', message: string): void;
}

const LOG_LEVELS = new Set(['error', 'warn', 'info']);

/** Register the EemsApi and renderer-log handlers on ipcMain. Returns a function that removes them. */
export function registerIpcHandlers(deps: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>;
  service: ApiService;
  senders: TrustedSenders;
  log: IpcLog;
}): () => void {
  const { ipcMain, service, senders, log } = deps;
  const onCall = async (event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<ApiResult> => {
    if (!senders.isTrusted(event)) {
      log.warn(`IPC call refused from an untrusted sender (${event.senderFrame?.url ?? 'no frame'}).`);
      return { ok: false, error: { code: 'forbidden', message: 'This window is not allowed to call EEMS Watch.' } };
    }
    const parsed = parseApiCall(method, input);
    if (!parsed.ok) return parsed;
    try {
      return await service.call(parsed.method, parsed.input);
    } catch (error) {
      log.warn(`EemsApi ${parsed.method} failed: ${(error as Error).message}`);
      return { ok: false, error: { code: 'failed', message: (error as Error).message } };
    }
  };
  const onLog = (event: IpcMainEvent, payload: unknown): void => {
    if (!senders.isTrusted(event)) return;
    const p = payload as { level?: unknown; message?: unknown } | null;
    if (!p || typeof p.level !== 'string' || !LOG_LEVELS.has(p.level) || typeof p.message !== 'string') return;
    log.log(p.level as 'error' | 'warn' | 'info', `renderer: ${p.message.slice(0, 4000)}`);
  };
  ipcMain.handle(IPC.apiCall, onCall);
  ipcMain.on(IPC.log, onLog);
  return () => {
    ipcMain.removeHandler(IPC.apiCall);
    ipcMain.removeListener(IPC.log, onLog);
  };
}
