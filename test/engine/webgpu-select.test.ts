/**
 * How webgpu joins backend selection: what counts as a software adapter, how the software Vulkan driver is found,
 * and, on SwiftShader, that auto never picks a software adapter while --software-gpu (or PATCHGD_SOFTWARE_GPU=1)
 * runs on it, naming it; asking for webgpu without allowing software is a clear error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from '../../core/learn/backend/backend.ts';
import { Unavailable } from '../../core/learn/backend/unavailable.ts';
import {
  adapterLabel,
  isSoftwareAdapter,
  softwareVulkanEnvironment,
  SWIFTSHADER_ICD_LOCATIONS,
} from '../../core/learn/backend/webgpu.ts';
import { UsageError } from '../../core/base/errors.ts';
import { webgpuSuite } from '../helpers/webgpu.ts';
import { softwareAdapterProbe } from '../helpers/webgpu-probe.ts';

describe('software adapters', () => {
  it('are the fallback adapter or named as a CPU rasteriser', () => {
    const gpu = {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: '',
      description: 'NVIDIA GeForce RTX 3080',
    };
    expect(isSoftwareAdapter(gpu)).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' })).toBe(
      false,
    );
    expect(isSoftwareAdapter({ ...gpu, isFallbackAdapter: true })).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'google',
        architecture: 'swiftshader',
        description: 'SwiftShader driver 5.0.0',
      }),
    ).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(
      true,
    );
  });

  it('are labelled vendor, architecture and description', () => {
    expect(
      adapterLabel({
        vendor: 'google',
        architecture: 'swiftshader',
        description: 'SwiftShader driver 5.0.0',
      }),
    ).toBe('google swiftshader (SwiftShader driver 5.0.0)');
    expect(adapterLabel({ vendor: '', architecture: '', description: '' })).toBe('unnamed adapter');
  });
});

describe.runIf(process.platform === 'linux')('the software Vulkan driver', () => {
  const only = (file: string) => (f: string) => f === file;

  it('is the first SwiftShader manifest found, with a runtime folder, unless the user chose drivers', () => {
    const second = SWIFTSHADER_ICD_LOCATIONS[1];
    expect(softwareVulkanEnvironment({}, only(second))).toEqual({
      VK_ICD_FILENAMES: second,
      XDG_RUNTIME_DIR: expect.any(String),
    });
    expect(
      softwareVulkanEnvironment(
        { VK_ICD_FILENAMES: '/mine.json', XDG_RUNTIME_DIR: '/run/user/1' },
        () => false,
      ),
    ).toEqual({});
    expect(softwareVulkanEnvironment({ VK_DRIVER_FILES: '/mine.json' }, () => false)).toEqual({
      XDG_RUNTIME_DIR: expect.any(String),
    });
  });

  it('missing is a reason naming where it was looked for', () => {
    expect(() => softwareVulkanEnvironment({}, () => false)).toThrow(Unavailable);
    expect(() => softwareVulkanEnvironment({}, () => false)).toThrow(
      /no software Vulkan driver: none of \/usr\/lib\/chromium\/vk_swiftshader_icd.json/,
    );
  });
});

const unavailable = softwareAdapterProbe();

describe.skipIf(unavailable !== null)(webgpuSuite('selection on the software adapter', unavailable), () => {
  it('auto skips a software adapter, saying which; asking for webgpu without --software-gpu fails clearly', async () => {
    // The software driver is the only one Vulkan sees, as on a machine without a GPU driver.
    Object.assign(process.env, softwareVulkanEnvironment(process.env));
    const auto = await selectBackend({ env: {} });
    expect(auto.name).toBe('wasm');
    expect(auto.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(
      /^only a software adapter: google swiftshader \(SwiftShader driver [\d.]+\), slower than the CPU backends \(use --software-gpu/,
    );
    const forced = await selectBackend({ prefer: 'webgpu', env: {} }).catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(UsageError);
    expect((forced as UsageError).problem).toMatch(
      /^backend webgpu \(asked for\) cannot run: only a software adapter/,
    );
    expect(tf.getBackend()).toBe('wasm');
  });

  it('--software-gpu and PATCHGD_SOFTWARE_GPU=1 run on it, naming the adapter and its limits', async () => {
    const choice = await selectBackend({ prefer: 'webgpu', softwareGpu: true, env: {} });
    expect(choice).toEqual({
      name: 'webgpu',
      reason: 'asked for',
      skipped: [],
      adapter: expect.stringMatching(/^google swiftshader \(SwiftShader driver [\d.]+\), software$/),
    });
    expect(tf.getBackend()).toBe('webgpu');
    const status = describeBackend();
    expect(status.wasm).toBeNull();
    expect(status.webgpu).toMatchObject({ vendor: 'google', architecture: 'swiftshader', software: true });
    expect(status.webgpu!.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 ** 2);
    expect(status.webgpu!.maxBufferSize).toBeGreaterThanOrEqual(status.webgpu!.maxStorageBufferBindingSize);
    const t = tf.ones([64]);
    expect(describeBackend().numBytes).toBeGreaterThanOrEqual(256);
    expect(Array.from(await tf.sum(t).data())).toEqual([64]);
    t.dispose();

    await selectBackend({ prefer: 'wasm', env: {} });
    const fromEnv = await selectBackend({ env: { PATCHGD_BACKEND: 'webgpu', PATCHGD_SOFTWARE_GPU: '1' } });
    expect(fromEnv).toMatchObject({ name: 'webgpu', reason: 'set by PATCHGD_BACKEND' });
    // Auto still passes over it, even now that it runs.
    const auto = await selectBackend({ env: {} });
    expect(auto.name).toBe('wasm');
    expect(auto.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/^only a software adapter/);
  });
});
