/**
 * Keeps the one Tray object alive for the app's life (a Tray that is garbage-collected vanishes)
 * and re-renders icon, tooltip and menu from the engine's snapshot.
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import { deriveTrayView, trayIconFile, type TrayInput, type TrayIconState } from './tray-state.js';
import { buildTrayMenu, type TrayActions } from './tray-menu.js';

export interface TrayController {
  update(input: TrayInput): void;
  destroy(): void;
}

export function createTrayController(deps: {
  createTray: (icon: NativeImage) => Tray;
  loadIcon: (file: string) => NativeImage;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  platform: NodeJS.Platform;
  actions: TrayActions;
  initial: TrayInput;
}): TrayController {
  const icons = new Map<TrayIconState, NativeImage>();
  const icon = (state: TrayIconState) => {
    let image = icons.get(state);
    if (!image) {
      image = deps.loadIcon(trayIconFile(state, deps.platform));
      if (deps.platform === 'darwin') image.setTemplateImage(true);
      icons.set(state, image);
    }
    return image;
  };
  const first = deriveTrayView(deps.initial);
  const tray = deps.createTray(icon(first.icon));
  let shown = '';
  const update = (input: TrayInput) => {
    const view = deriveTrayView(input);
    tray.setImage(icon(view.icon));
    tray.setToolTip(view.tooltip);
    // Rebuilding the menu while it is open closes it on some desktops: only when it changed.
    const key = JSON.stringify([input.polling, input.pausedUntil, input.openAlerts.slice(0, 5).map((a) => [a.id, a.title])]);
    if (key !== shown) {
      shown = key;
      tray.setContextMenu(deps.buildMenu(buildTrayMenu(input, deps.actions)));
    }
  };
  update(deps.initial);
  // Windows and macOS open the window on a click; Linux never sends it (the menu has "Open").
  tray.on('click', () => deps.actions.open());
  return { update, destroy: () => tray.destroy() };
}
