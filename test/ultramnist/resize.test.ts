import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../core/io/ultramnist/resize.ts';

describe('resizeBilinear', () => {
  it('returns the same pixels at the same size', () => {
    const src = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect(resizeBilinear(src, 4, 3, 4, 3)).toEqual(src);
  });

  it('averages 2×2 blocks when halving', () => {
    const src = Uint8Array.from([0, 100, 10, 10, 200, 100, 30, 50, 1, 1, 0, 0, 1, 1, 0, 4]);
    expect(Array.from(resizeBilinear(src, 4, 4, 2, 2))).toEqual([100, 25, 1, 1]);
  });

  it('keeps a flat image flat and interpolates between neighbours when enlarging', () => {
    expect(resizeBilinear(new Uint8Array(4).fill(77), 2, 2, 9, 9).every((v) => v === 77)).toBe(true);
    // 2 px → 4 px: centres at 0.25 and 0.75 of the way between the source pixels' centres.
    expect(Array.from(resizeBilinear(Uint8Array.from([0, 200]), 2, 1, 4, 1))).toEqual([0, 50, 150, 200]);
  });

  it('rejects a source whose length does not match its size', () => {
    expect(() => resizeBilinear(new Uint8Array(5), 2, 2, 4, 4)).toThrow(RangeError);
  });
});
