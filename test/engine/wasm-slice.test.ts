/** The project's Slice (heap copies of its contiguous runs) on wasm against the cpu backend, every dtype. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';

const ramp = (shape: number[]) =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 3);

async function run(backend: string, shape: number[], begin: number[], size: number[], dtype: tf.DataType) {
  await tf.setBackend(backend);
  const values = ramp(shape);
  const x = dtype === 'string' ? tf.tensor(values.map(String), shape) : tf.tensor(values, shape, dtype);
  const out = tf.engine().runKernel('Slice', { x }, { begin, size } as never) as tf.Tensor;
  const result = { shape: out.shape, dtype: out.dtype, values: Array.from(await out.data()) };
  tf.dispose([x, out]);
  return result;
}

const CASES: [string, number[], number[], number[], tf.DataType][] = [
  ['the gradient of a zero padding (rank 4)', [2, 6, 7, 5], [0, 1, 1, 0], [2, 4, 5, 5], 'float32'],
  ['rank 3, size -1 to the end', [3, 4, 6], [1, 0, 2], [-1, 3, -1], 'float32'],
  ['contiguous rows', [5, 4], [1, 0], [3, 4], 'float32'],
  ['rank 1', [9], [2], [5], 'float32'],
  ['the whole tensor', [2, 3], [0, 0], [2, 3], 'float32'],
  ['nothing', [4, 3], [1, 0], [0, 3], 'float32'],
  ['rank 5, a middle axis', [2, 3, 4, 2, 3], [1, 0, 1, 0, 0], [1, 3, 2, 2, 3], 'float32'],
  ['int32', [4, 5], [1, 1], [2, 3], 'int32'],
  ['bool', [4, 5], [1, 1], [2, 3], 'bool'],
  ['string (shipped)', [4, 2], [1, 0], [2, 2], 'string'],
];

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('Slice on wasm matches cpu', () => {
  it.each(CASES)('%s', async (_name, shape, begin, size, dtype) => {
    const wasm = await run('wasm', shape, begin, size, dtype);
    expect(wasm).toEqual(await run('cpu', shape, begin, size, dtype));
  });
});
