/**
 * Adam: the fused wasm update (one kernel per variable) against the op-by-op update it replaces, on wasm and on
 * cpu, over several steps with a changing learning rate and sizes that leave a remainder after the SIMD vectors;
 * and its state still saves and restores.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { ADAM_UPDATE, adamKernelConfig } from '../../core/learn/kernels/adam.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { uniformValues } from '../helpers/tensors.ts';

const SHAPES = [[3, 3, 3, 5], [7], [4, 4], [1]];

const values = (n: number, seed: number, scale: number) => uniformValues(n, seed, -scale, scale);

interface Run {
  params: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
  kernelsPerStep: number;
}

/** Four Adam steps on `backend` from fixed weights and gradients; parameters and moments after them. */
async function train(backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const variables = SHAPES.map((s, i) => tf.variable(tf.tensor(values(size(s), 10 + i, 1), s)));
  const adam = new Adam(variables);
  let kernelsPerStep = 0;
  for (let step = 0; step < 4; step++) {
    // Gradients of very different magnitudes, and zeros, so that ε and the corrections all matter.
    const grads = SHAPES.map((s, i) => tf.tensor(values(size(s), 100 * step + i, 10 ** (i - 2)), s));
    const lr = 1e-3 * (step + 1);
    const info = await tf.profile(() => adam.step(grads, lr));
    kernelsPerStep = info.kernels.length;
    tf.dispose(grads);
  }
  const state = await adam.getState();
  const params = await Promise.all(variables.map(async (v) => (await v.data()) as Float32Array));
  adam.dispose();
  tf.dispose(variables);
  return { params, m: state.m, v: state.v, kernelsPerStep };
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

afterAll(() => {
  // Leave the registry as the other tests expect it.
  if (!tf.getKernel(ADAM_UPDATE, 'wasm')) tf.registerKernel(adamKernelConfig);
});

describe('Adam', () => {
  it('fused on wasm: one kernel per variable, bit for bit the op-by-op update', async () => {
    const fused = await train('wasm');
    expect(fused.kernelsPerStep).toBe(SHAPES.length);
    tf.unregisterKernel(ADAM_UPDATE, 'wasm');
    const opByOp = await train('wasm');
    tf.registerKernel(adamKernelConfig);
    expect(opByOp.kernelsPerStep).toBeGreaterThan(10 * SHAPES.length);
    expect(fused.params).toEqual(opByOp.params);
    expect(fused.m).toEqual(opByOp.m);
    expect(fused.v).toEqual(opByOp.v);
  });

  it('fused on wasm matches the cpu backend', async () => {
    const fused = await train('wasm');
    const cpu = await train('cpu');
    for (const key of ['params', 'm', 'v'] as const)
      cpu[key].forEach((expected, i) => {
        const actual = fused[key][i]!;
        expected.forEach((e, k) =>
          expect(Math.abs(actual[k]! - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e))),
        );
      });
  });

  it('restores its state exactly and continues as if never stopped', async () => {
    await tf.setBackend('wasm');
    const make = () => [tf.variable(tf.tensor(values(135, 1, 1), [3, 3, 3, 5]))];
    const grads = () => [tf.tensor(values(135, 2, 0.1), [3, 3, 3, 5])];
    const [a, b] = [make(), make()];
    const first = new Adam(a);
    const g = grads();
    first.step(g, 1e-2);
    const resumed = new Adam(b);
    b[0]!.assign(a[0]!);
    resumed.setState(await first.getState());
    first.step(g, 1e-2);
    resumed.step(g, 1e-2);
    expect(resumed.iterations).toBe(2);
    expect(await b[0]!.data()).toEqual(await a[0]!.data());
    first.dispose();
    resumed.dispose();
    tf.dispose([...a, ...b, ...g]);
  });
});
