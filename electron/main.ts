/**
 * Electron main process: sets the security policy for every web contents and session, serves the renderer and
 * slide images through custom protocols, answers the typed IPC contract with the same handlers as browser mode,
 * and runs training and grading in a utility process.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import { createAppContext, type AppContext } from '../core/app/context.ts';
import { createAppHandlers } from '../core/app/handlers.ts';
import { electronSlideUrls } from '../core/shared/api.ts';
import { dispatch, type HandlerTable } from '../core/shared/validate.ts';
import { utilityEngine } from './engine.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { buildMenuTemplate, MAX_RECENT_IN_MENU } from './menu.ts';
import { handleProtocols, registerSchemes } from './protocols.ts';
import { withCspHeader } from './security.ts';
import { createMainWindow } from './window.ts';

/** This bundle lies in out/electron/ next to preload.cjs and engine.mjs; the renderer is renderer/dist. */
const bundleDir = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(bundleDir, '..', '..');
const PRELOAD = path.join(bundleDir, 'preload.cjs');
const ENGINE = path.join(bundleDir, 'engine.mjs');
const RENDERER_DIR = path.join(appRoot, 'renderer', 'dist');
const APP_NAME = 'PatchGD Studio';

interface MainState {
  ctx: AppContext;
  handlers: HandlerTable<AppContext>;
  window: BrowserWindow | null;
}

/** Every web contents, present or future: no navigation, no new windows, no <webview>. */
function lockDownWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

/** The default session: no permission is ever granted, and every response carries our CSP. */
function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: withCspHeader(details.responseHeaders) }),
  );
}

async function recentFolders(state: MainState): Promise<string[]> {
  const outcome = await dispatch(state.handlers, 'folders.recent', { limit: MAX_RECENT_IN_MENU }, state.ctx);
  return outcome.ok ? outcome.value.map((folder) => folder.path) : [];
}

async function refreshMenu(state: MainState): Promise<void> {
  const template = buildMenuTemplate({
    platform: process.platform,
    appName: APP_NAME,
    isDev: !app.isPackaged,
    recentFolders: await recentFolders(state),
    actions: {
      openFolder: () => void pickFolder(state),
      openRecent: (folder) => void openFolder(state, folder),
      showAbout: () => app.showAboutPanel(),
      showDataFolder: () => void shell.openPath(state.ctx.userDataDir),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function openFolder(state: MainState, folder: string): Promise<void> {
  const outcome = await dispatch(state.handlers, 'folders.open', { path: folder }, state.ctx);
  if (!outcome.ok) {
    dialog.showErrorBox('Cannot open folder', outcome.error.message);
    return;
  }
  await refreshMenu(state);
  // The contract has no "folder opened" event: reloading shows the folder first among the recent ones.
  state.window?.webContents.reload();
}

async function pickFolder(state: MainState): Promise<void> {
  const options = { title: 'Open Slide Folder', properties: ['openDirectory' as const] };
  const result = state.window
    ? await dialog.showOpenDialog(state.window, options)
    : await dialog.showOpenDialog(options);
  const folder = result.filePaths[0];
  if (!result.canceled && folder) await openFolder(state, folder);
}

async function openWindow(state: MainState): Promise<void> {
  const win = await createMainWindow(state.ctx.userDataDir, PRELOAD);
  state.window = win;
  forwardEvents(state.ctx, win.webContents);
  win.on('closed', () => {
    if (state.window === win) state.window = null;
  });
}

async function start(): Promise<void> {
  lockDownSession();
  const ctx = createAppContext({
    userDataDir: app.getPath('userData'),
    spawnEngine: utilityEngine(ENGINE),
    urls: electronSlideUrls,
  });
  const state: MainState = { ctx, handlers: createAppHandlers(), window: null };
  handleProtocols(ctx, RENDERER_DIR);
  registerIpc(ipcMain, state.handlers, ctx, (name) => {
    if (name === 'folders.open') void refreshMenu(state);
  });
  await refreshMenu(state);
  await openWindow(state);

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void openWindow(state);
  });
  app.on('second-instance', () => {
    if (!state.window) return;
    if (state.window.isMinimized()) state.window.restore();
    state.window.focus();
  });
  // Let a running job write a valid checkpoint and close the store before the process ends.
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    ctx
      .close()
      .catch((err: unknown) => console.error(`shutdown: ${(err as Error).message}`))
      .finally(() => app.quit());
  });
}

registerSchemes();
app.enableSandbox();
lockDownWebContents();

if (!app.requestSingleInstanceLock()) {
  // Another window already owns the store; it is focused through 'second-instance'.
  app.quit();
} else {
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      dialog.showErrorBox('PatchGD Studio could not start', (err as Error).message);
      app.exit(1);
    });
}
