import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { buildMenuTemplate, MAX_RECENT_IN_MENU, type MenuActions } from '../../electron/menu.ts';

function recorder() {
  const calls: string[] = [];
  const actions: MenuActions = {
    openFolder: () => calls.push('openFolder'),
    openRecent: (folder) => calls.push(`openRecent ${folder}`),
    showAbout: () => calls.push('showAbout'),
    showDataFolder: () => calls.push('showDataFolder'),
  };
  return { calls, actions };
}

const submenu = (item: MenuItemConstructorOptions | undefined) =>
  (item?.submenu ?? []) as MenuItemConstructorOptions[];
const top = (template: MenuItemConstructorOptions[], label: string) =>
  template.find((item) => item.label === label || item.role === label);
const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.();

describe('application menu', () => {
  const base = { appName: 'PatchGD Studio', isDev: false, recentFolders: ['/data/a', '/data/b'] };

  it('File: Open Folder… on Ctrl/Cmd+O, recent folders, Quit on Ctrl+Q', () => {
    const { calls, actions } = recorder();
    const template = buildMenuTemplate({ ...base, platform: 'linux', actions });
    const file = submenu(top(template, 'File'));
    const open = file.find((i) => i.label === 'Open Folder…');
    expect(open?.accelerator).toBe('CmdOrCtrl+O');
    click(open);
    const recent = submenu(file.find((i) => i.label === 'Open Recent'));
    expect(recent.map((i) => i.label)).toEqual(['/data/a', '/data/b']);
    click(recent[1]);
    expect(file.at(-1)).toMatchObject({ role: 'quit', accelerator: 'Ctrl+Q' });
    expect(calls).toEqual(['openFolder', 'openRecent /data/b']);
  });

  it('caps the recent list and says when it is empty', () => {
    const { actions } = recorder();
    const many = Array.from({ length: 25 }, (_, i) => `/data/${i}`);
    const recentOf = (recentFolders: string[]) =>
      submenu(
        submenu(top(buildMenuTemplate({ ...base, recentFolders, platform: 'linux', actions }), 'File')).find(
          (i) => i.label === 'Open Recent',
        ),
      );
    expect(recentOf(many)).toHaveLength(MAX_RECENT_IN_MENU);
    expect(recentOf([])).toEqual([{ label: 'No Recent Folders', enabled: false }]);
  });

  it('View: reload and dev tools only in development; zoom and full screen always', () => {
    const { actions } = recorder();
    const roles = (isDev: boolean) =>
      submenu(top(buildMenuTemplate({ ...base, isDev, platform: 'win32', actions }), 'View')).map(
        (i) => i.role,
      );
    expect(roles(true)).toEqual(
      expect.arrayContaining(['reload', 'toggleDevTools', 'zoomIn', 'togglefullscreen']),
    );
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).toEqual(
      expect.arrayContaining(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']),
    );
  });

  it('macOS gets the app menu with About and Quit; Help holds the data folder', () => {
    const { calls, actions } = recorder();
    const template = buildMenuTemplate({ ...base, platform: 'darwin', actions });
    const appMenu = submenu(template[0]);
    expect(template[0]?.label).toBe('PatchGD Studio');
    expect(appMenu.map((i) => i.role)).toContain('quit');
    click(appMenu[0]);
    click(submenu(top(template, 'help')).find((i) => i.label === 'Show Data Folder'));
    expect(calls).toEqual(['showAbout', 'showDataFolder']);
    expect(submenu(top(template, 'File')).at(-1)?.role).toBe('close');
  });
});
