/**
 * The software WebGPU adapter for tests: SwiftShader through Dawn's Vulkan backend (`core/learn/backend/webgpu.ts`).
 * `.ci/run` installs what it needs (libvulkan1, chromium's SwiftShader driver); elsewhere the webgpu tests are
 * skipped, with the reason in their suite's name.
 */
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { describeError } from '../../core/base/errors.ts';

/** Starts webgpu on the software adapter (the process stays able to switch backends); null, or why it cannot. */
export async function startSoftwareWebgpu(): Promise<string | null> {
  try {
    await selectBackend({ prefer: 'webgpu', softwareGpu: true, env: {} });
    return null;
  } catch (err) {
    return describeError(err);
  }
}

/** A suite title that carries why it is skipped, when it is. */
export function webgpuSuite(title: string, unavailable: string | null): string {
  return unavailable ? `${title} (skipped: ${unavailable})` : title;
}
