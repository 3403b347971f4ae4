import path from 'node:path';
import sharp from 'sharp';
import { DatasetError } from '../../base/errors.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { loadMnistDigits, type MnistDigits } from './mnist-digits.ts';
import { planUltraMnist, validateParams, type UltraMnistImage, type UltraMnistParams } from './plan.ts';
import { renderCanvas } from './render.ts';
import { makeDir } from '../../base/dirs.ts';

export interface UltraMnistOptions extends UltraMnistParams {
  outDir: string;
  /** Called after each image is written. */
  onProgress?: (done: number, total: number) => void;
}

export interface UltraMnistSummary {
  outDir: string;
  params: UltraMnistParams;
  /** Images per label. */
  classCounts: number[];
  images: UltraMnistImage[];
  elapsedMs: number;
}

/** Images encoded concurrently: sharp encodes on its own threads, this only bounds the canvases in memory. */
const IN_FLIGHT = 4;

/** Version tag of meta.json, for readers that check what they load. */
export const META_FORMAT = 'patchgd-ultramnist/1';

async function writePng(file: string, canvas: Uint8Array, size: number): Promise<void> {
  // Without an explicit colourspace sharp writes a single-channel raw image as 3-band sRGB.
  const png = await sharp(canvas, { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  await writeFileAtomic(file, png);
}

function csv(images: readonly UltraMnistImage[]): string {
  return ['image_id,label', ...images.map((im) => `${im.imageId},${im.label}`)].join('\n') + '\n';
}

/**
 * Generates an UltraMNIST dataset: `images/<image_id>.png` (8-bit grayscale), then `meta.json` (parameters and
 * every digit's sample and box), then `labels.csv` (`image_id,label`) last, so a complete labels file means a
 * complete dataset. Existing files of the same names are replaced; others are left alone.
 */
export async function generateUltraMnist(
  opts: UltraMnistOptions,
  mnist?: MnistDigits,
): Promise<UltraMnistSummary> {
  const started = Date.now();
  const params: UltraMnistParams = {
    count: opts.count,
    size: opts.size,
    classes: opts.classes,
    seed: opts.seed,
    split: opts.split,
  };
  validateParams(params);
  const digits = mnist ?? (await loadMnistDigits());
  const images = planUltraMnist(
    params,
    digits.samples.map((s) => s.length),
  );
  const imageDir = path.join(opts.outDir, 'images');
  try {
    await makeDir(imageDir);
  } catch (err) {
    throw new DatasetError(imageDir, `cannot create the folder: ${(err as Error).message}`, { cause: err });
  }

  const pending: Promise<void>[] = [];
  let done = 0;
  for (const image of images) {
    if (pending.length >= IN_FLIGHT) await pending.shift();
    const canvas = renderCanvas(params.size, image.digits, digits);
    const written = writePng(path.join(imageDir, `${image.imageId}.png`), canvas, params.size).then(() => {
      opts.onProgress?.(++done, images.length);
    });
    // A failure is rethrown where this write is awaited; the no-op handler only keeps it from being reported
    // as unhandled while an earlier write is awaited.
    written.catch(() => {});
    pending.push(written);
  }
  await Promise.all(pending);

  const classCounts = new Array<number>(params.classes).fill(0);
  for (const image of images) classCounts[image.label]!++;
  const meta = { format: META_FORMAT, params, classCounts, images };
  await writeFileAtomic(path.join(opts.outDir, 'meta.json'), JSON.stringify(meta) + '\n');
  await writeFileAtomic(path.join(opts.outDir, 'labels.csv'), csv(images));
  return { outDir: opts.outDir, params, classCounts, images, elapsedMs: Date.now() - started };
}
