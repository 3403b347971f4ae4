/**
 * Every layer configuration the backbones (ResNet50, MobileNetV2, small) and the head use, forward and backward
 * in training mode, on the software WebGPU adapter against wasm: the layer's output, and the gradients of
 * Σ output·r with respect to its inputs and its weights. On wasm the project's own kernels run (batch norm's
 * channel passes, relu6, the masked activation gradients, the convolution gradients); on webgpu the same layers
 * fall back to stock tfjs ops, so this also checks that every fallback computes what our kernels compute. The
 * audit checks that every kernel a training step of each model touches has a webgpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { createBackbone, createHead, SpatialDropout2D } from '../../core/learn/models/index.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';
import { startSoftwareWebgpu, webgpuSuite } from '../helpers/webgpu.ts';

const TOLERANCE = 1e-4;

interface Host {
  values: Float32Array;
  shape: number[];
}

interface LayerCase {
  key: string;
  layer: tfl.layers.Layer;
  inputs: Host[];
  cotangent: Host;
}

interface LayerResult {
  output: Float32Array;
  grads: Float32Array[];
}

function models(): Record<string, tfl.LayersModel> {
  return {
    resnet50: createBackbone('resnet50', { patchSize: 32, latentDim: 8, seed: 1 }),
    mobilenetv2: createBackbone('mobilenetv2', {
      patchSize: 32,
      latentDim: 8,
      widthMultiplier: 0.35,
      seed: 2,
    }),
    small: createBackbone('small', { patchSize: 16, latentDim: 8, seed: 3 }),
    head: createHead({ k: 4, latentDim: 8, numClasses: 3, seed: 4, dropout: 0.2 }),
  };
}

/** The layer's configuration without what does not change its computation (names, initialisers, widths). */
function configKey(layer: tfl.layers.Layer, rank: number): string {
  const config = { ...layer.getConfig() } as Record<string, unknown>;
  for (const k of Object.keys(config))
    if (/name|initializer|regularizer|constraint|filters|units|trainable|dtype|inputShape/i.test(k))
      delete config[k];
  return `${layer.getClassName()} rank ${rank} ${JSON.stringify(config)}`;
}

/** One case per distinct layer configuration, with batch-2 inputs and a cotangent for its output. */
function layerCases(all: Record<string, tfl.LayersModel>): LayerCase[] {
  const cases = new Map<string, LayerCase>();
  let seed = 1;
  for (const [model, m] of Object.entries(all))
    for (const layer of m.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const input = layer.input;
      const shapes = (Array.isArray(input) ? input : [input]).map((t) => t.shape);
      const key = configKey(layer, shapes[0]!.length);
      if (cases.has(key)) continue;
      const concrete = shapes.map((s) => s.map((d) => d ?? 2));
      const outShape = layer.computeOutputShape(concrete.length === 1 ? concrete[0]! : concrete) as number[];
      const host = (shape: number[]): Host => ({
        values: uniformValues(
          shape.reduce((a, b) => a * b, 1),
          seed++,
        ),
        shape,
      });
      cases.set(key, {
        key: `${model}: ${key}`,
        layer,
        inputs: concrete.map(host),
        cotangent: host(outShape),
      });
    }
  return [...cases.values()];
}

/** Output and gradients (inputs, then trainable weights) of one layer on the running backend. */
async function runLayer(c: LayerCase): Promise<LayerResult> {
  const xs = c.inputs.map((h) => tf.variable(tf.tensor(h.values, h.shape)));
  const r = tf.tensor(c.cotangent.values, c.cotangent.shape);
  const weights = c.layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const apply = () => {
    // Dropout draws its mask from a seed that each call advances: the same mask on both backends and both calls.
    if (c.layer instanceof SpatialDropout2D) c.layer.setSeed(11);
    return c.layer.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;
  };
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(apply(), r)) as tf.Scalar,
    [...xs, ...weights],
  );
  const y = apply();
  const result = {
    output: (await y.data()) as Float32Array,
    grads: await Promise.all(
      [...xs, ...weights].map(async (v) => (await grads[v.name]!.data()) as Float32Array),
    ),
  };
  tf.dispose([value, y, r, ...xs, ...Object.values(grads)]);
  return result;
}

