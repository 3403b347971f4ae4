import type { TrainConfigInput } from '../../core/learn/runner/index.ts';
import type { RgbImage } from '../../core/io/slide/types.ts';
import type { Sample } from '../../core/learn/patchgd/image.ts';
import { Prng } from '../../core/base/random.ts';

/**
 * Synthetic task for tests: a dark, noisy square image with one bright square blob; the label is the quadrant
 * that holds the blob (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right).
 */
export function quadrantImage(size: number, quadrant: number, prng: Prng): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = 20 + prng.nextInt(40);
  const half = size / 2;
  const blob = Math.max(2, Math.floor(size / 6));
  const x0 = (quadrant % 2) * half + prng.nextInt(half - blob);
  const y0 = Math.floor(quadrant / 2) * half + prng.nextInt(half - blob);
  for (let y = y0; y < y0 + blob; y++)
    for (let x = x0; x < x0 + blob; x++) for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = 230;
  return { width: size, height: size, data };
}

/** `count` quadrant samples, classes balanced, images made once and served from memory. */
export function quadrantSamples(count: number, size: number, seed: number): Sample[] {
  const prng = Prng.fromSeed(seed);
  return Array.from({ length: count }, (_, i) => {
    const label = i % 4;
    const image = quadrantImage(size, label, prng);
    return { id: `q${seed}-${i}`, label, load: async () => image };
  });
}

/** A one-epoch PatchGD run on 16-px quadrant images (k = 2): the smallest run that writes real checkpoints. */
export const tinyQuadrantConfig: TrainConfigInput = {
  backbone: 'small',
  imageSize: 16,
  patchSize: 8,
  latentDim: 4,
  numClasses: 4,
  batchSize: 4,
  sampling: 0.5,
  epochs: 1,
  warmupEpochs: 0,
  seed: 7,
};
