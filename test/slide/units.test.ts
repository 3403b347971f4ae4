import { describe, expect, it } from 'vitest';
import { decodeLzw, decodePackBits } from '../../core/io/slide/lossless.ts';
import {
  chooseLevel,
  otsuThreshold,
  resizeRgb,
  TileCache,
  tissueGrid,
  type SlideLevel,
} from '../../core/io/slide/index.ts';
import { scaleLevel } from '../../core/io/slide/scaled.ts';
import { cropRef, meanAbsDiff, syntheticImage } from './fixtures.ts';
import { tilesCovering } from '../../core/io/slide/region.ts';
import { aperioMpp, classifyIfds, micronsPerPixel } from '../../core/io/slide/pyramid.ts';
import type { Ifd } from '../../core/io/slide/ifd.ts';

/** Packs LZW codes MSB-first with TIFF's code-width schedule (early change), for hand-made streams. */
function packCodes(codes: number[]): Uint8Array {
  const bits: number[] = [];
  let next = 258;
  let width = 9;
  let afterClear = true;
  for (const code of codes) {
    for (let b = width - 1; b >= 0; b--) bits.push((code >> b) & 1);
    if (code === 256) {
      next = 258;
      width = 9;
      afterClear = true;
      continue;
    }
    if (!afterClear && next < 4096) {
      next++;
      if (next >= (1 << width) - 1 && width < 12) width++;
    }
    afterClear = false;
  }
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (out[i >> 3]! |= bit << (7 - (i & 7))));
  return out;
}

