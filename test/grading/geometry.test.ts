import { describe, expect, it } from 'vitest';
import {
  attentionGrid,
  blendAttention,
  cellRect,
  colorAt,
  patchGridGeometry,
  tissueOnPatchGrid,
} from '../../core/learn/grading/index.ts';
import type { TissueMask } from '../../core/io/slide/index.ts';

// A 1000×600 slide read as a 100 px square (scale 10): content 100×60, 20 px patches → k = 5, cells of 200 l0 px.
const geometry = patchGridGeometry(5, 20, 10, 1000, 600);

describe('patch grid geometry', () => {
  it('maps patch cells to level-0 rectangles, the padding to empty ones', () => {
    expect(geometry.cell).toBe(200);
    expect(cellRect(geometry, 0, 0)).toEqual([0, 0, 200, 200]);
    expect(cellRect(geometry, 1, 4)).toEqual([800, 200, 1000, 400]);
    // Row 2 reaches y = 600 exactly; rows 3 and 4 lie in the white padding below the slide.
    expect(cellRect(geometry, 2, 0)).toEqual([0, 400, 200, 600]);
    const [, y0, , y1] = cellRect(geometry, 3, 2);
    expect(y1 - y0).toBe(0);
  });

  it('resamples a finer tissue mask to the patch grid; padding is never tissue', () => {
    // Mask cells of 50 l0 px (4×4 per patch); tissue only in l0 x ∈ [600, 800), y ∈ [200, 300).
    const mask: TissueMask = {
      gridWidth: 20,
      gridHeight: 12,
      cellWidth: 50,
      cellHeight: 50,
      values: new Uint8Array(240),
    };
    for (let y = 4; y < 6; y++) for (let x = 12; x < 16; x++) mask.values[y * 20 + x] = 1;
    const tissue = tissueOnPatchGrid(mask, geometry);
    const on = [...tissue.keys()].filter((i) => tissue[i]);
    expect(on).toEqual([1 * 5 + 3]); // row 1, column 3: 8 of its 16 mask cells are tissue
    // A share below the threshold does not count.
    expect(tissueOnPatchGrid(mask, geometry, 0.75)[8]).toBe(0);
    const full = { ...mask, values: new Uint8Array(240).fill(1) };
    const all = tissueOnPatchGrid(full, geometry);
    expect(Array.from(all.subarray(0, 15)).every((v) => v === 1)).toBe(true);
    expect(Array.from(all.subarray(15)).every((v) => v === 0)).toBe(true);
  });

  it('normalises tissue scores to [0, 1] and masks the rest as null', () => {
    const raw = Array.from({ length: 25 }, (_, i) => i);
    const tissue = Array.from({ length: 25 }, (_, i) => (i < 15 && i !== 3 ? 1 : 0));
    const label = { method: 'gradcam', explains: 'grade', target: 2 } as const;
    const grid = attentionGrid(raw, tissue, geometry, label);
    expect(grid).toMatchObject({
      gridWidth: 5,
      gridHeight: 5,
      dx: 200,
      dy: 200,
      origin: [0, 0, 0],
      target: 2,
    });
    expect(grid.values[14]).toBe(1);
    expect(grid.values[7]).toBeCloseTo(7 / 14, 12);
    expect(grid.values[3]).toBeNull();
    expect(grid.values.slice(15).every((v) => v === null)).toBe(true);
    // No positive score on tissue: all zeros, not NaN.
    expect(attentionGrid(new Array(25).fill(0), tissue, geometry, label).values[0]).toBe(0);
    expect(() => attentionGrid([1, 2], tissue, geometry, label)).toThrow(/25 scores/);
    // A scale (the slide's cancer probability) caps the map below 1.
    const scaled = attentionGrid(raw, tissue, geometry, { ...label, explains: 'cancer' }, 0.25);
    expect(scaled.values[14]).toBeCloseTo(0.25, 12);
    expect(scaled.values[7]).toBeCloseTo((0.25 * 7) / 14, 12);
    expect(scaled.values[3]).toBeNull();
  });
});

describe('overlay', () => {
  it('has the colormap ends of viridis and turbo', () => {
    expect(colorAt('viridis', 0)).toEqual([0x44, 0x01, 0x54]);
    expect(colorAt('viridis', 1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(colorAt('turbo', 0)).toEqual([0x30, 0x12, 0x3b]);
    expect(colorAt('viridis', 2)).toEqual(colorAt('viridis', 1));
  });

  it('colours thumbnail pixels by the cell under them and leaves masked cells alone', () => {
    // Thumbnail 10×6 of the 1000×600 slide: 1 thumbnail px = 100 l0 px, a cell = 2×2 thumbnail px.
    const thumb = { width: 10, height: 6, data: new Uint8Array(180).fill(255) };
    const values: (number | null)[] = new Array(25).fill(null);
    values[1 * 5 + 3] = 1; // row 1, column 3 → thumbnail x 6–7, y 2–3
    const grid = {
      method: 'gradcam' as const,
      explains: 'grade' as const,
      target: 0,
      gridWidth: 5,
      gridHeight: 5,
      origin: [0, 0, 0] as [number, number, number],
      dx: 200,
      dy: 200,
      values,
    };
    const out = blendAttention(thumb, grid, 1000, 600, { colormap: 'viridis', alpha: 1 });
    const px = (x: number, y: number) =>
      Array.from(out.data.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3));
    for (const [x, y] of [
      [6, 2],
      [7, 2],
      [6, 3],
      [7, 3],
    ])
      expect(px(x!, y!)).toEqual(colorAt('viridis', 1));
    for (const [x, y] of [
      [5, 2],
      [8, 3],
      [6, 1],
      [6, 4],
    ])
      expect(px(x!, y!)).toEqual([255, 255, 255]);
  });
});
