/**
 * Writes one synthetic slide and its label mask as PANDA-shaped pyramidal TIFFs, streaming: tiles are
 * rendered one tile row at a time and levels 1 and 2 are reduced from each level-0 tile as it is made, so
 * memory stays proportional to the slide's width, never its area.
 */
import { encodeJpegTile, encodeMaskTile } from './encode.ts';
import { blit, cutTile, meanBlocks, modeBlocks } from './pyramid.ts';
import type { SlidePlan } from './plan.ts';
import { renderRegion } from './render.ts';
import { CLASSIC_TIFF_LIMIT, TiledTiffWriter, type TiffImageSpec } from './tiff-writer.ts';

export const TILE_SIZE = 512;
/** Level downsamples, as in PANDA. */
export const DOWNSAMPLES = [1, 4, 16] as const;
/** 0.48 µm per pixel, written as pixels per centimetre: 10000 / 0.48 = 62500 / 3. */
export const PIXELS_PER_CM: [number, number] = [62500, 3];
/** Fill for the parts of edge tiles beyond the slide. */
const PAD_GREY = 242;

export interface SlideWriteOptions {
  /** Force BigTIFF; by default it is used only when a classic TIFF could overflow 4 GB. */
  bigTiff?: boolean;
  /** Called after each level-0 tile row is written. */
  onRow?: (done: number, total: number) => void;
}

function levelSpecs(plan: SlidePlan, kind: 'slide' | 'mask'): TiffImageSpec[] {
  return DOWNSAMPLES.map((ds, i) => ({
    width: Math.ceil(plan.width / ds),
    height: Math.ceil(plan.height / ds),
    tileSize: TILE_SIZE,
    compression: kind === 'slide' ? 'jpeg' : 'deflate',
    photometric: kind === 'slide' ? 'ycbcr' : 'rgb',
    reduced: i > 0,
    pixelsPerCm: [PIXELS_PER_CM[0], PIXELS_PER_CM[1] * ds],
  }));
}

/** Whether the worst case (every tile stored raw, plus slack) could pass the classic TIFF limit. */
export function needsBigTiff(specs: TiffImageSpec[]): boolean {
  let bound = 1 << 20;
  for (const s of specs)
    bound += Math.ceil(s.width / s.tileSize) * Math.ceil(s.height / s.tileSize) * s.tileSize ** 2 * 3 * 1.01;
  return bound > CLASSIC_TIFF_LIMIT;
}

/** Row buffer of one reduced level: `TILE_SIZE` rows of that level, the full level width (rounded to tiles). */
class LevelRow {
  readonly cols: number;
  readonly bufWidth: number;
  rgb: Uint8Array;
  labels: Uint8Array;

  constructor(readonly spec: TiffImageSpec) {
    this.cols = Math.ceil(spec.width / TILE_SIZE);
    this.bufWidth = this.cols * TILE_SIZE;
    this.rgb = new Uint8Array(this.bufWidth * TILE_SIZE * 3).fill(PAD_GREY);
    this.labels = new Uint8Array(this.bufWidth * TILE_SIZE);
  }

  /** Tile `col` of the filled row: a copy, since the buffer is reused. */
  tile(col: number): { rgb: Uint8Array; labels: Uint8Array } {
    return {
      rgb: cutTile(this.rgb, this.bufWidth, col, TILE_SIZE, 3),
      labels: cutTile(this.labels, this.bufWidth, col, TILE_SIZE, 1),
    };
  }

  reset(): void {
    this.rgb.fill(PAD_GREY);
    this.labels.fill(0);
  }
}

/** Tiles encoded concurrently (on libuv threads, while the next tile renders); bounds memory in flight. */
const IN_FLIGHT = 6;

interface PendingTile {
  level: number;
  col: number;
  row: number;
  slide: Promise<Uint8Array>;
  mask: Promise<Uint8Array>;
}

/** Marks a promise as handled: if an earlier write fails, later encodes are never awaited. */
function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Renders `plan` and writes the slide to `slidePath` and its mask to `maskPath` (both atomically). */
export async function writeSlide(
  plan: SlidePlan,
  slidePath: string,
  maskPath: string,
  opts: SlideWriteOptions = {},
): Promise<void> {
  const slideSpecs = levelSpecs(plan, 'slide');
  const maskSpecs = levelSpecs(plan, 'mask');
  const slide = await TiledTiffWriter.create(slidePath, slideSpecs, opts.bigTiff ?? needsBigTiff(slideSpecs));
  const mask = await TiledTiffWriter.create(
    maskPath,
    maskSpecs,
    opts.bigTiff ?? needsBigTiff(maskSpecs),
  ).catch(async (err: unknown) => {
    await slide.abort();
    throw err;
  });
  // Encodes start in order and are written in that order, so the bytes do not depend on thread timing.
  const queue: PendingTile[] = [];
  const drain = async (keep: number): Promise<void> => {
    while (queue.length > keep) {
      const t = queue.shift() as PendingTile;
      await slide.writeTile(t.level, t.col, t.row, await t.slide);
      await mask.writeTile(t.level, t.col, t.row, await t.mask);
    }
  };
  const push = async (level: number, col: number, row: number, rgb: Uint8Array, labels: Uint8Array) => {
    queue.push({
      level,
      col,
      row,
      slide: settled(encodeJpegTile(rgb, TILE_SIZE)),
      mask: settled(encodeMaskTile(labels)),
    });
    await drain(IN_FLIGHT);
  };
  try {
    const cols = Math.ceil(plan.width / TILE_SIZE);
    const rows = Math.ceil(plan.height / TILE_SIZE);
    const reduced = [new LevelRow(slideSpecs[1]!), new LevelRow(slideSpecs[2]!)];
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const x0 = col * TILE_SIZE;
        const y0 = row * TILE_SIZE;
        const tile = renderRegion(plan, x0, y0, TILE_SIZE, TILE_SIZE);
        const validW = Math.min(TILE_SIZE, plan.width - x0);
        const validH = Math.min(TILE_SIZE, plan.height - y0);
        reduced.forEach((lv, i) => {
          const f = DOWNSAMPLES[i + 1]!;
          const per = TILE_SIZE / f;
          const m = meanBlocks(tile.rgb, TILE_SIZE, validW, validH, f);
          const l = modeBlocks(tile.labels, TILE_SIZE, validW, validH, f);
          const y = (row % f) * per;
          blit(m.data, m.width, m.height, lv.rgb, lv.bufWidth, col * per, y, 3);
          blit(l.data, l.width, l.height, lv.labels, lv.bufWidth, col * per, y, 1);
        });
        await push(0, col, row, tile.rgb, tile.labels);
      }
      // A reduced level's tile row is complete every `factor` level-0 tile rows, and at the bottom edge.
      for (const [i, lv] of reduced.entries()) {
        const f = DOWNSAMPLES[i + 1]!;
        if (row % f !== f - 1 && row !== rows - 1) continue;
        for (let c = 0; c < lv.cols; c++) {
          const t = lv.tile(c);
          await push(i + 1, c, Math.floor(row / f), t.rgb, t.labels);
        }
        lv.reset();
      }
      // Settle the row before reporting it, so progress means "on disk".
      await drain(0);
      opts.onRow?.(row + 1, rows);
    }
    await slide.close();
    await mask.close();
  } catch (err) {
    await slide.abort();
    await mask.abort();
    throw err;
  }
}
