/** Spawns the engine process under Node (browser mode, tests): `child_process.fork` through tsx's loader. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineChannel, SpawnEngine } from './engine-host.ts';

export const ENGINE_PROCESS_FILE = fileURLToPath(new URL('./engine-process.ts', import.meta.url));

export interface ForkEngineOptions {
  /** Environment of the engine process, e.g. PATCHGD_BACKEND to pin a backend (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export function forkEngine(options: ForkEngineOptions = {}): SpawnEngine {
  return (): EngineChannel => {
    const child = fork(ENGINE_PROCESS_FILE, [], {
      execArgv: ['--import', 'tsx'],
      env: options.env ?? process.env,
      // The engine's stdout is not a channel; its stderr (warnings, crashes) goes where ours goes.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    return {
      get pid() {
        return child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null;
      },
      send(message) {
        if (child.connected) child.send(message);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        child.once('exit', (code, signal) => listener({ code, signal }));
      },
      kill() {
        child.kill();
      },
    };
  };
}
