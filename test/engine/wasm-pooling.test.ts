/**
 * The project's SIMD MaxPoolGrad on wasm against the cpu backend: the gradient of max pooling through tf.grad,
 * with tied maxima in the windows (the first one takes the gradient, as on cpu), both paddings, strides 1 and 2.
 * The shipped kernel, still used for channel counts not a multiple of 4, gives a tie to the last maximum instead,
 * so its case has none.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';

type Shape4 = [number, number, number, number];

/** Small integers, so that windows hold tied maxima; or all distinct. */
const values = (n: number, seed: number, ties: boolean) =>
  Array.from({ length: n }, (_, i) =>
    ties ? ((i * 7 + seed) * 13) % 5 : ((i * 7919 + seed) % 1009) + i / n,
  );

async function poolGrad(backend: string, shape: Shape4, size: number, stride: number, pad: 'same' | 'valid') {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values(shape[0] * shape[1] * shape[2] * shape[3], 1, shape[3] % 4 === 0), shape);
  const pooled = tf.maxPool(x, size, stride, pad);
  const weights = tf.tensor(
    values(pooled.size, 2, true).map((v) => v - 1.5),
    pooled.shape,
  );
  const loss = (t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), weights));
  const grad = tf.grad(loss)(x);
  const result = Array.from(await grad.data());
  tf.dispose([x, pooled, weights, grad]);
  return result;
}

const CASES: [string, Shape4, number, number, 'same' | 'valid'][] = [
  ['3×3 stride 2 valid (ResNet50)', [2, 9, 9, 8], 3, 2, 'valid'],
  ['3×3 stride 2 same', [2, 8, 7, 4], 3, 2, 'same'],
  ['2×2 stride 1 same (overlapping windows)', [1, 5, 6, 4], 2, 1, 'same'],
  ['3 channels, no ties (shipped)', [1, 6, 6, 3], 3, 2, 'same'],
];

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('max pooling gradient on wasm matches cpu', () => {
  it.each(CASES)('%s', async (_name, shape, size, stride, pad) => {
    const wasm = await poolGrad('wasm', shape, size, stride, pad);
    expect(wasm).toEqual(await poolGrad('cpu', shape, size, stride, pad));
    expect(wasm.some((v) => v !== 0)).toBe(true);
  });
});
