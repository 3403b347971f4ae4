/** Spawns the engine process under Node (browser mode, tests): `child_process.fork` through tsx's loader. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineChannel, EngineExit, SpawnEngine } from './engine-host.ts';

export const ENGINE_PROCESS_FILE = fileURLToPath(new URL('./engine-process.ts', import.meta.url));

export interface ForkEngineOptions {
  /** Environment of the engine process, e.g. PATCHGD_BACKEND to pin a backend (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The Node binary to run it under (default: this process's). */
  execPath?: string;
}

export function forkEngine(options: ForkEngineOptions = {}): SpawnEngine {
  return (): EngineChannel => {
    const child = fork(ENGINE_PROCESS_FILE, [], {
      execArgv: ['--import', 'tsx'],
      execPath: options.execPath ?? process.execPath,
      env: options.env ?? process.env,
      // The engine's stdout is not a channel; its stderr (warnings, crashes) goes where ours goes.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    // Exactly one exit report, whether the process exited or never started ('error' without 'exit').
    const exitListeners: ((exit: EngineExit) => void)[] = [];
    let exit: EngineExit | null = null;
    const ended = (value: EngineExit) => {
      if (exit) return;
      exit = value;
      for (const listener of exitListeners) listener(value);
    };
    child.once('exit', (code, signal) => ended({ code, signal }));
    // Without a listener a failed spawn, send or kill would be thrown at the whole app.
    child.on('error', (err) => {
      if (child.pid === undefined) ended({ code: null, signal: null, error: err.message });
      else console.error(`engine process ${child.pid}: ${err.message}`);
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
        if (exit) listener(exit);
        else exitListeners.push(listener);
      },
      kill() {
        child.kill();
      },
    };
  };
}
