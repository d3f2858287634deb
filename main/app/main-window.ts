/**
 * The EEMS Watch window: the renderer in a locked-down BrowserWindow. contextIsolation, sandbox,
 * no nodeIntegration, webSecurity on; loaded from app://eems/ (served with a CSP by app-protocol.ts);
 * navigation, new windows and every permission request are denied.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { APP_ORIGIN } from './app-identity.js';

/** The webPreferences every window of the app gets (electronegativity checks these). */
export function secureWebPreferences(preloadPath: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** True for URLs of the app itself; everything else is refused in the window. */
export function isAppUrl(url: string): boolean {
  try {
    return new URL(url).origin === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
}

/**
 * What a link that wants a new window does: https links (Microsoft's documentation in a diagnosis)
 * open in the admin's browser; nothing ever opens inside the app.
 */
export function windowOpenDecision(url: string): 'open-in-browser' | 'deny' {
  try {
    return new URL(url).protocol === 'https:' ? 'open-in-browser' : 'deny';
  } catch {
    return 'deny';
  }
}

/** Deny navigation away from the app, new windows (https links go to the browser), webviews and permission requests. */
export function lockDownContents(contents: WebContents, session: Session, openInBrowser: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url) === 'open-in-browser') openInBrowser(url);
    return { action: 'deny' };
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Create the window (hidden until ready) and load the renderer; `#alert=<id>` opens that alert. */
export function createMainWindow(deps: {
  BrowserWindowCtor: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  preloadPath: string;
  iconPath: string;
  alertId?: string;
}): BrowserWindow {
  const win = new deps.BrowserWindowCtor({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'EEMS Watch',
    icon: deps.iconPath,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(deps.preloadPath),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(windowUrl(deps.alertId));
  return win;
}

/** The URL the window shows, optionally on one alert. */
export function windowUrl(alertId?: string): string {
  return `${APP_ORIGIN}/index.html${alertId ? `#alert=${encodeURIComponent(alertId)}` : ''}`;
}
