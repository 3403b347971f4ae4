import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron, PROJECT_ROOT } from '../../build/bundle.ts';

/** What the bundled preload did with the fake `electron` module it was given. */
interface PreloadRun {
  exposed: Map<string, unknown>;
  invoked: { channel: string; args: unknown[] }[];
  listeners: Map<string, Set<(event: unknown, ...args: unknown[]) => void>>;
  required: string[];
}

/** Runs the preload bundle as Electron's sandbox would: CommonJS with `require('electron')` only. */
function runPreload(code: string): PreloadRun {
  const run: PreloadRun = { exposed: new Map(), invoked: [], listeners: new Map(), required: [] };
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      run.invoked.push({ channel, args });
      return { ok: true, value: [] };
    },
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
      if (!run.listeners.has(channel)) run.listeners.set(channel, new Set());
      run.listeners.get(channel)!.add(listener);
    },
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
      run.listeners.get(channel)?.delete(listener);
    },
  };
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => run.exposed.set(key, api) };
  const sandboxRequire = (name: string) => {
    run.required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return { contextBridge, ipcRenderer };
  };
  const module = { exports: {} };
  vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console, URL });
  return run;
}

describe('electron bundles', () => {
  let outDir: string;
  let files: string[];
  beforeAll(async () => {
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchgd-bundle-'));
    files = await bundleElectron({ outDir });
  });
  afterAll(async () => {
    await fs.rm(outDir, { recursive: true, force: true });
  });

  it('writes main, engine, preload and the engine worker', async () => {
    expect(files.map((f) => path.basename(f))).toEqual([
      'main.mjs',
      'engine.mjs',
      'preload.cjs',
      'engine-worker.mjs',
    ]);
    for (const file of files) expect((await fs.stat(file)).size).toBeGreaterThan(500);
  });

  it('main, engine and its worker import at run time only Node, Electron and production dependencies', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    // electron-builder ships only these in the installer; a devDependency imported here would be missing there.
    const shipped = new Set([
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.optionalDependencies),
      'electron',
    ]);
    for (const file of [files[0]!, files[1]!, files[3]!]) {
      const code = await fs.readFile(file, 'utf8');
      const imported = [...code.matchAll(/^import\b[^;]*?["']([^"']+)["']/gm)].map((m) => m[1]!);
      expect(imported.length).toBeGreaterThan(0);
      for (const specifier of imported) {
        if (specifier.startsWith('node:')) continue;
        const name = specifier
          .split('/')
          .slice(0, specifier.startsWith('@') ? 2 : 1)
          .join('/');
        expect(shipped, `${path.basename(file)} imports ${specifier}`).toContain(name);
      }
    }
  });

  it('main keeps the hardened web preferences and never enables Node in a renderer', async () => {
    const main = await fs.readFile(files[0]!, 'utf8');
    expect(main).not.toMatch(/nodeIntegration\w*:\s*(true|!0)/);
    expect(main).toMatch(/contextIsolation:\s*true/);
    expect(main).toMatch(/sandbox:\s*true/);
    expect(main).toMatch(/webSecurity:\s*true/);
    expect(main).toContain('setWindowOpenHandler');
    expect(main).toContain('setPermissionRequestHandler');
  });

  it('preload is self-contained and exposes only the typed API as window.patchgd', async () => {
    const run = runPreload(await fs.readFile(files[2]!, 'utf8'));
    expect(run.required).toEqual(['electron']);
    // No zod or contract schemas in the renderer process: the main process validates.
    expect((await fs.stat(files[2]!)).size).toBeLessThan(20_000);
    expect([...run.exposed.keys()]).toEqual(['patchgd']);
    const api = run.exposed.get('patchgd') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'platform', 'tileUrl']);
    expect(api.platform).toBe('electron');
  });

  it('preload invokes contract channels only and hides the IPC event from listeners', async () => {
    const run = runPreload(await fs.readFile(files[2]!, 'utf8'));
    const api = run.exposed.get('patchgd') as {
      invoke(channel: string, params: unknown): Promise<{ ok: boolean; error?: { code: string } }>;
      on(event: string, listener: (payload: unknown) => void): () => void;
      tileUrl(slideId: number, level: number, col: number, row: number): string;
    };
    expect(await api.invoke('folders.recent', { limit: 3 })).toEqual({ ok: true, value: [] });
    expect(run.invoked).toEqual([{ channel: 'patchgd:request:folders.recent', args: [{ limit: 3 }] }]);

    const refused = await api.invoke('__proto__', {});
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('unknown-channel');
    expect(run.invoked).toHaveLength(1);
    expect(() => api.on('ipc:anything', () => undefined)).toThrow(/no event named/);

    const seen: unknown[] = [];
    const unsubscribe = api.on('job.state', (payload) => seen.push(payload));
    const listeners = run.listeners.get('patchgd:event:job.state')!;
    expect(listeners.size).toBe(1);
    for (const listener of listeners) listener({ sender: 'secret' }, { jobId: 'j1' });
    expect(seen).toEqual([{ jobId: 'j1' }]);
    unsubscribe();
    expect(listeners.size).toBe(0);

    expect(api.tileUrl(7, 1, 2, 3)).toBe('slide://7/tiles/1/2/3');
  });
});
