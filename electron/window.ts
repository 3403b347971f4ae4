/**
 * The main window: sandboxed, context-isolated renderer without Node, loaded from the app:// origin, with its
 * bounds and maximized state remembered between launches.
 */
import { BrowserWindow, screen } from 'electron';
import { APP_ENTRY_URL } from './security.ts';
import {
  fitToDisplays,
  loadWindowState,
  MIN_WINDOW_SIZE,
  saveWindowState,
  type WindowState,
} from './window-state.ts';

/** Moves and resizes come in bursts; the state file is written once a burst settles. */
const SAVE_DELAY_MS = 500;

function currentState(win: BrowserWindow): WindowState {
  // Normal bounds: the size to restore to, also while maximized or full screen.
  return { ...win.getNormalBounds(), maximized: win.isMaximized() };
}

function rememberState(win: BrowserWindow, userDataDir: string): void {
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    saveWindowState(userDataDir, currentState(win)).catch((err: unknown) => {
      console.error(`window state not saved: ${(err as Error).message}`);
    });
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', save);
}

export async function createMainWindow(userDataDir: string, preloadPath: string): Promise<BrowserWindow> {
  const workAreas = screen.getAllDisplays().map((display) => display.workArea);
  const state = fitToDisplays(await loadWindowState(userDataDir), workAreas);
  const win = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'PatchGD Studio',
    show: false,
    backgroundColor: '#1e1f24',
    webPreferences: {
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
      safeDialogs: true,
      // Middle-click would open links in new windows behind the window-open handler's back.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  rememberState(win, userDataDir);
  await win.loadURL(APP_ENTRY_URL);
  return win;
}