describe('bounded lossless decoders', () => {
  it('decodes the PackBits example of the TIFF 6.0 specification', () => {
    const packed = Uint8Array.from([
      0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa,
    ]);
    const expected = [
      0xaa,
      0xaa,
      0xaa,
      0x80,
      0x00,
      0x2a,
      0xaa,
      0xaa,
      0xaa,
      0xaa,
      0x80,
      0x00,
      0x2a,
      0x22,
      ...new Array<number>(10).fill(0xaa),
    ];
    expect(Array.from(decodePackBits(packed, 100))).toEqual(expected);
    expect(decodePackBits(packed, 5)).toHaveLength(5);
  });

  it('decodes LZW literals, dictionary codes and the KwKwK case', () => {
    // "ABABABA": A B 258(AB) 260(ABA, defined by the code itself).
    const stream = packCodes([256, 65, 66, 258, 260, 257]);
    expect(new TextDecoder().decode(decodeLzw(stream, 100))).toBe('ABABABA');
  });

  it('stops an LZW bomb at the expected size', () => {
    // Each KwKwK code is one longer than the last: 4000 codes would expand to ~8 MB.
    const codes = [256, 0];
    for (let c = 258; c < 4000; c++) codes.push(c);
    const out = decodeLzw(packCodes(codes), 1 << 16);
    expect(out).toHaveLength(1 << 16);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('rejects an undefined LZW code', () => {
    expect(() => decodeLzw(packCodes([256, 65, 300]), 100)).toThrow(/not yet defined/);
  });
});

describe('pure helpers', () => {
  it('Otsu splits a bimodal histogram between its modes', () => {
    const values = Uint8Array.from([...new Array<number>(500).fill(10), ...new Array<number>(300).fill(120)]);
    const t = otsuThreshold(values);
    expect(t).toBeGreaterThanOrEqual(10);
    expect(t).toBeLessThan(120);
  });

  it('tissueGrid keeps white background out, whatever Otsu finds in its noise', () => {
    const white = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).map((_, i) => 250 + (i % 3)) };
    expect(
      Array.from(tissueGrid(white, { gridWidth: 2, gridHeight: 2, cellWidth: 4, cellHeight: 4 }, 0.1)),
    ).toEqual([0, 0, 0, 0]);
  });

  it('tissueGrid counts partial edge cells by their own pixels', () => {
    // 10 × 4 image, cells of 4 px: columns 0–3, 4–7, 8–9. Only the partial last column is saturated red.
    const data = new Uint8Array(10 * 4 * 3).fill(250);
    for (let y = 0; y < 4; y++) data.set([220, 40, 40], (y * 10 + 9) * 3);
    const values = tissueGrid(
      { width: 10, height: 4, data },
      { gridWidth: 3, gridHeight: 1, cellWidth: 4, cellHeight: 4 },
      0.4,
    );
    expect(Array.from(values)).toEqual([0, 0, 1]);
  });

  it('chooseLevel takes the smallest level at least as large as asked', () => {
    const levels = [4000, 1000, 250].map((w): SlideLevel => ({
      width: w,
      height: w / 2,
      downsample: 4000 / w,
      tileWidth: 256,
      tileHeight: 256,
    }));
    expect(chooseLevel(levels, 200, 100)).toBe(2);
    expect(chooseLevel(levels, 251, 100)).toBe(1);
    expect(chooseLevel(levels, 5000, 100)).toBe(0);
  });

  it('scaleLevel in bands matches resizing the whole level', async () => {
    const image = syntheticImage(300, 240);
    const level: SlideLevel = { width: 300, height: 240, downsample: 1, tileWidth: 300, tileHeight: 16 };
    const rowsRead: number[] = [];
    const readRows = async (y: number, rows: number) => {
      rowsRead.push(rows);
      return cropRef(image, 0, y, 300, rows);
    };
    const banded = await scaleLevel(level, readRows, 100, 80, 300 * 48);
    expect(rowsRead).toEqual([48, 48, 48, 48, 48]);
    expect(meanAbsDiff(banded, await resizeRgb(image, 100, 80))).toBeLessThan(3);
  });

  it('tilesCovering clips to the level', () => {
    const level: SlideLevel = { width: 300, height: 200, downsample: 1, tileWidth: 128, tileHeight: 128 };
    expect(tilesCovering(level, -50, -50, 100, 100)).toEqual([{ col: 0, row: 0 }]);
    // x 120–299 touches columns 0–2, y 120–199 rows 0–1.
    expect(tilesCovering(level, 120, 120, 200, 200)).toEqual(
      [0, 1].flatMap((row) => [0, 1, 2].map((col) => ({ col, row }))),
    );
    expect(tilesCovering(level, 300, 0, 10, 10)).toEqual([]);
  });

  it('TileCache evicts least recently used entries by bytes', () => {
    const cache = new TileCache(300);
    const image = (n: number) => ({ width: 10, height: 10, data: new Uint8Array(n) });
    cache.set('a', image(100));
    cache.set('b', image(100));
    cache.set('c', image(100));
    cache.get('a');
    cache.set('d', image(100));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.bytes).toBe(300);
    cache.deletePrefix('a');
    expect(cache.size).toBe(2);
  });

  it('reads MPP from resolution units and Aperio descriptions', () => {
    expect(micronsPerPixel(20000, 3)).toBeCloseTo(0.5);
    expect(micronsPerPixel(50800, 2)).toBeCloseTo(0.5);
    expect(micronsPerPixel(20000, 1)).toBeNull();
    expect(micronsPerPixel(0, 3)).toBeNull();
    expect(
      aperioMpp(
        'Aperio Image Library v10.0.51\n46920x33014 [0,100 46000x32914] (256x256) JPEG/RGB Q=30|AppMag = 20|MPP = 0.4990',
      ),
    ).toBe(0.499);
    expect(aperioMpp('no resolution here')).toBeNull();
  });

  it('classifies smaller same-aspect IFDs as levels and the rest as associated images', () => {
    const ifd = (index: number, width: number, height: number, tiled = true): Ifd =>
      ({ index, width, height, tiled, description: '' }) as Ifd;
    const layout = classifyIfds([
      ifd(0, 40000, 30000),
      ifd(1, 1024, 768, false),
      ifd(2, 10000, 7500),
      ifd(3, 2500, 1875),
      ifd(4, 600, 300, false),
    ]);
    expect(layout.levels.map((l) => l.index)).toEqual([0, 2, 3]);
    expect(layout.associated.map((a) => a.name)).toEqual(['thumbnail', 'image-4']);
  });
});