/** Two Adam updates of three variables with the project's optimizer (fused kernel on wasm, stock ops elsewhere). */
async function adamUpdates(): Promise<Float32Array[]> {
  const shapes = [[3, 3, 4, 8], [8], [5, 7]];
  const vars = shapes.map((s, i) =>
    tf.variable(
      tf.tensor(
        uniformValues(
          s.reduce((a, b) => a * b),
          40 + i,
        ),
        s,
      ),
    ),
  );
  const adam = new Adam(vars);
  for (const step of [0, 1]) {
    const grads = shapes.map((s, i) =>
      tf.tensor(
        uniformValues(
          s.reduce((a, b) => a * b),
          50 + 3 * step + i,
        ),
        s,
      ),
    );
    adam.step(grads, 1e-2);
    tf.dispose(grads);
  }
  const out = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
  adam.dispose();
  tf.dispose(vars);
  return out;
}

/** tf.batchNorm (FusedBatchNorm, whose gradient the project replaces) with every gradient. */
async function fusedBatchNorm(): Promise<Float32Array[]> {
  const [x, mean, variance, offset, scale] = [[2, 3, 3, 8], [8], [8], [8], [8]].map((s, i) =>
    tf.tensor(
      uniformValues(
        s.reduce((a, b) => a * b),
        60 + i,
        i === 2 ? 0.5 : -1,
        i === 2 ? 2 : 1,
      ),
      s,
    ),
  );
  const r = tf.tensor(uniformValues(2 * 3 * 3 * 8, 70), [2, 3, 3, 8]);
  const f = (...t: tf.Tensor[]) =>
    tf.sum(tf.mul(tf.batchNorm(t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, 1e-3), r)) as tf.Scalar;
  const inputs = [x!, mean!, variance!, offset!, scale!];
  const grads = tf.grads(f)(inputs);
  const out = await Promise.all([f(...inputs), ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...inputs, r, ...grads]);
  return out;
}

const unavailable = await startSoftwareWebgpu();

describe.skipIf(unavailable !== null)(webgpuSuite('webgpu against wasm, layer by layer', unavailable), () => {
  let cases: LayerCase[] = [];
  let reference: LayerResult[] = [];
  let adamReference: Float32Array[] = [];
  let batchNormReference: Float32Array[] = [];
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm', env: {} });
    cases = layerCases(models());
    reference = [];
    for (const c of cases) reference.push(await runLayer(c));
    adamReference = await adamUpdates();
    batchNormReference = await fusedBatchNorm();
    // From here on, webgpu: its tensors cannot move back (webgpu has no synchronous read in Node).
    await tf.setBackend('webgpu');
  });

  it('AddN of more tensors than a shader may bind sums them all (grouped)', async () => {
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits
      .maxStorageBuffersPerShaderStage;
    const n = 2 * limit + 3;
    const parts = Array.from({ length: n }, (_, i) => tf.tensor1d(uniformValues(37, 80 + i)));
    const expected = new Float32Array(37);
    for (const p of parts) (await p.data()).forEach((v, j) => (expected[j]! += v));
    const before = tf.memory().numTensors;
    const sum = tf.addN(parts);
    expect(relError((await sum.data()) as Float32Array, expected)).toBeLessThan(1e-6);
    sum.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU).toBeGreaterThan(0);
    tf.dispose(parts);
  });

  it('the Adam update (the fused wasm kernel there, stock ops here) and tf.batchNorm with its gradients', async () => {
    expect(tf.getKernel('PatchGDAdamUpdate', 'webgpu')).toBeUndefined();
    (await adamUpdates()).forEach((v, i) =>
      expect(relError(v, adamReference[i]!), `variable ${i}`).toBeLessThan(1e-6),
    );
    (await fusedBatchNorm()).forEach((v, i) =>
      expect(relError(v, batchNormReference[i]!), `output/gradient ${i}`).toBeLessThan(TOLERANCE),
    );
  });

  it('every layer configuration of the three backbones and the head: output and gradients', async () => {
    expect(cases.length).toBeGreaterThan(15);
    const kinds = new Set(cases.map((c) => c.layer.getClassName()));
    for (const k of [
      'Conv2D',
      'DepthwiseConv2D',
      'PatchgdSyncBatchNorm',
      'MaxPooling2D',
      'Dense',
      'PatchgdSpatialDropout2D',
    ])
      expect([...kinds], k).toContain(k);
    for (const [i, c] of cases.entries()) {
      const gpu = await runLayer(c);
      const ref = reference[i]!;
      expect(relError(gpu.output, ref.output), `${c.key}: output`).toBeLessThan(TOLERANCE);
      gpu.grads.forEach((g, j) =>
        expect(relError(g, ref.grads[j]!), `${c.key}: gradient ${j}`).toBeLessThan(TOLERANCE),
      );
    }
  });
});
