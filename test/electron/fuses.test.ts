import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../build/bundle.ts';

const require = createRequire(import.meta.url);
const hook = require(path.join(PROJECT_ROOT, 'build', 'fuses.cjs')) as {
  default(context: unknown): Promise<void>;
  FUSES: Record<string, boolean>;
};

// The fuse wire as Electron binaries carry it: sentinel, version 1, wire length, one byte per fuse.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 49;
const DISABLE = 48;
const WIRE_ORDER = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
  'WasmTrapHandlers',
];
/** Electron's defaults: RunAsNode, NODE_OPTIONS, inspect, file:// privileges and wasm trap handlers on. */
const DEFAULT_WIRE = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE, ENABLE];

describe('afterPack fuses hook', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchgd-fuses-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('flips the fuses in the packaged Linux binary', async () => {
    const binary = path.join(dir, 'patchgd-studio');
    const padding = Buffer.alloc(4096, 0x90);
    const wire = Buffer.from([...Buffer.from(SENTINEL), 1, DEFAULT_WIRE.length, ...DEFAULT_WIRE]);
    await fs.writeFile(binary, Buffer.concat([padding, wire, padding]));

    await hook.default({
      electronPlatformName: 'linux',
      appOutDir: dir,
      arch: 1,
      packager: { executableName: 'patchgd-studio', appInfo: { productFilename: 'PatchGD Studio' } },
    });

    const bytes = await fs.readFile(binary);
    const at = bytes.indexOf(SENTINEL) + SENTINEL.length + 2;
    const flipped = Object.fromEntries(WIRE_ORDER.map((name, i) => [name, bytes[at + i] === ENABLE]));
    expect(flipped).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      // Not configured: left as the binary had it.
      LoadBrowserProcessSpecificV8Snapshot: false,
      GrantFileProtocolExtraPrivileges: false,
      WasmTrapHandlers: true,
    });
    expect(bytes.length).toBe(padding.length * 2 + wire.length);
  });

  it('fails loudly on a binary without a fuse wire instead of shipping it unflipped', async () => {
    await fs.writeFile(path.join(dir, 'patchgd-studio'), Buffer.alloc(1024));
    await expect(
      hook.default({
        electronPlatformName: 'linux',
        appOutDir: dir,
        arch: 1,
        packager: { executableName: 'patchgd-studio', appInfo: { productFilename: 'PatchGD Studio' } },
      }),
    ).rejects.toThrow(/sentinel/);
  });
});
