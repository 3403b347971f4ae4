// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { levelAt, osdLevels } from '../../renderer/src/lib/pyramid.ts';
import { createTileSource } from '../../renderer/src/lib/tile-source.ts';

/** A PANDA-like pyramid: downsamples 1, 4.0005 (as some files report) and 16, 512-px tiles. */
const panda = {
  width: 10_000,
  height: 6_000,
  levels: [
    { width: 10_000, height: 6_000, downsample: 1, tileWidth: 512, tileHeight: 512 },
    { width: 2_500, height: 1_500, downsample: 4.0005, tileWidth: 512, tileHeight: 512 },
    { width: 625, height: 375, downsample: 16, tileWidth: 256, tileHeight: 256 },
  ],
};

describe('OSD levels over a 1/4/16 pyramid', () => {
  it('numbers levels smallest first with exact scales and tile grids', () => {
    const levels = osdLevels(panda.levels);
    expect(levels.map((l) => l.tiffLevel)).toEqual([2, 1, 0]);
    expect(levels.map((l) => l.scale)).toEqual([0.0625, 0.25, 1]);
    expect(levels.map((l) => [l.cols, l.rows])).toEqual([
      [3, 2],
      [5, 3],
      [20, 12],
    ]);
  });

  it('clamps levels OSD asks about outside the pyramid', () => {
    const levels = osdLevels(panda.levels);
    expect(levelAt(levels, -3).tiffLevel).toBe(2);
    expect(levelAt(levels, 9).tiffLevel).toBe(0);
  });

  it('refuses a slide without levels', () => {
    expect(() => osdLevels([])).toThrow(/at least one pyramid level/);
  });
});

describe('createTileSource', () => {
  const urls: string[] = [];
  const source = createTileSource(panda, (level, col, row) => {
    const url = `/tiles/7/${level}/${col}/${row}`;
    urls.push(url);
    return url;
  });

  it('exposes the real levels to OpenSeadragon', () => {
    expect(source.maxLevel).toBe(2);
    expect(source.minLevel).toBe(0);
    expect(source.getLevelScale(1)).toBe(0.25);
    expect(source.getNumTiles(1)).toMatchObject({ x: 5, y: 3 });
    expect(source.getNumTiles(0)).toMatchObject({ x: 3, y: 2 });
    expect(source.getTileWidth(0)).toBe(256);
    expect(source.tileExists(1, 4, 2)).toBe(true);
    expect(source.tileExists(1, 5, 0)).toBe(false);
  });

  it('asks for tiles of the matching TIFF level', () => {
    expect(source.getTileUrl(2, 19, 11)).toBe('/tiles/7/0/19/11');
    expect(source.getTileUrl(1, 4, 2)).toBe('/tiles/7/1/4/2');
    expect(source.getTileUrl(0, 0, 0)).toBe('/tiles/7/2/0/0');
  });

  it('places the last, partial tile of a level at the image edge', () => {
    // Level 1 is 2500 px wide: tile column 4 covers x 2048..2500, i.e. 0.8192..1 of the width.
    const bounds = source.getTileBounds(1, 4, 0);
    expect(bounds.x).toBeCloseTo(2048 / 2500, 10);
    expect(bounds.x + bounds.width).toBeCloseTo(1, 10);
  });
});
