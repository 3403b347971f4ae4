/** Spawns the engine process as an Electron utility process (core/app/engine-host.ts's `SpawnEngine`). */
import { utilityProcess } from 'electron';
import type { EngineChannel, SpawnEngine } from '../core/app/engine-host.ts';

/** `modulePath`: the bundled core/app/engine-process.ts (out/electron/engine.mjs). */
export function utilityEngine(modulePath: string): SpawnEngine {
  return (): EngineChannel => {
    const child = utilityProcess.fork(modulePath, [], {
      serviceName: 'PatchGD engine',
      // The engine's stdout is not a channel; its stderr (warnings, crashes) goes where ours goes.
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    // A fatal V8 error in the engine is reported here, then 'exit' follows; unheard, it would throw at the app.
    child.on('error', (type, location) => console.error(`engine process: ${type} at ${location}`));
    return {
      get pid() {
        return exited ? null : (child.pid ?? null);
      },
      send(message) {
        if (!exited) child.postMessage(message);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        // A utility process reports only its exit code; a crash shows as a non-zero one.
        child.once('exit', (code) => listener({ code, signal: null }));
      },
      kill() {
        child.kill();
      },
    };
  };
}
