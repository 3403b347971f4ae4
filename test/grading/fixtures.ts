/**
 * Test-time PANDA folders of tiny synthetic slides: pink tissue on white, a dark "tumour" square in one corner
 * of the tissue, label masks with the tumour as Radboud Gleason 4. The ISUP grade is the corner's index, so a
 * model that grades right has to find the tumour.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../core/io/slide/index.ts';
import { runTrainJob } from '../../core/jobs/train.ts';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `patchgd-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface SlideSpec {
  width: number;
  height: number;
  /** Tissue rectangle [x0, y0, x1, y1) in level-0 px. */
  tissue: [number, number, number, number];
  /** Tumour rectangle [x0, y0, x1, y1) in level-0 px. */
  tumour: [number, number, number, number];
}

/** Corner `corner` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of a w×h slide's tissue. */
export function cornerSpec(width: number, height: number, corner: number, tumourSide: number): SlideSpec {
  const margin = Math.round(width / 16);
  const tissue: SlideSpec['tissue'] = [margin, margin, width - margin, height - margin];
  const x0 = corner % 2 === 0 ? tissue[0] : tissue[2] - tumourSide;
  const y0 = corner < 2 ? tissue[1] : tissue[3] - tumourSide;
  return { width, height, tissue, tumour: [x0, y0, x0 + tumourSide, y0 + tumourSide] };
}

const inside = (r: readonly number[], x: number, y: number) =>
  x >= r[0]! && y >= r[1]! && x < r[2]! && y < r[3]!;

/** Slide pixels (with a little deterministic texture) and the matching mask (R = Radboud label). */
export function renderSlide(spec: SlideSpec): { slide: RgbImage; mask: RgbImage } {
  const { width, height } = spec;
  const slide = new Uint8Array(width * height * 3).fill(250);
  const mask = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const texture = ((x * 7 + y * 13) % 11) - 5;
      if (inside(spec.tumour, x, y)) {
        slide.set([70 + texture, 20, 110], i);
        mask[i] = 4;
      } else if (inside(spec.tissue, x, y)) {
        slide.set([235 + texture, 150, 200], i);
        mask[i] = 1;
      }
    }
  }
  return { slide: { width, height, data: slide }, mask: { width, height, data: mask } };
}

async function writeTiff(path: string, image: RgbImage, lossless: boolean): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .tiff({
      tile: true,
      tileWidth: 64,
      tileHeight: 64,
      pyramid: !lossless,
      compression: lossless ? 'deflate' : 'jpeg',
      quality: 95,
      xres: 2000,
      yres: 2000,
      resolutionUnit: 'cm',
    })
    .toFile(path);
}

export interface PandaSlide {
  id: string;
  spec: SlideSpec;
  isup: number;
}

/** A PANDA folder (train.csv, train_images, train_label_masks) with `count` corner slides. */
export async function writeCornerPanda(
  root: string,
  count: number,
  size: { width: number; height: number; tumour: number },
): Promise<PandaSlide[]> {
  await mkdir(join(root, 'train_images'), { recursive: true });
  await mkdir(join(root, 'train_label_masks'), { recursive: true });
  const slides: PandaSlide[] = [];
  for (let n = 0; n < count; n++) {
    const corner = n % 4;
    const slide = {
      id: `s${String(n).padStart(3, '0')}`,
      spec: cornerSpec(size.width, size.height, corner, size.tumour),
      isup: corner,
    };
    const { slide: pixels, mask } = renderSlide(slide.spec);
    await writeTiff(join(root, 'train_images', `${slide.id}.tiff`), pixels, false);
    await writeTiff(join(root, 'train_label_masks', `${slide.id}_mask.tiff`), mask, true);
    slides.push(slide);
  }
  const gleason = ['negative', '3+3', '3+4', '4+3'];
  const rows = slides.map((s) => `${s.id},radboud,${s.isup},${gleason[s.isup]}`);
  await writeFile(
    join(root, 'train.csv'),
    ['image_id,data_provider,isup_grade,gleason_score', ...rows].join('\n') + '\n',
  );
  return slides;
}

/**
 * Trains the small backbone on a corner-tumour PANDA folder (64 px squares, 16 px patches, k = 4) into
 * `runDir`: the model the grading tests explain. Options vary how long and how hard it trains.
 */
export async function trainCornerRun(
  data: string,
  runDir: string,
  options: { batchSize: number; epochs: number; warmupEpochs: number; seed: number; lr?: number },
): Promise<void> {
  await runTrainJob({
    data,
    folds: 4,
    valFold: 0,
    runDir,
    resume: false,
    config: { backbone: 'small', imageSize: 64, patchSize: 16, latentDim: 8, sampling: 0.25, ...options },
  });
}
