/**
 * The preload of the EEMS Watch window (sandboxed, so CommonJS and no imports but electron). It
 * exposes the EemsApi, one function per method, and nothing else: no ipcRenderer, no channels.
 * The method list repeats API_METHODS of main/api/eems-api.ts; a test keeps them equal, and main
 * validates every call again whatever the preload lets through.
 */
// A sandboxed preload is CommonJS: require is the only way to load electron here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';

const { contextBridge, ipcRenderer } = electron;

const CHANNEL_CALL = 'eems-api:call';
const CHANNEL_EVENT = 'eems-api:event';
const CHANNEL_LOG = 'eems-log';

const METHODS = [
  'getOverview', 'listAlerts', 'ackAlert', 'snoozeAlert', 'unackAlert', 'unsnoozeAlert', 'pollNow', 'planRemoval', 'planOrgReenable', 'runPlan',
  'getHeartbeat', 'getDiagnostics', 'verifyFeed', 'getSettings', 'updateSettings', 'exportData',
  'getKnowledge', 'planStartService', 'planUnblock', 'planServerReenable', 'getServer', 'testEndpoint',
] as const;

type Listener = (event: unknown) => void;

const api: Record<string, unknown> = {};
for (const method of METHODS) {
  api[method] = (input?: unknown) => ipcRenderer.invoke(CHANNEL_CALL, method, input ?? {});
}
/** Subscribe to pushed events; returns the unsubscribe function. */
api.subscribe = (listener: Listener) => {
  const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(CHANNEL_EVENT, handler);
  return () => {
    ipcRenderer.removeListener(CHANNEL_EVENT, handler);
  };
};
/** Forward a renderer log line to the app log. */
api.log = (level: 'error' | 'warn' | 'info', message: string) => ipcRenderer.send(CHANNEL_LOG, { level, message: String(message) });

contextBridge.exposeInMainWorld('eemsApi', api);
