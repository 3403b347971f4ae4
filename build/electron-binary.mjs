// Where the Electron binary lies, found without require('electron'): requiring electron 45 starts a download
// when the binary is missing, and this check must answer offline. Plain JavaScript, because postinstall runs it
// before anything else is known to work.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PLATFORM_PATHS = {
  darwin: 'Electron.app/Contents/MacOS/Electron',
  mas: 'Electron.app/Contents/MacOS/Electron',
  win32: 'electron.exe',
};

/** The folder of the installed `electron` package, or null when it is not installed (e.g. --omit=dev). */
export function electronPackageDir(fromDir = process.cwd()) {
  try {
    return path.dirname(createRequire(path.join(fromDir, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/**
 * The Electron executable for `electronDir`, or null when it is not there. Follows the electron package's own
 * layout: path.txt names the executable inside dist/ (or inside ELECTRON_OVERRIDE_DIST_PATH when set).
 */
export function electronBinary(electronDir, env = process.env) {
  let relative = PLATFORM_PATHS[process.platform] ?? 'electron';
  try {
    relative = readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim() || relative;
  } catch {
    // No path.txt yet: the binary was never extracted; the default name is only checked below.
  }
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || path.join(electronDir, 'dist');
  const binary = path.join(distDir, relative);
  return existsSync(binary) ? binary : null;
}
