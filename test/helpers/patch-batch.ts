/** Patch batches for engine tests: images given as values, read back unchanged (identity normalisation). */
import type * as tf from '@tensorflow/tfjs-core';
import { ImagePatchSource } from '../../core/io/dataset/patch-source.ts';
import { PatchBatch } from '../../core/learn/patchgd/patch-batch.ts';

export const IDENTITY = { mean: [0, 0, 0], std: [1, 1, 1] } as const;

/** A batch over `count` square images given as host values [B, S, S, 3] (copied). */
export function hostBatch(values: Float32Array, count: number, patchSize: number): PatchBatch {
  const per = values.length / count;
  const size = Math.round(Math.sqrt(per / 3));
  return new PatchBatch(
    Array.from(
      { length: count },
      (_, i) => new ImagePatchSource(size, patchSize, values.slice(i * per, (i + 1) * per)),
    ),
    IDENTITY,
  );
}

/** A batch over the images of `images` [B, S, S, 3] (values copied; the tensor is not consumed). */
export function tensorBatch(images: tf.Tensor4D, patchSize: number): PatchBatch {
  return hostBatch(images.dataSync() as Float32Array, images.shape[0], patchSize);
}

/** The pixels [B, P, m, m, 3] of `chunk` of every image of `images`. */
export async function chunkPixels(
  images: tf.Tensor4D,
  patchSize: number,
  chunk: readonly number[],
): Promise<Float32Array> {
  return tensorBatch(images, patchSize).read(chunk);
}
