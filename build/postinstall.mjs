// postinstall: fetches the Electron binary that npm does not (package.json sets allowScripts.electron to false
// so an install without internet still succeeds). Without network the app still works in browser mode, so a
// failed download is one warning line and exit 0, never a failed install.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { electronBinary, electronPackageDir } from './electron-binary.mjs';

// A download of ~100 MB on a slow line; past this the install goes on without Electron.
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000;

/** The error's own line from install.js's output, without its stack. */
function errorLine(text) {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at '));
  return lines[0] ?? 'no output';
}

function main() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return;
  const electronDir = electronPackageDir();
  // A production install (--omit=dev) has no electron package: nothing to fetch.
  if (!electronDir || electronBinary(electronDir)) return;
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (result.status === 0 && electronBinary(electronDir)) return;
  const why = result.error
    ? result.error.message
    : errorLine(`${result.stdout ?? ''}\n${result.stderr ?? ''}`);
  console.warn(
    `warning: Electron binary not downloaded (${why}); npm start runs in browser mode until ` +
      '`node node_modules/electron/install.js` succeeds',
  );
}

main();
