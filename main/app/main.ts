/**
 * The Electron composition root: it only wires. Single-instance lock, start at login, settings,
 * logging, the engine and its API service (the same runtime as headless mode), IPC, tray, window
 * and notifications; a clean stop (polling stopped, journal and logs flushed) on quit, log-off and
 * when the installer asks the app to close.
 *
 * Verified here: type-checked against electron's own .d.ts, its parts unit-tested through their
 * seams, packed by electron-builder. Not run here: no Electron binary can be downloaded on the
 * build machines; run it with `npm start` on a workstation with internet (see README).
 */
import { BrowserWindow, Menu, Notification, Tray, app, dialog, ipcMain, nativeImage, powerMonitor, protocol, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEemsRuntime, type EemsRuntime } from '../api/runtime.js';
import type { ApiEvent } from '../api/eems-api.js';
import type { DesktopNotification, NotifierPort } from '../core/ports.js';
import { createLogger } from '../engine/logging.js';
import { locateRendererAssets } from '../headless/renderer-assets.js';
import { APP_ID } from './app-identity.js';
import { handleAppProtocol, registerAppScheme } from './app-protocol.js';
import { openAppSettings } from './app-settings.js';
import { guardTransportUpdates } from '../engine/settings/transport-guard.js';
import { createElectronNotifier } from './electron-notifier.js';
import { installGlobalErrorHandlers } from './global-errors.js';
import { IPC } from './ipc-channels.js';
import { registerIpcHandlers, TrustedSenders } from './ipc-handlers.js';
import { createMainWindow, lockDownContents, windowUrl } from './main-window.js';
import { createTrayController, type TrayController } from './tray-controller.js';
import type { TrayInput } from './tray-state.js';

const appRoot = app.getAppPath();
const assetsDir = join(appRoot, 'assets');
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));

registerAppScheme(protocol);
app.setAppUserModelId(APP_ID);
// Every web contents the app ever creates is locked down, not only the main window's.
app.on('web-contents-created', (_event, contents) => lockDownContents(contents, contents.session, (url) => void shell.openExternal(url)));

if (!app.requestSingleInstanceLock()) {
  // A second launch only focuses the first (see 'second-instance' below).
  app.quit();
} else {
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  const logger = createLogger({ dir: app.getPath('logs'), console: !app.isPackaged });
  installGlobalErrorHandlers({ app, processLike: process, log: logger, showError: (title, message) => dialog.showErrorBox(title, message) });

  const settings = await openAppSettings(app.getPath('userData'));
  if (settings.notice) logger.warn(settings.notice);
  app.setLoginItemSettings({ openAtLogin: settings.get().startAtLogin });

  let win: BrowserWindow | null = null;
  let pausedUntil: Date | null = null;
  const senders = new TrustedSenders();

  const showWindow = (alertId?: string): void => {
    if (win && !win.isDestroyed()) {
      if (alertId) void win.loadURL(windowUrl(alertId));
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      return;
    }
    win = createMainWindow({ BrowserWindowCtor: BrowserWindow, preloadPath, iconPath: join(assetsDir, 'tray', 'tray-ok@2x.png'), alertId });
    const id = win.webContents.id;
    senders.add(id);
    win.on('closed', () => {
      senders.remove(id);
      win = null;
    });
  };

  const electronNotifier = createElectronNotifier({
    createNotification: (options) => new Notification(options),
    isSupported: () => Notification.isSupported(),
    iconPath: join(assetsDir, 'tray', 'tray-critical@2x.png'),
    onClick: (alertId) => showWindow(alertId),
    onFailure: (message) => logger.warn(message),
  });
  // "Pause alerts for 1 hour" silences the desktop only: alerts still land in the journal and the window.
  const notifier: NotifierPort = {
    notify: (n: DesktopNotification) => (pausedUntil && pausedUntil > new Date() ? Promise.resolve() : electronNotifier.notify(n)),
  };

  const runtime: EemsRuntime = await createEemsRuntime({
    settings: guardTransportUpdates(settings, settings.path),
    dataDir: app.getPath('userData'),
    notifier,
    notes: settings.notice ? [settings.notice] : [],
    say: (line) => logger.info(line),
  });
  handleAppProtocol(protocol, await locateRendererAssets(appRoot));
  const disposeIpc = registerIpcHandlers({
    ipcMain,
    service: runtime.service,
    senders,
    log: { warn: (m) => logger.warn(m), log: (level, m) => logger.log(level, m) },
  });

  const trayInput = (): TrayInput => {
    const snap = runtime.engine.snapshot();
    return {
      status: snap.status,
      polling: snap.polling,
      openAlerts: snap.openAlerts,
      serverCount: snap.servers.length,
      lastPollAt: snap.lastPollAt,
      pausedUntil: pausedUntil && pausedUntil > new Date() ? pausedUntil.toISOString() : null,
    };
  };
  const tray: TrayController = createTrayController({
    createTray: (icon) => new Tray(icon),
    loadIcon: (file) => nativeImage.createFromPath(join(assetsDir, 'tray', file)),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    platform: process.platform,
    initial: trayInput(),
    actions: {
      open: () => showWindow(),
      openAlert: (id) => showWindow(id),
      pollNow: () => void runtime.engine.pollNow(),
      pauseAlerts: (minutes) => {
        pausedUntil = new Date(Date.now() + minutes * 60_000);
        tray.update(trayInput());
      },
      resumeAlerts: () => {
        pausedUntil = null;
        tray.update(trayInput());
      },
      quit: () => app.quit(),
    },
  });
  const unsubscribe = runtime.service.subscribe((event: ApiEvent) => {
    if (event.type === 'settings-changed') app.setLoginItemSettings({ openAtLogin: settings.get().startAtLogin });
    tray.update(trayInput());
    if (win && !win.isDestroyed()) win.webContents.send(IPC.apiEvent, event);
  });

  app.on('second-instance', () => showWindow());
  // A tray app keeps running with no window open.
  app.on('window-all-closed', () => undefined);

  let stopped = false;
  const stopEverything = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    disposeIpc();
    await runtime.stop();
    tray.destroy();
    await logger.close();
  };
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void stopEverything().finally(() => app.exit(0));
  });
  // Log-off and shutdown: powerMonitor on macOS and Linux, the window's session-end on Windows. When
  // Windows or the installer ends the process without either, nothing is lost: every journal append
  // is fsync'd before its notification goes out, and bookmarks only move after the journal.
  powerMonitor.on('shutdown', () => void stopEverything().finally(() => app.exit(0)));
  app.on('browser-window-created', (_event, created) => created.on('session-end', () => void stopEverything()));
  if (settings.notice) {
    void electronNotifier.notify({ title: 'EEMS Watch settings were reset', body: settings.notice, alertIds: [], severity: 'warning' });
  }
  logger.info(`EEMS Watch started: ${runtime.labDir ? `lab ${runtime.labDir}` : `${settings.get().servers.length} configured server(s)`}.`);
}
