/**
 * The project's SIMD Minimum and Greater on wasm against the cpu backend: same-shape operands, a scalar on either
 * side, sizes that leave a remainder after the SIMD steps, special values, and the fallbacks (broadcasting, int32).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';

interface Host {
  values: number[];
  shape: number[];
  dtype?: 'float32' | 'int32';
}

/** Deterministic values in [-8, 8), with exact ties against 6 and 0 (relu6's operands) mixed in. */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, (_, i) => {
    if (i % 7 === 3) return 6;
    if (i % 11 === 5) return 0;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 16 - 8;
  });
}

async function run(backend: string, kernel: string, a: Host, b: Host) {
  await tf.setBackend(backend);
  const ta = tf.tensor(a.values, a.shape, a.dtype ?? 'float32');
  const tb = tf.tensor(b.values, b.shape, b.dtype ?? 'float32');
  const out = tf.engine().runKernel(kernel, { a: ta, b: tb }) as tf.Tensor;
  const result = { shape: out.shape, dtype: out.dtype, values: Array.from(await out.data()) };
  tf.dispose([ta, tb, out]);
  return result;
}

const host = (shape: number[], seed: number, dtype?: 'float32' | 'int32'): Host => {
  const n = shape.reduce((x, y) => x * y, 1);
  const v = values(n, seed);
  return { values: dtype === 'int32' ? v.map(Math.round) : v, shape, ...(dtype ? { dtype } : {}) };
};

const CASES: [string, Host, Host][] = [
  ['same shape, 16k + remainder', host([3, 7, 5, 4], 1), host([3, 7, 5, 4], 2)],
  ['scalar a (relu6: minimum(6, x))', { values: [6], shape: [] }, host([2, 9, 13], 3)],
  ['scalar b, rank-1 scalar', host([5, 41], 4), { values: [0.5], shape: [1] }],
  ['scalar of higher rank than the tensor', { values: [-1], shape: [1, 1, 1] }, host([37], 5)],
  ['fewer elements than one SIMD step', host([3], 6), host([3], 7)],
  ['both scalars', { values: [2], shape: [] }, { values: [3], shape: [1] }],
  ['empty', { values: [], shape: [0, 3] }, { values: [], shape: [0, 3] }],
  [
    'special values',
    { values: [NaN, 1, Infinity, -Infinity, -0, 0, 6, NaN, 3, 5, -2, 1e-40, 7, 8, 9, 10, 11], shape: [17] },
    { values: [1, NaN, Infinity, 5, 0, -0, 6, NaN, -3, 5, -2, 0, 7, 8, 9, 10, -11], shape: [17] },
  ],
  ['broadcasting (shipped kernel)', host([4, 6], 8), host([6], 9)],
  ['int32 (shipped kernel)', host([40], 10, 'int32'), host([40], 11, 'int32')],
];

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe.each(['Minimum', 'Greater'])('%s on wasm matches cpu', (kernel) => {
  it.each(CASES)('%s', async (_name, a, b) => {
    const wasm = await run('wasm', kernel, a, b);
    const cpu = await run('cpu', kernel, a, b);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(wasm.dtype).toBe(cpu.dtype);
    // Exact: both are a comparison per element. NaN compares equal to NaN under toEqual.
    expect(wasm.values).toEqual(cpu.values);
  });
});

describe('SIMD elementwise kernels', () => {
  it('free their scalar broadcasts', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const six = tf.scalar(6);
    const x = tf.tensor(values(100, 12), [100]);
    const before = backend.numDataIds();
    const outs = [tf.minimum(six, x), tf.greater(six, x)];
    expect(backend.numDataIds()).toBe(before + outs.length);
    tf.dispose([six, x, ...outs]);
  });
});
