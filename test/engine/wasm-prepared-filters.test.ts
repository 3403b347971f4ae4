/**
 * Prepared filters (`prepared-filters.ts`): the forward convolution and the input gradient pack a filter once per
 * filter data, reuse it while that data lives (with results unchanged), and free it once the data is gone — as
 * when the optimizer writes new weights into a variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { preparedFilterBytes } from '../../core/learn/kernels/prepared-filters.ts';
import { profiled } from '../../core/learn/runner/memory.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

const X: [number, number, number, number] = [2, 6, 6, 16];
// 64 output channels: the input gradient then runs as the forward GEMMs on dy (`conv-grads.ts`).
const F: [number, number, number, number] = [1, 1, 16, 64];

/** Prepared filters held, counted in filters of F's size. */
const held = () => preparedFilterBytes(tf.backend()) / (tf.util.sizeFromShape(F) * 4);
const conv = (x: tf.Tensor4D, f: tf.Tensor4D) => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'valid' });

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', env: {} });
});

describe('prepared filters on wasm', () => {
  it('packs a filter once, reuses it with the same results, and frees it with the filter data', () => {
    const x = tf.tensor4d(uniformValues(tf.util.sizeFromShape(X), 1), X);
    // A variable shares its initial and assigned values' data: dispose those, as training code's tidy scopes do.
    const weights = (seed: number) => tf.tensor4d(uniformValues(tf.util.sizeFromShape(F), seed), F);
    const init = weights(2);
    const f = tf.variable(init);
    init.dispose();
    const start = held();
    const first = conv(x, f as tf.Tensor4D);
    expect(held()).toBe(start + 1);
    const again = conv(x, f as tf.Tensor4D);
    expect(held()).toBe(start + 1);
    expect(Array.from(again.dataSync())).toEqual(Array.from(first.dataSync()));

    // New weights are new data: the next call packs them and frees the old packing.
    const next = weights(3);
    f.assign(next);
    next.dispose();
    const updated = conv(x, f as tf.Tensor4D);
    expect(held()).toBe(start + 1);
    const expected = tf.tidy(() =>
      tf.sum(tf.mul(tf.reshape(x, [2, 6, 6, 16, 1]), tf.reshape(f, [16, 64])), 3),
    );
    expect(relError(updated.dataSync() as Float32Array, expected.dataSync() as Float32Array)).toBeLessThan(
      1e-5,
    );

    // The input gradient packs its own (rotated) variant of the same filter.
    const dx = tf.grad((input: tf.Tensor) => tf.sum(conv(input as tf.Tensor4D, f as tf.Tensor4D)))(x);
    expect(held()).toBe(start + 2);
    const dxExpected = tf.tidy(() => tf.broadcastTo(tf.reshape(tf.sum(f, 3), [1, 1, 1, 16]), X));
    expect(relError(dx.dataSync() as Float32Array, dxExpected.dataSync() as Float32Array)).toBeLessThan(1e-5);

    tf.dispose([first, again, updated, expected, dx, dxExpected, f]);
    // Nothing is freed until a convolution looks again; then everything of the disposed filter goes.
    const other = weights(4);
    const y = conv(x, other);
    expect(held()).toBe(start + 1);
    tf.dispose([y, other, x]);
  });

  it("count in a step's measured memory peak", async () => {
    const x = tf.tensor4d(uniformValues(tf.util.sizeFromShape(X), 5), X);
    const f = tf.tensor4d(uniformValues(tf.util.sizeFromShape(F), 6), F);
    const step = () => conv(x, f).dispose();
    const { peakBytes } = await profiled(step);
    const tensorsOnly = (await tf.profile(step)).peakBytes;
    expect(preparedFilterBytes(tf.backend())).toBe(tf.util.sizeFromShape(F) * 4);
    expect(peakBytes).toBe(tensorsOnly + tf.util.sizeFromShape(F) * 4);
    tf.dispose([x, f]);
  });
});
