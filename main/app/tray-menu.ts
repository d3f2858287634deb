/**
 * The tray's context menu as data. Linux ignores clicks on the tray icon, so every action is in
 * this menu. Built from state, so a test can read exactly what the admin will see.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { Alert } from '../core/model.js';

export interface TrayActions {
  open(): void;
  openAlert(alertId: string): void;
  pollNow(): void;
  pauseAlerts(minutes: number): void;
  resumeAlerts(): void;
  quit(): void;
}

export interface TrayMenuInput {
  polling: boolean;
  /** Newest first; the menu shows the first five. */
  openAlerts: Alert[];
  pausedUntil: string | null;
}

const LATEST = 5;

/** Build the tray menu template for the current state. */
export function buildTrayMenu(input: TrayMenuInput, actions: TrayActions): MenuItemConstructorOptions[] {
  const latest: MenuItemConstructorOptions[] =
    input.openAlerts.length === 0
      ? [{ label: 'No open alerts', enabled: false }]
      : input.openAlerts.slice(0, LATEST).map((alert) => ({
          label: `${alert.severity === 'critical' ? '⛔' : alert.severity === 'warning' ? '⚠' : 'ℹ'} ${alert.title}`.slice(0, 90),
          click: () => actions.openAlert(alert.id),
        }));
  return [
    { label: 'Open EEMS Watch', click: () => actions.open() },
    { label: input.polling ? 'Polling…' : 'Poll now', enabled: !input.polling, click: () => actions.pollNow() },
    input.pausedUntil
      ? { label: `Resume alerts (paused until ${input.pausedUntil.slice(11, 16)} UTC)`, click: () => actions.resumeAlerts() }
      : { label: 'Pause alerts for 1 hour', click: () => actions.pauseAlerts(60) },
    { type: 'separator' },
    { label: 'Latest alerts', submenu: latest },
    { type: 'separator' },
    { label: 'Quit EEMS Watch', role: undefined, click: () => actions.quit() },
  ];
}
