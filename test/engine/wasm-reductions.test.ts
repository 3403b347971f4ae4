/**
 * The project's SIMD Sum and Mean over the leading axes on wasm against the cpu backend, with the axis forms tfjs
 * passes (negative, unordered, keepDims), row counts across the two-level blocks, and the shipped fallbacks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

const values = (n: number, seed: number) => uniformValues(n, seed, -3, 5);

async function run(backend: string, kernel: string, shape: number[], attrs: object, dtype = 'float32') {
  await tf.setBackend(backend);
  const n = shape.reduce((a, b) => a * b, 1);
  const x =
    dtype === 'int32'
      ? tf.tensor(values(n, 3).map(Math.round), shape, 'int32')
      : tf.tensor(values(n, 3), shape);
  const out = tf.engine().runKernel(kernel, { x }, attrs as never) as tf.Tensor;
  const result = { shape: out.shape, dtype: out.dtype, values: (await out.data()) as Float32Array };
  tf.dispose([x, out]);
  return result;
}

const CASES: [string, number[], object, string?][] = [
  ['NHWC over N, H, W', [3, 5, 7, 8], { axis: [0, 1, 2], keepDims: false }],
  ['keepDims', [3, 5, 7, 8], { axis: [0, 1, 2], keepDims: true }],
  ['negative, unordered axes', [2, 3, 4, 12], { axis: [-2, 0, -3], keepDims: false }],
  ['rank 2, rows across two-level blocks', [300, 12], { axis: 0, keepDims: false }],
  ['many rows', [4, 64, 64, 16], { axis: [0, 1, 2], keepDims: false }],
  ['last axis (shipped)', [4, 6], { axis: 1, keepDims: false }],
  ['channels not a multiple of 4 (shipped)', [5, 6, 3], { axis: [0, 1], keepDims: false }],
  ['all axes (shipped)', [4, 8], { axis: [0, 1], keepDims: false }],
  ['int32 (shipped)', [6, 8], { axis: 0, keepDims: false }, 'int32'],
  ['no rows (shipped)', [0, 8], { axis: 0, keepDims: false }],
  ['no channels (shipped)', [5, 0], { axis: 0, keepDims: false }],
];

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe.each(['Sum', 'Mean'])('%s on wasm matches cpu', (kernel) => {
  it.each(CASES)('%s', async (_name, shape, attrs, dtype) => {
    const wasm = await run('wasm', kernel, shape, attrs, dtype);
    const cpu = await run('cpu', kernel, shape, attrs, dtype);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(wasm.dtype).toBe(cpu.dtype);
    expect(relError(wasm.values, cpu.values)).toBeLessThan(1e-6);
  });
});

describe('SIMD reductions', () => {
  it('leave only their output behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor(values(2 * 3 * 8, 5), [2, 3, 8]);
    const before = backend.numDataIds();
    const outs = [tf.sum(x, [0, 1]), tf.mean(x, [0, 1], true)];
    expect(backend.numDataIds()).toBe(before + outs.length);
    tf.dispose([x, ...outs]);
  });
});
