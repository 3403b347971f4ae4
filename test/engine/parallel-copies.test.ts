/**
 * The pool's bulk copies: gradients summed in place in their shared slots (in rank order, skipping workers that
 * wrote none), and tensors copied to and from shared buffers on wasm (through the heap) and cpu (which keeps the
 * arrays it is given) never alias the buffer, which is rewritten at the next step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { createGradientSlots, gradientSlot, sumSlots } from '../../core/learn/parallel/gradient-slots.ts';
import { copyOut, tensorOf } from '../../core/learn/parallel/tensor-copy.ts';
import { uniformValues } from '../helpers/tensors.ts';

describe('gradient slots', () => {
  it('gives each worker its own slot and sums the written ones in rank order, in place', () => {
    const buffer = createGradientSlots(3, 5);
    const slots = [0, 1, 2].map((rank) => gradientSlot(buffer, 3, rank));
    slots.forEach((slot, rank) => slot.set(uniformValues(5, rank + 1)));
    // Three disjoint views over the whole buffer.
    expect(new Set(slots.map((s) => s.byteOffset)).size).toBe(3);
    expect(slots.reduce((n, s) => n + s.byteLength, 0)).toBe(buffer.byteLength);

    const [a, c] = [uniformValues(5, 1), uniformValues(5, 3)];
    const sum = sumSlots(buffer, 3, [0, 2])!;
    expect(sum.byteOffset).toBe(slots[0]!.byteOffset);
    expect(Array.from(sum)).toEqual(Array.from(a, (x, i) => Math.fround(x + c[i]!)));
    expect(Array.from(slots[1]!)).toEqual(Array.from(uniformValues(5, 2)));
  });

  it('has no sum when no worker wrote gradients, and one writer is its own sum', () => {
    const buffer = createGradientSlots(2, 4);
    gradientSlot(buffer, 2, 1).set([1, 2, 3, 4]);
    expect(sumSlots(buffer, 2, [])).toBeNull();
    expect(Array.from(sumSlots(buffer, 2, [1])!)).toEqual([1, 2, 3, 4]);
  });
});

describe.each(['wasm', 'cpu'] as const)('tensor copies on %s', (backend) => {
  afterAll(async () => {
    await selectBackend({ prefer: 'wasm' });
  });

  it('copies a tensor into a shared buffer at an offset, and back into a tensor that does not alias it', async () => {
    await selectBackend({ prefer: backend });
    expect(tf.getBackend()).toBe(backend);
    const values = uniformValues(6, 7);
    const source = tf.tensor2d(values, [2, 3]);
    const shared = new Float32Array(new SharedArrayBuffer(4 * 10));
    copyOut(source, shared, 3);
    expect(Array.from(shared.subarray(3, 9))).toEqual(Array.from(values));
    expect([shared[2], shared[9]]).toEqual([0, 0]);

    const copy = tensorOf(shared.subarray(3, 9), [3, 2]);
    shared.fill(-1);
    expect(copy.shape).toEqual([3, 2]);
    expect(Array.from(copy.dataSync())).toEqual(Array.from(values));
    tf.dispose([source, copy]);
  });
});
