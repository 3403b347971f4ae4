import { describe, expect, it } from 'vitest';
import { meanBlocks, modeBlocks } from '../../core/io/demo/pyramid.ts';

describe('meanBlocks', () => {
  it('averages full blocks and only the valid part of edge blocks', () => {
    const size = 8;
    const rgb = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        rgb.set([x * 10, y * 10, x < 6 && y < 5 ? 100 : 255], (y * size + x) * 3);
    const m = meanBlocks(rgb, size, 6, 5, 4);
    expect([m.width, m.height]).toEqual([2, 2]);
    // Block (0,0): x 0..3, y 0..3 → mean x = 1.5, mean y = 1.5.
    expect(Array.from(m.data.subarray(0, 3))).toEqual([15, 15, 100]);
    // Block (1,1): x 4..5, y 4 only (the rest lies outside the 6×5 valid area).
    expect(Array.from(m.data.subarray(9, 12))).toEqual([45, 40, 100]);
  });
});

describe('modeBlocks', () => {
  it('takes the most frequent label and breaks ties towards the higher label', () => {
    const size = 4;
    const labels = Uint8Array.from([1, 1, 3, 3, 1, 2, 3, 1, 0, 0, 5, 5, 0, 0, 2, 2]);
    const m = modeBlocks(labels, size, 4, 4, 2);
    expect(Array.from(m.data)).toEqual([1, 3, 0, 5]);
  });
});
