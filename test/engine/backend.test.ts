/**
 * Backend selection: the native packages cannot install here, so 'auto' must pass over both with the reason and
 * land on wasm with the project's kernels registered; explicit choices and PATCHGD_BACKEND are honoured or fail
 * with a UsageError that says why.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { describeBackend, selectBackend } from '../../core/learn/backend/backend.ts';
import { UsageError } from '../../core/base/errors.ts';
import { registerWasmKernels } from '../../core/learn/kernels/index.ts';

const WASM_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Identity',
  'Cast',
  'Minimum',
  'Greater',
  'Sum',
  'Mean',
  'Slice',
  'MaxPoolGrad',
  'PatchGDMaskedProduct',
  'PatchGDAdamUpdate',
  'PatchGDChannelDot',
  'PatchGDChannelCentre',
  'PatchGDChannelMoments',
  'PatchGDChannelAffine',
  'PatchGDChannelAffine2',
  'FusedConv2D',
  'PatchGDRelu6',
];

describe('selectBackend', () => {
  it('reports status before any backend started without starting one', () => {
    const status = describeBackend();
    expect(status).toMatchObject({ name: null, tfjsBackend: null, wasm: null, numTensors: 0 });
  });

  it('auto: skips the native backends with their reasons and runs wasm with our kernels', async () => {
    const uncaught = process.listenerCount('uncaughtException');
    const unhandled = process.listenerCount('unhandledRejection');
    const choice = await selectBackend({ env: {} });
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toBe(
      'auto: the first of tensorflow-gpu, webgpu, tensorflow, wasm, cpu that starts',
    );
    expect(choice.skipped).toEqual([
      { name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
      // No GPU here: no adapter at all, or only a software one (test/engine/webgpu-select.test.ts).
      {
        name: 'webgpu',
        reason: expect.stringMatching(/^(no WebGPU adapter|only a software adapter|the webgpu package)/),
      },
      { name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
    ]);
    expect(choice.adapter).toBeNull();
    expect(tf.getBackend()).toBe('wasm');
    for (const k of WASM_KERNELS) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    // The emscripten module's process-wide rethrowing handlers are removed again.
    expect(process.listenerCount('uncaughtException')).toBe(uncaught);
    expect(process.listenerCount('unhandledRejection')).toBe(unhandled);

    const t = tf.ones([256]);
    const status = describeBackend();
    expect(status.name).toBe('wasm');
    expect(status.tfjsBackend).toBe('wasm');
    expect(status.wasm).toEqual({
      simd: true,
      threads: false,
      kernels: WASM_KERNELS,
      // Relaxed SIMD: by V8's flag on Node 20, shipped on newer runtimes.
      multiplyAdd: 'fused',
      relaxedSimd: /^11\.3\./.test(process.versions.v8) ? 'enabled by flag' : 'shipped',
    });
    expect(status.numBytes).toBeGreaterThanOrEqual(1024);
    expect(status.numTensors).toBeGreaterThanOrEqual(1);
    t.dispose();
  });

  it('registers the wasm kernels exactly once', () => {
    const config = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    expect(registerWasmKernels()).toEqual(WASM_KERNELS);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(config);
  });

  it('honours PATCHGD_BACKEND, and the prefer argument over it', async () => {
    expect(await selectBackend({ env: { PATCHGD_BACKEND: 'CPU' } })).toEqual({
      name: 'cpu',
      reason: 'set by PATCHGD_BACKEND',
      skipped: [],
      adapter: null,
    });
    expect(tf.getBackend()).toBe('cpu');
    expect(describeBackend().wasm).toBeNull();
    // No tfjs banner urging tfjs-node on the first cpu tensor: the choice already says why it is not used.
    const warn = vi.spyOn(console, 'warn');
    try {
      tf.dispose(tf.ones([2]));
      expect(warn.mock.calls.flat().join(' ')).not.toMatch(/tfjs-node/);
    } finally {
      warn.mockRestore();
    }
    const choice = await selectBackend({ prefer: 'wasm', env: { PATCHGD_BACKEND: 'cpu' } });
    expect(choice).toEqual({ name: 'wasm', reason: 'asked for', skipped: [], adapter: null });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails with a UsageError naming the cause when the asked backend cannot run', async () => {
    const err = await selectBackend({ prefer: 'tensorflow', env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).problem).toBe(
      'backend tensorflow (asked for) cannot run: @tensorflow/tfjs-node is not installed',
    );
    const gpu = await selectBackend({ env: { PATCHGD_BACKEND: 'tensorflow-gpu' } }).catch((e: unknown) => e);
    expect((gpu as UsageError).problem).toMatch(
      /^backend tensorflow-gpu \(set by PATCHGD_BACKEND\) cannot run: /,
    );
    // The failed attempts leave the running backend alone.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend name, naming where it came from', async () => {
    const err = await selectBackend({ env: { PATCHGD_BACKEND: 'vulkan' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).file).toBe('PATCHGD_BACKEND');
    expect((err as UsageError).problem).toMatch(
      /unknown backend "vulkan"; use one of auto, tensorflow-gpu, webgpu/,
    );
  });
});
