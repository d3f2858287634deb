/**
 * Desktop notifications in headless and CLI mode through node-notifier (notify-send on Linux,
 * toasts on Windows). The Electron app uses its own Notification behind the same NotifierPort.
 *
 * node-notifier calls back with err === '' on success (it passes notify-send's stderr) and stays
 * silent on failure when no callback is given: we always pass one and reject with a sentence, so
 * a missing notify-send or notification daemon shows in the engine's log and the journal.
 */
import nodeNotifier from 'node-notifier';
import type { DesktopNotification, NotifierPort } from '../../core/ports.js';

/** The app name every notification carries (what the desktop shows and groups by). */
export const APP_NAME = 'EEMS Watch';

/** The part of node-notifier we use (tests may pass their own). */
export interface NotifyBackend {
  notify(options: Record<string, unknown>, callback: (err: Error | string | null, response: string) => void): unknown;
}

export interface NodeNotifierOptions {
  appName?: string;
  /** Absolute path of an icon. */
  icon?: string;
  backend?: NotifyBackend;
}

const URGENCY: Record<DesktopNotification['severity'], string> = { critical: 'critical', warning: 'normal', info: 'low' };

/** Create the node-notifier port. */
export function createNodeNotifier(options: NodeNotifierOptions = {}): NotifierPort {
  const backend: NotifyBackend = options.backend ?? (nodeNotifier as unknown as NotifyBackend);
  const appName = options.appName ?? APP_NAME;
  return {
    notify(notification: DesktopNotification): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const settings: Record<string, unknown> = {
          title: notification.title,
          message: notification.body,
          'app-name': appName,
          appName,
          urgency: URGENCY[notification.severity],
          wait: false,
          ...(options.icon ? { icon: options.icon } : {}),
        };
        try {
          backend.notify(settings, (err) => {
            if (err === null || err === undefined || err === '') return resolve();
            const why = typeof err === 'string' ? err.trim() : err.message;
            reject(new Error(`The desktop notification could not be shown (${why}). On Linux, install libnotify-bin (notify-send) and run a notification daemon such as dunst.`));
          });
        } catch (error) {
          reject(new Error(`The desktop notification could not be shown (${(error as Error).message}).`));
        }
      });
    },
  };
}
