/**
 * The project's FusedBatchNorm gradient against tfjs-core's own, on cpu and wasm: random NHWC shapes, statistics from the batch (as training-mode batch norm computes them) or fixed, the
 * fallback for non-[C] statistics, and proof that a tfjs-layers BatchNormalization trains with ours.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FusedBatchNorm, getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { shippedBatchNormGradient } from '../../core/learn/kernels/batch-norm-grad.ts';
import { uniformValues } from '../helpers/tensors.ts';

type Shape4 = [number, number, number, number];

function random(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(uniformValues(tf.util.sizeFromShape(shape), seed, lo, hi), shape);
}

// Always with scale and offset: tfjs-core 4.22 cannot record tf.batchNorm without them for gradients (the engine
// fails cloning the missing scale it saves, the tape on the missing offset), whichever gradient is registered.
interface Case {
  shape: Shape4;
  /** Statistics from the batch itself (gradients flow through them to x), else fixed inputs. */
  batchStats: boolean;
  /** Differentiate with respect to x alone (the others held constant), else every input. */
  xOnly?: boolean;
  /** Shape of the fixed statistics, scale and offset: [C] unless testing the fallback. */
  paramShape?: number[];
}

const CASES: Case[] = [
  { shape: [2, 5, 7, 3], batchStats: false },
  { shape: [3, 4, 4, 8], batchStats: false },
  { shape: [1, 6, 3, 5], batchStats: false, xOnly: true },
  { shape: [2, 3, 9, 16], batchStats: false },
  { shape: [4, 8, 8, 6], batchStats: true },
  { shape: [2, 5, 5, 12], batchStats: true },
  // tfjs-core's gradient (our fallback here) handles statistics of rank 4 only for x.
  { shape: [2, 4, 6, 7], batchStats: false, xOnly: true, paramShape: [1, 1, 1, 7] },
];

/** Gradients of Σ w·batchNorm(…) with respect to the case's inputs, as flat arrays by name. */
function gradients(c: Case, seed: number): Record<string, Float32Array> {
  return tf.tidy(() => {
    const paramShape = c.paramShape ?? [c.shape[3]];
    const inputs: Record<string, tf.Tensor> = {
      x: random(c.shape, seed, -2, 3),
      mean: random(paramShape, seed + 1),
      variance: random(paramShape, seed + 2, 0.1, 2),
      scale: random(paramShape, seed + 3, 0.5, 1.5),
      offset: random(paramShape, seed + 4),
    };
    if (c.batchStats) {
      delete inputs.mean;
      delete inputs.variance;
    }
    const weights = random(c.shape, seed + 5);
    const names = c.xOnly ? ['x'] : Object.keys(inputs);
    const loss = (...args: tf.Tensor[]) => {
      const t = { ...inputs, ...Object.fromEntries(names.map((n, i) => [n, args[i]!])) };
      const { mean, variance } = c.batchStats ? tf.moments(t.x!, [0, 1, 2]) : t;
      return tf.sum(tf.mul(tf.batchNorm(t.x!, mean!, variance!, t.offset, t.scale, 1e-3), weights));
    };
    const grads = tf.grads(loss)(names.map((n) => inputs[n]!));
    return Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array]));
  });
}

/** ‖a − b‖ / ‖b‖. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** Runs `f` with tfjs-core's gradient registered in place of ours. */
function withShipped<T>(f: () => T): T {
  const ours = getGradient(FusedBatchNorm)!;
  registerGradient(shippedBatchNormGradient()!);
  try {
    return f();
  } finally {
    registerGradient(ours);
  }
}

let ours: GradConfig;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', env: {} });
  ours = getGradient(FusedBatchNorm)!;
});

describe('FusedBatchNorm gradient', () => {
  it('is registered by selectBackend in place of the shipped one', () => {
    const shipped = shippedBatchNormGradient();
    expect(shipped).not.toBeNull();
    expect(ours.gradFunc).not.toBe(shipped!.gradFunc);
    expect(ours.inputsToSave).toEqual(shipped!.inputsToSave);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches tfjs-core's gradient on ${backend}`, async () => {
      await selectBackend({ prefer: backend, env: {} });
      CASES.forEach((c, i) => {
        const seed = 1000 * (i + 1);
        const fast = gradients(c, seed);
        const reference = withShipped(() => gradients(c, seed));
        expect(Object.keys(fast).sort()).toEqual(Object.keys(reference).sort());
        for (const name of Object.keys(reference)) {
          const err = relativeError(fast[name]!, reference[name]!);
          expect(err, `${backend} case ${i} d${name}`).toBeLessThan(1e-4);
        }
      });
    });
  }

  it('is what a tfjs-layers BatchNormalization trains with on wasm: same gradients, no Tile, no leak', async () => {
    await tf.setBackend('wasm');
    const layer = tfl.layers.batchNormalization({ axis: -1 });
    // x a variable too: its gradient flows back through the batch moments as well as directly.
    const x = tf.variable(random([2, 6, 6, 8], 7, -1, 3));
    const weights = random([2, 6, 6, 8], 8);
    const loss = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, weights)) as tf.Scalar;
    tf.dispose(loss()); // builds the layer
    const variables = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    const step = () => {
      const { value, grads } = tf.variableGrads(loss, variables);
      const values = Object.keys(grads)
        .sort()
        .map((name) => grads[name]!.dataSync() as Float32Array);
      tf.dispose([value, ...Object.values(grads)]);
      return values;
    };
    const fast = step();
    expect(fast.length).toBe(3); // x, gamma and beta
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => void step());
    expect(tf.memory().numTensors).toBe(before);
    const kernels = new Set(profile.kernels.map((k) => k.name));
    expect(kernels.has('FusedBatchNorm')).toBe(true);
    expect(kernels.has('Tile')).toBe(false);
    registerGradient(shippedBatchNormGradient()!);
    try {
      const shippedProfile = await tf.profile(() => {
        step().forEach((reference, i) => expect(relativeError(fast[i]!, reference)).toBeLessThan(1e-4));
      });
      expect(shippedProfile.kernels.some((k) => k.name === 'Tile')).toBe(true);
    } finally {
      registerGradient(ours);
    }
    layer.dispose();
    tf.dispose([x, weights]);
  });
});
