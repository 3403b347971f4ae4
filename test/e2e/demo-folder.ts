/**
 * A small PANDA-style folder for the end-to-end test: train.csv and JPEG-tiled slides with PANDA's pyramid
 * (downsamples 1, 4 and 16, resolution in pixels per cm), built from synthetic tissue at test time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { buildTiff, syntheticImage } from '../slide/fixtures.ts';

const TILE = 256;
/** 20,000 px/cm = 0.5 µm per pixel: 20× shows the slide pixel for pixel. */
const PIXELS_PER_CM = 20_000;

async function levelTiles(image: Sharp, width: number, height: number): Promise<Uint8Array[]> {
  const level = await image.clone().resize(width, height, { fit: 'fill' }).raw().toBuffer();
  const tiles: Uint8Array[] = [];
  for (let y = 0; y < height; y += TILE) {
    for (let x = 0; x < width; x += TILE) {
      // Edge tiles are full-size in a TIFF; the part past the image is padding.
      const tile = await sharp(level, { raw: { width, height, channels: 3 } })
        .extract({ left: x, top: y, width: Math.min(TILE, width - x), height: Math.min(TILE, height - y) })
        .extend({
          right: TILE - Math.min(TILE, width - x),
          bottom: TILE - Math.min(TILE, height - y),
          background: '#fff',
        })
        .jpeg({ quality: 85 })
        .toBuffer();
      tiles.push(new Uint8Array(tile));
    }
  }
  return tiles;
}

/** One slide of width × height at level 0, with levels at 1/4 and 1/16. */
export async function writePandaSlide(path: string, width: number, height: number): Promise<void> {
  const source = syntheticImage(width, height);
  const image = sharp(source.data, { raw: { width, height, channels: 3 } });
  const levels = [1, 4, 16].map((d) => ({ width: Math.round(width / d), height: Math.round(height / d) }));
  const ifds = await Promise.all(
    levels.map(async (l, i) => ({
      width: l.width,
      height: l.height,
      tileWidth: TILE,
      tileHeight: TILE,
      compression: 7,
      photometric: 6,
      pixelsPerCm: PIXELS_PER_CM,
      subfileType: i === 0 ? 0 : 1,
      tiles: await levelTiles(image, l.width, l.height),
    })),
  );
  await writeFile(path, buildTiff(ifds));
}

export interface DemoSlide {
  id: string;
  provider: string;
  isup: number;
  gleason: string;
}

const GLEASON = ['0+0', '3+3', '3+4', '4+3', '4+4', '4+5'];

/** `count` slides cycling through ISUP 0–5 and both providers. */
export async function writeDemoFolder(root: string, count: number): Promise<DemoSlide[]> {
  await mkdir(join(root, 'train_images'), { recursive: true });
  const slides: DemoSlide[] = Array.from({ length: count }, (_, i) => ({
    id: `demo${String(i).padStart(3, '0')}`,
    provider: i % 2 ? 'radboud' : 'karolinska',
    isup: i % 6,
    gleason: i % 2 && i % 6 === 0 ? 'negative' : GLEASON[i % 6]!,
  }));
  const csv = [
    'image_id,data_provider,isup_grade,gleason_score',
    ...slides.map((s) => `${s.id},${s.provider},${s.isup},${s.gleason}`),
  ];
  await writeFile(join(root, 'train.csv'), `${csv.join('\n')}\n`);
  for (const s of slides) await writePandaSlide(join(root, 'train_images', `${s.id}.tiff`), 1536, 1024);
  return slides;
}

/** One slide large enough to pan across at 20× and 40× (`pan000`, 6144 × 4096 px at 0.5 µm/px). */
export async function writePanFolder(root: string): Promise<string> {
  await mkdir(join(root, 'train_images'), { recursive: true });
  await writeFile(
    join(root, 'train.csv'),
    'image_id,data_provider,isup_grade,gleason_score\npan000,radboud,2,3+4\n',
  );
  await writePandaSlide(join(root, 'train_images', 'pan000.tiff'), 6144, 4096);
  return 'pan000';
}
