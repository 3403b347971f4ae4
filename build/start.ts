/**
 * `npm start`: the desktop app when the Electron binary is installed (bundle, then launch it), else browser
 * mode (`npm run serve`, which prints the URL to open). Arguments after `--` go to whichever starts.
 */
import { spawn } from 'node:child_process';
import { bundleElectron, PROJECT_ROOT } from './bundle.ts';
import { electronBinary, electronPackageDir } from './electron-binary.mjs';

function run(command: string, args: string[]): Promise<number> {
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    // npm is npm.cmd on Windows, which only a shell can start.
    shell: process.platform === 'win32' && command === 'npm',
  });
  // Ctrl+C reaches the child through the terminal; this process just waits for it to finish.
  process.on('SIGINT', () => undefined);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // `tsx build/start.ts -- …` keeps the separator that `npm start -- …` removes.
  if (args[0] === '--') args.shift();
  const electronDir = electronPackageDir(PROJECT_ROOT);
  const binary = electronDir ? electronBinary(electronDir) : null;
  if (!binary) {
    console.log(
      'Electron binary not installed (node node_modules/electron/install.js fetches it): browser mode',
    );
    return run('npm', ['run', 'serve', '--', ...args]);
  }
  const built = await run('npm', ['run', 'build:renderer', '--silent']);
  if (built !== 0) return built;
  await bundleElectron();
  return run(binary, ['.', ...args]);
}

process.exitCode = await main();
