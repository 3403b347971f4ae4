/**
 * Whether a software WebGPU adapter can be created here, asked of a child process so that the test process's
 * own Dawn and Vulkan state stay untouched: null when it can, else why not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SWIFTSHADER_ICD_LOCATIONS } from '../../core/learn/backend/webgpu.ts';

const PROBE = `
import { create } from 'webgpu';
const adapter = await create([]).requestAdapter();
process.stdout.write(adapter ? 'ok' : 'no adapter');
`;

export function softwareAdapterProbe(): string | null {
  const icd = SWIFTSHADER_ICD_LOCATIONS.find((f) => existsSync(f));
  if (!icd) return 'no SwiftShader Vulkan driver (chromium) installed';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    env: { ...process.env, VK_ICD_FILENAMES: icd },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.stdout === 'ok') return null;
  return `no software WebGPU adapter: ${(r.stdout || r.stderr || String(r.error)).trim().split('\n')[0]}`;
}
