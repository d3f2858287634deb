/**
 * What the tray shows, derived from the engine's status: the icon state and the tooltip. Pure, so
 * it is tested under plain Node; tray.ts applies it to Electron's Tray.
 */
import type { Alert, OverallStatus } from '../core/model.js';

export type TrayIconState = 'ok' | 'warning' | 'critical' | 'unknown' | 'polling';

export interface TrayInput {
  status: OverallStatus;
  polling: boolean;
  /** Open (not acknowledged, not snoozed) alerts, newest first. */
  openAlerts: Alert[];
  serverCount: number;
  /** ISO time of the last completed poll, or null. */
  lastPollAt: string | null;
  /** Alerts paused until this ISO time, or null. */
  pausedUntil: string | null;
}

export interface TrayView {
  icon: TrayIconState;
  tooltip: string;
}

const STATUS_WORDS: Record<OverallStatus, string> = {
  ok: 'all servers OK',
  warning: 'needs attention',
  critical: 'CRITICAL',
  unknown: 'state unknown',
};

/** Decide the tray icon and tooltip. A poll in flight shows the polling icon over an ok state only, so a problem never hides. */
export function deriveTrayView(input: TrayInput): TrayView {
  const icon: TrayIconState = input.polling && (input.status === 'ok' || input.status === 'unknown') ? 'polling' : input.status;
  const critical = input.openAlerts.filter((a) => a.severity === 'critical').length;
  const warning = input.openAlerts.filter((a) => a.severity === 'warning').length;
  const parts = [`EEMS Watch: ${STATUS_WORDS[input.status]}`, `${input.serverCount} server${input.serverCount === 1 ? '' : 's'}`];
  if (critical + warning > 0) parts.push(`${critical} critical, ${warning} warning alert${critical + warning === 1 ? '' : 's'}`);
  if (input.polling) parts.push('polling now');
  else if (input.lastPollAt) parts.push(`last poll ${input.lastPollAt.slice(11, 16)} UTC`);
  else parts.push('not polled yet');
  if (input.pausedUntil) parts.push(`alerts paused until ${input.pausedUntil.slice(11, 16)} UTC`);
  // Windows truncates tray tooltips at 127 characters.
  const tooltip = parts.join(' · ');
  return { icon, tooltip: tooltip.length > 127 ? `${tooltip.slice(0, 126)}…` : tooltip };
}

/** The icon file for a state on a platform: .ico on Windows, template images on macOS, PNG elsewhere. */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  if (platform === 'win32') return `tray-${state}.ico`;
  if (platform === 'darwin') return `tray-${state}Template.png`;
  return `tray-${state}.png`;
}
