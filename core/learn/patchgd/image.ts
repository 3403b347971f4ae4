import * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from '../../io/slide/types.ts';
import { DatasetError } from '../../base/errors.ts';
import { ImagePatchSource, type Normalization, type PatchSource } from '../../io/dataset/patch-source.ts';
import { PatchBatch } from './patch-batch.ts';

/** One training or evaluation image. */
export interface Sample {
  id: string;
  /** Class index in [0, numClasses). */
  label: number;
  /** RGB pixels of the square image: an RgbImage, or a Float32Array H·W·3 interleaved in [0, 1]. */
  load(): Promise<Float32Array | RgbImage>;
  /**
   * The image as a patch source, when it can be read patch by patch (a slide pyramid, a disk cache); without
   * it, PatchGD keeps the decoded image (`load`) in memory as the source.
   */
  patches?(imageSize: number, patchSize: number): Promise<PatchSource>;
}

export type { Normalization };

/** Wraps a failed read of a sample in a DatasetError naming it (typed errors pass through). */
function loadError(sample: Sample, err: unknown): DatasetError {
  if (err instanceof DatasetError) return err;
  return new DatasetError(
    sample.id,
    `cannot load image: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}

/** The sample's patch source: its own, or its decoded image kept in memory (8-bit when it is 8-bit). */
export async function openPatchSource(
  sample: Sample,
  imageSize: number,
  patchSize: number,
): Promise<PatchSource> {
  try {
    if (sample.patches) return await sample.patches(imageSize, patchSize);
    return new ImagePatchSource(imageSize, patchSize, await sample.load(), sample.id);
  } catch (err) {
    throw loadError(sample, err);
  }
}

/** Opens the patch sources of a batch, at most `workers` at a time; on failure the opened ones are closed. */
export async function openPatchBatch(
  samples: readonly Sample[],
  imageSize: number,
  patchSize: number,
  norm: Normalization,
  workers = 1,
): Promise<PatchBatch> {
  const sources: (PatchSource | undefined)[] = new Array(samples.length);
  let next = 0;
  const worker = async () => {
    while (next < samples.length) {
      const i = next++;
      sources[i] = await openPatchSource(samples[i]!, imageSize, patchSize);
    }
  };
  const opened = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(workers, samples.length)) }, worker),
  );
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(sources.map((s) => s?.close()));
    throw failed.reason;
  }
  return new PatchBatch(sources as PatchSource[], norm);
}

/**
 * Bytes a run's patch sources hold beside the tensors, judged from its first sample: the batch being trained and
 * the next one being read (2·B sources like it), plus the shared cache they fill (decoded tiles).
 */
export async function sourceBytes(
  sample: Sample,
  imageSize: number,
  patchSize: number,
  batchSize: number,
): Promise<number> {
  const source = await openPatchSource(sample, imageSize, patchSize);
  try {
    return 2 * batchSize * source.heldBytes + source.sharedBytes;
  } finally {
    await source.close();
  }
}

/** Loads a sample and normalises it to a [size, size, 3] float32 array ((x − mean) / std per channel). */
export async function loadNormalized(
  sample: Sample,
  size: number,
  norm: Normalization,
): Promise<Float32Array> {
  let pixels: Float32Array | RgbImage;
  try {
    pixels = await sample.load();
  } catch (err) {
    throw loadError(sample, err);
  }
  const expected = size * size * 3;
  const isFloat = pixels instanceof Float32Array;
  let data: Float32Array | Uint8Array;
  if (pixels instanceof Float32Array) data = pixels;
  else {
    if (pixels.width !== size || pixels.height !== size)
      throw new DatasetError(
        sample.id,
        `image is ${pixels.width}×${pixels.height}, expected ${size}×${size}`,
      );
    data = pixels.data;
  }
  if (data.length !== expected) {
    throw new DatasetError(
      sample.id,
      `image has ${data.length} values, expected ${expected} (${size}×${size}×3)`,
    );
  }
  const scale = isFloat ? 1 : 1 / 255;
  const out = new Float32Array(expected);
  const inv = norm.std.map((s) => 1 / s);
  for (let i = 0; i < expected; i += 3) {
    for (let c = 0; c < 3; c++) out[i + c] = (data[i + c]! * scale - norm.mean[c]!) * inv[c]!;
  }
  return out;
}

/** Checks a label against the class count (clear error instead of a silent one-hot of garbage). */
export function checkLabel(sample: Sample, numClasses: number): number {
  if (!Number.isInteger(sample.label) || sample.label < 0 || sample.label >= numClasses) {
    throw new DatasetError(sample.id, `label ${sample.label} is not a class index in 0..${numClasses - 1}`);
  }
  return sample.label;
}

/** Stacks normalised images into a [B, size, size, 3] tensor. */
export function toBatchTensor(images: readonly Float32Array[], size: number): tf.Tensor4D {
  const data = new Float32Array(images.length * size * size * 3);
  images.forEach((img, i) => data.set(img, i * img.length));
  return tf.tensor4d(data, [images.length, size, size, 3]);
}
