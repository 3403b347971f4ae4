import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../build/bundle.ts';
import { electronBinary, electronPackageDir } from '../../build/electron-binary.mjs';

const SCRIPT = path.join(PROJECT_ROOT, 'build', 'postinstall.mjs');

describe('postinstall: Electron binary download', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchgd-postinstall-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Runs the script as npm would, with the binary looked for in `distDir` (empty: not installed). */
  function postinstall(env: Record<string, string>) {
    const { ELECTRON_SKIP_BINARY_DOWNLOAD: _skip, ...inherited } = process.env;
    return spawnSync(process.execPath, [SCRIPT], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        ...inherited,
        ELECTRON_OVERRIDE_DIST_PATH: dir,
        electron_config_cache: path.join(dir, 'cache'),
        ...env,
      },
    });
  }

  it('offline: warns in one line and exits 0', () => {
    // Port 9 (discard) on loopback: the connection is refused at once.
    const result = postinstall({ ELECTRON_MIRROR: 'http://127.0.0.1:9/' });
    expect(result.status).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^warning: Electron binary not downloaded \(.+\); npm start runs in browser mode/,
    );
    expect(result.stdout).toBe('');
  });

  it('does nothing, silently, when the binary is already there', async () => {
    const electronDir = electronPackageDir(PROJECT_ROOT)!;
    await fs.writeFile(path.join(dir, process.platform === 'win32' ? 'electron.exe' : 'electron'), '');
    expect(electronBinary(electronDir, { ELECTRON_OVERRIDE_DIST_PATH: dir })).not.toBeNull();
    const result = postinstall({ ELECTRON_MIRROR: 'http://127.0.0.1:9/' });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, '', '']);
  });

  it('respects ELECTRON_SKIP_BINARY_DOWNLOAD', () => {
    const result = postinstall({
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      ELECTRON_MIRROR: 'http://127.0.0.1:9/',
    });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, '', '']);
  });

  it('finds no binary in an empty folder', () => {
    const electronDir = electronPackageDir(PROJECT_ROOT);
    expect(electronDir).not.toBeNull();
    expect(electronBinary(electronDir!, { ELECTRON_OVERRIDE_DIST_PATH: dir })).toBeNull();
  });
});
