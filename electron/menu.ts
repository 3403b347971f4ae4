/**
 * The application menu as a pure template: what the shell does for each item is passed in, so the layout and
 * accelerators can be checked without Electron.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openFolder(): void;
  openRecent(folderPath: string): void;
  showAbout(): void;
  /** Opens the user-data folder (store, runs, logs) in the system file manager. */
  showDataFolder(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Reload and developer tools appear only when running unpackaged. */
  isDev: boolean;
  /** Most recent first. */
  recentFolders: readonly string[];
  actions: MenuActions;
}

export const MAX_RECENT_IN_MENU = 10;

function recentSubmenu(recent: readonly string[], actions: MenuActions): MenuItemConstructorOptions[] {
  if (recent.length === 0) return [{ label: 'No Recent Folders', enabled: false }];
  return recent.slice(0, MAX_RECENT_IN_MENU).map((folder) => ({
    label: folder,
    click: () => actions.openRecent(folder),
  }));
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const { platform, appName, isDev, recentFolders, actions } = options;
  const mac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: appName,
      submenu: [
        { label: `About ${appName}`, click: () => actions.showAbout() },
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push({
    label: 'File',
    submenu: [
      { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openFolder() },
      { label: 'Open Recent', submenu: recentSubmenu(recentFolders, actions) },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', accelerator: 'Ctrl+Q' },
    ],
  });
  template.push({ role: 'editMenu' });
  template.push({
    label: 'View',
    submenu: [
      ...(isDev ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const) : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  });
  template.push({ role: 'windowMenu' });
  template.push({
    role: 'help',
    submenu: [
      { label: 'Show Data Folder', click: () => actions.showDataFolder() },
      ...(mac ? [] : [{ label: `About ${appName}`, click: () => actions.showAbout() }]),
    ],
  });
  return template;
}
