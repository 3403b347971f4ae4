import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlideError } from '../../core/base/errors.ts';
import { Prng } from '../../core/base/random.ts';
import { openSlide, TileCache } from '../../core/io/slide/index.ts';
import { buildTiff, ifdOffsetsOf, syntheticImage, tempDir, writeBytes, writePyramid } from './fixtures.ts';

const TIME_BOUND_MS = 5000;
let dir: string;
let cleanup: () => Promise<void>;
const bases: { name: string; bytes: Uint8Array; ifdRegion: [number, number] }[] = [];

/** The byte range holding the directories and their out-of-line values (where mutations hurt most). */
function ifdRegion(bytes: Uint8Array, bigTiff: boolean): [number, number] {
  if (bigTiff) return [Math.max(16, bytes.length - 2048), bytes.length];
  const offsets = ifdOffsetsOf(bytes);
  return [Math.min(...offsets) - 64 > 8 ? Math.min(...offsets) - 64 : 8, bytes.length];
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const image = syntheticImage(300, 200);
  const specs = [
    { name: 'jpeg.tiff', compression: 'jpeg', tile: 128 },
    { name: 'lzw.tiff', compression: 'lzw', tile: 128 },
    { name: 'deflate-big.tiff', compression: 'deflate', tile: 128, bigtiff: true },
  ] as const;
  for (const spec of specs) {
    const path = join(dir, spec.name);
    await writePyramid(path, image, spec);
    const bytes = new Uint8Array(await readFile(path));
    bases.push({ name: spec.name, bytes, ifdRegion: ifdRegion(bytes, spec.name.includes('big')) });
  }
  const tile = new Uint8Array(
    await sharp(syntheticImage(64, 64).data, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
  const rgb = buildTiff([
    {
      width: 128,
      height: 64,
      tileWidth: 64,
      tileHeight: 64,
      compression: 7,
      photometric: 2,
      tiles: [tile, tile],
    },
  ]);
  bases.push({ name: 'rgbjpeg.tiff', bytes: rgb, ifdRegion: ifdRegion(rgb, false) });
});
afterAll(() => cleanup());

function mutate(base: Uint8Array, region: [number, number], prng: Prng): Uint8Array {
  const pick = (lo: number, hi: number) => lo + prng.nextInt(hi - lo);
  const kind = pick(0, 5);
  if (kind === 0) return base.slice(0, pick(0, base.length));
  const bytes = base.slice();
  if (kind === 1) {
    for (let n = pick(1, 5); n > 0; n--) bytes[pick(0, Math.min(64, bytes.length))]! ^= 1 << pick(0, 8);
  } else if (kind === 2) {
    for (let n = pick(1, 5); n > 0; n--) bytes[pick(region[0], region[1])]! ^= 1 << pick(0, 8);
  } else if (kind === 3) {
    // Overwrite a 32-bit word in the directories with a hostile value.
    const values = [0xffffffff, 0x7fffffff, 0, bytes.length - 1, bytes.length + 1000, 1 << 20, 65535];
    new DataView(bytes.buffer).setUint32(
      pick(region[0], region[1] - 4),
      values[pick(0, values.length)]!,
      true,
    );
  } else {
    for (let n = pick(1, 40); n > 0; n--) bytes[pick(8, region[0])] = pick(0, 256);
  }
  return bytes;
}

/** Exercises a slide the way the app does; any error must be a SlideError. */
async function probe(path: string): Promise<'ok' | 'slide-error'> {
  let slide;
  try {
    slide = await openSlide(path, { cache: new TileCache(8 << 20) });
  } catch (err) {
    if (err instanceof SlideError) return 'slide-error';
    throw err;
  }
  let outcome: 'ok' | 'slide-error' = 'ok';
  const steps = [
    () => slide.readTileRgb(0, 0, 0),
    () => slide.readTile(0, 0, 0),
    () => slide.readRegion(0, 100, 50, 128, 96),
    () => slide.readScaled(40, 30),
    () => slide.tissueMask({ gridWidth: 4, gridHeight: 3 }),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      if (!(err instanceof SlideError)) throw err;
      outcome = 'slide-error';
    }
  }
  await slide.close();
  return outcome;
}

describe('fuzzed slides', () => {
  it('end in success or a SlideError within the time bound, never another exception', async () => {
    // Seeded, so a failing mutant can be reproduced from its index.
    const prng = Prng.fromSeed(20260131);
    const counts = { ok: 0, 'slide-error': 0 };
    let slowest = 0;
    for (let i = 0; i < 160; i++) {
      const base = bases[i % bases.length]!;
      const path = await writeBytes(join(dir, `mutant-${i}.tiff`), mutate(base.bytes, base.ifdRegion, prng));
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`mutant ${i} of ${base.name} took over ${TIME_BOUND_MS} ms`)),
          TIME_BOUND_MS,
        );
      });
      const outcome = await Promise.race([probe(path), timeout]).catch((err: unknown) => {
        throw new Error(`mutant ${i} of ${base.name}: ${err instanceof Error ? err.stack : String(err)}`);
      });
      clearTimeout(timer);
      slowest = Math.max(slowest, performance.now() - started);
      counts[outcome]++;
    }
    // Both outcomes occur, so the mutations neither all miss nor all break the file.
    expect(counts.ok).toBeGreaterThan(10);
    expect(counts['slide-error']).toBeGreaterThan(30);
    expect(slowest).toBeLessThan(TIME_BOUND_MS);
  });
});
