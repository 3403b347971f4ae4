import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../build/bundle.ts';

const require = createRequire(import.meta.url);
// electron-builder's own loader and schema check (scheme.json), as `electron-builder --config` runs them.
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(
    projectDir: string,
    configPath: string | null,
    fromOptions: null,
  ): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const CONFIG = path.join(PROJECT_ROOT, 'build', 'electron-builder.yml');
const load = () => getConfig(PROJECT_ROOT, CONFIG, null);
const validate = (config: Record<string, unknown>) => validateConfiguration(config, new DebugLogger(false));

describe('electron-builder configuration', () => {
  it('passes electron-builder’s schema', async () => {
    await expect(validate(await load())).resolves.toBeUndefined();
  });

  it('the schema check is real: an unknown key fails it', async () => {
    await expect(validate({ ...(await load()), asarr: true })).rejects.toThrow(/unknown property 'asarr'/);
  });

  it('targets AppImage, deb, NSIS and dmg from an asar with native modules unpacked', async () => {
    const config = (await load()) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**', 'node_modules/webgpu/**']),
    );
    // Each installer carries only its own platform's Dawn binary, which exists in the installed package.
    const webgpuDirs = { linux: 'linux-x64', win: 'win32-x64', mac: 'darwin-universal' } as const;
    for (const [platform, own] of Object.entries(webgpuDirs)) {
      const files = (config[platform] as { files: string[] }).files.join(' ');
      expect(files, platform).toMatch(/^!node_modules\/webgpu\/dist\/\{/);
      expect(files, platform).not.toContain(own);
      expect(require.resolve(`webgpu/dist/${own}/dawn.node`)).toBeTruthy();
    }
    expect(config.npmRebuild).toBe(true);
    // electron-builder normalises `files` into one file set.
    const [fileSet] = config.files as unknown as [{ filter: string[] }];
    expect(fileSet.filter).toEqual(expect.arrayContaining(['out/electron/**', 'renderer/dist/**']));
  });

  it('points at files that exist: the fuses hook and a 512×512 icon', async () => {
    const config = await load();
    const hook = require(path.join(PROJECT_ROOT, String(config.afterPack))) as { default: unknown };
    expect(typeof hook.default).toBe('function');
    const icon = await sharp(path.join(PROJECT_ROOT, 'build', 'icon.png')).metadata();
    expect([icon.width, icon.height, icon.format]).toEqual([512, 512, 'png']);
  });

  it('package.json starts Electron from the bundled main', () => {
    const pkg = require(path.join(PROJECT_ROOT, 'package.json')) as {
      main: string;
      scripts: Record<string, string>;
    };
    expect(pkg.main).toBe('out/electron/main.mjs');
    for (const script of ['start', 'dist', 'build:electron', 'lint:electron', 'postinstall'])
      expect(pkg.scripts[script], script).toBeTruthy();
  });
});
