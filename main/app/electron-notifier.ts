/**
 * NotifierPort over Electron's Notification. Coalescing, quiet hours and severity filters are the
 * engine's (main/core/alerts/alert-coalesce.ts); this only shows what it is given and routes a click to
 * the window on that alert. Windows needs app.setAppUserModelId(APP_ID) first (main.ts does it).
 */
import type { NotificationConstructorOptions } from 'electron';
import type { DesktopNotification, NotifierPort } from '../core/ports.js';

/** The part of Electron's Notification used here (the seam tests replace). */
export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown;
  on(event: 'failed', listener: (event: unknown, error: string) => void): unknown;
  show(): void;
}

export function createElectronNotifier(deps: {
  createNotification: (options: NotificationConstructorOptions) => NotificationLike;
  isSupported: () => boolean;
  iconPath: string;
  onClick: (alertId: string) => void;
  onFailure: (message: string) => void;
}): NotifierPort {
  // Electron garbage-collects a Notification whose JS object is unreferenced, and its click is lost.
  const alive = new Set<NotificationLike>();
  return {
    async notify(n: DesktopNotification): Promise<void> {
      if (!deps.isSupported()) {
        deps.onFailure('Desktop notifications are not supported on this system; alerts are still in the window and the journal.');
        return;
      }
      const notification = deps.createNotification({
        title: n.title,
        body: n.body,
        icon: deps.iconPath,
        urgency: n.severity === 'critical' ? 'critical' : 'normal',
        timeoutType: n.severity === 'critical' ? 'never' : 'default',
      });
      alive.add(notification);
      notification.on('click', () => {
        alive.delete(notification);
        if (n.alertIds[0]) deps.onClick(n.alertIds[0]);
      });
      notification.on('failed', (_event, error) => {
        alive.delete(notification);
        deps.onFailure(`A notification could not be shown: ${error}`);
      });
      notification.show();
      if (alive.size > 50) alive.delete(alive.values().next().value as NotificationLike);
    },
  };
}
