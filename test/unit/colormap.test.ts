import { describe, expect, it } from 'vitest';
import { COLORMAP_NAMES, COLORMAPS, colorAt, cssGradient, lookupTable } from '../../core/shared/colormap.ts';
import { cellAt, gridBounds, gridPixels } from '../../renderer/src/lib/heatmap.ts';

const luminance = ([r, g, b]: number[]) => 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;

describe('colormaps', () => {
  it('offers every map with its end colours', () => {
    expect(COLORMAP_NAMES).toEqual(['viridis', 'cividis', 'turbo', 'coolwarm', 'gray']);
    expect(colorAt('viridis', 0)).toEqual([0x44, 0x01, 0x54]);
    expect(colorAt('viridis', 1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(colorAt('coolwarm', 0)).toEqual([0x3b, 0x4c, 0xc0]);
  });

  it('clamps out-of-range values and treats NaN as 0', () => {
    expect(colorAt('turbo', -1)).toEqual(colorAt('turbo', 0));
    expect(colorAt('turbo', 7)).toEqual(colorAt('turbo', 1));
    expect(colorAt('cividis', Number.NaN)).toEqual(colorAt('cividis', 0));
  });

  it('keeps viridis and cividis brightening monotonically (readable in grey)', () => {
    for (const name of ['viridis', 'cividis'] as const) {
      const l = Array.from({ length: 101 }, (_, i) => luminance(colorAt(name, i / 100)));
      for (let i = 1; i < l.length; i++) expect(l[i]!).toBeGreaterThanOrEqual(l[i - 1]! - 0.5);
    }
  });

  it('builds a 256-entry table that matches colorAt', () => {
    const lut = lookupTable('coolwarm');
    expect(lut.length).toBe(768);
    expect([...lut.slice(128 * 3, 128 * 3 + 3)]).toEqual(colorAt('coolwarm', 128 / 255));
    expect(cssGradient('turbo')).toContain(COLORMAPS.turbo[0]);
  });
});

describe('heatmap grid', () => {
  const grid = {
    origin: { x: 100, y: 50 },
    dx: 64,
    dy: 32,
    gridWidth: 3,
    gridHeight: 2,
    values: [0, 0.5, 1, null, 0.2, 0.9],
  };

  it('draws one pixel per cell, leaving no-tissue and below-threshold cells transparent', () => {
    const lut = lookupTable('viridis');
    const px = gridPixels(grid, lut, 0.3);
    expect(px.length).toBe(3 * 2 * 4);
    const alpha = [0, 1, 2, 3, 4, 5].map((i) => px[i * 4 + 3]);
    expect(alpha).toEqual([0, 255, 255, 0, 0, 255]);
    expect([...px.slice(8, 11)]).toEqual(colorAt('viridis', 1));
  });

  it('covers the level-0 rectangle of its cells', () => {
    expect(gridBounds(grid)).toEqual({ x: 100, y: 50, width: 192, height: 64 });
  });

  it('reads the cell under a point, null outside', () => {
    expect(cellAt(grid, 100, 50)).toEqual({ col: 0, row: 0, value: 0 });
    expect(cellAt(grid, 291, 82)).toEqual({ col: 2, row: 1, value: 0.9 });
    expect(cellAt(grid, 100, 82)).toEqual({ col: 0, row: 1, value: null });
    expect(cellAt(grid, 99, 60)).toBeNull();
    expect(cellAt(grid, 292, 60)).toBeNull();
  });
});
