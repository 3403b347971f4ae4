/** A small PANDA-like folder of real pyramidal JPEG TIFF slides (sharp's writer), and app contexts over it. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createAppContext, type AppContext } from '../../core/app/context.ts';
import type { SpawnEngine } from '../../core/app/engine-host.ts';
import { forkEngine } from '../../core/app/engine-node.ts';
import { electronSlideUrls } from '../../core/shared/api.ts';

/** Re-exported for tests that build app folders (test/electron imports them from here). */
export { makeTempDir, removeDir } from '../helpers/temp.ts';

export interface SlideSpec {
  id: string;
  grade: number;
  /** Pixel colour of the slide's "tissue" blocks: grades differ by colour so a tiny model can learn them. */
  width?: number;
  height?: number;
}

const GLEASON = ['negative', '3+3', '3+4', '4+3', '4+4', '4+5'];

/** A white slide with coloured blocks (hue by grade), written as a tiled JPEG pyramid. */
export async function writeSlide(file: string, spec: SlideSpec): Promise<void> {
  const width = spec.width ?? 600;
  const height = spec.height ?? 400;
  const data = Buffer.alloc(width * height * 3, 255);
  const colour = spec.grade === 0 ? [230, 150, 190] : [120, 40, 140];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (((x >> 5) + (y >> 5)) % 3 === 0) continue;
      const o = (y * width + x) * 3;
      data[o] = colour[0]! + ((x * 7 + y * 3) % 20);
      data[o + 1] = colour[1]!;
      data[o + 2] = colour[2]!;
    }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .tiff({ compression: 'jpeg', quality: 85, tile: true, tileWidth: 128, tileHeight: 128, pyramid: true })
    .toFile(file);
}

/** `train.csv` plus `train_images/<id>.tiff` for each spec (Radboud provider, Gleason matching the grade). */
export async function writePandaFolder(root: string, slides: readonly SlideSpec[]): Promise<void> {
  await mkdir(join(root, 'train_images'), { recursive: true });
  const rows = slides.map((s) => `${s.id},radboud,${s.grade},${GLEASON[s.grade]}`);
  await writeFile(
    join(root, 'train.csv'),
    ['image_id,data_provider,isup_grade,gleason_score', ...rows].join('\n') + '\n',
  );
  for (const spec of slides) await writeSlide(join(root, 'train_images', `${spec.id}.tiff`), spec);
}

/** Ten slides, grades 0 and 1 alternating: enough for a 5-fold hold-out with both classes. */
export function tenSlides(): SlideSpec[] {
  return Array.from({ length: 10 }, (_, i) => ({ id: `slide${String(i).padStart(2, '0')}`, grade: i % 2 }));
}

/** Engine processes for tests: on the wasm backend, several times faster than cpu here for these tiny models. */
export function testEngine(): SpawnEngine {
  return forkEngine({ env: { ...process.env, PATCHGD_BACKEND: 'wasm' } });
}

export function testContext(userDataDir: string, spawnEngine: SpawnEngine = testEngine()): AppContext {
  return createAppContext({ userDataDir, spawnEngine, urls: electronSlideUrls });
}

/** A tiny PatchGD configuration: 64 px images of 16 px patches (k = 4), the small CNN. */
export function tinyConfig(epochs: number): Record<string, unknown> {
  return {
    backbone: 'small',
    imageSize: 64,
    patchSize: 16,
    sampling: 0.25,
    latentDim: 8,
    epochs,
    batchSize: 2,
    warmupEpochs: 0,
    workers: 2,
  };
}
