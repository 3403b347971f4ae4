/**
 * Patch attention on the latent grid Z [1, k, k, d] of one image: Grad-CAM and occlusion. Both run the head g
 * only, so neither needs the slide's pixels again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { headLogits, type PatchgdModel } from '../patchgd/index.ts';

/**
 * Grad-CAM on Z: channel weights are the spatial mean of ∂logit[target]/∂Z, the map is ReLU(Σ_c w_c·Z[…, c]).
 * Returns k² row-major scores (≥ 0).
 */
export function gradCam(model: PatchgdModel, z: tf.Tensor4D, target: number): Float32Array {
  const cam = tf.tidy(() => {
    const logit = (zz: tf.Tensor) =>
      tf.sum(tf.slice(headLogits(model, zz as tf.Tensor4D), [0, target], [1, 1]));
    const grad = tf.grad(logit)(z);
    const weights = tf.mean(grad, [1, 2], true);
    return tf.relu(tf.sum(tf.mul(z, weights), -1));
  });
  const out = cam.dataSync() as Float32Array;
  cam.dispose();
  return Float32Array.from(out);
}

export interface OcclusionOptions {
  /** Occluded copies of Z pushed through the head at once (default: about 16 MB of them). */
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk with the cells done so far. */
  onChunk?: (done: number, total: number) => void;
}

/** Occluded Zs per head batch so that one batch holds about 2^22 floats. */
function defaultChunk(cells: number, depth: number): number {
  return Math.max(1, Math.min(cells, Math.floor(2 ** 22 / (cells * depth))));
}

/**
 * Occlusion on Z: each cell in turn is replaced by the mean embedding of all cells and the drop of the target
 * class probability is its score (negative drops, where hiding the cell helps the class, count as 0).
 * Returns k² row-major scores. Yields to the event loop between chunks so that `signal` can stop it.
 */
export async function occlusion(
  model: PatchgdModel,
  z: tf.Tensor4D,
  target: number,
  options: OcclusionOptions = {},
): Promise<Float32Array> {
  const [, k, , d] = z.shape;
  const cells = k * k;
  const chunk = options.chunkSize ?? defaultChunk(cells, d);
  const baseProbs = tf.tidy(() => tf.softmax(headLogits(model, z)));
  const base = (await baseProbs.data())[target]!;
  baseProbs.dispose();
  const flat = tf.reshape(z, [1, cells, d]);
  const mean = tf.mean(flat, 1, true);
  const scores = new Float32Array(cells);
  try {
    for (let start = 0; start < cells; start += chunk) {
      options.signal?.throwIfAborted();
      const n = Math.min(chunk, cells - start);
      const p = tf.tidy(() => {
        // Row b of the batch has cell start+b replaced by the mean: Z·(1 − onehot) + mean·onehot.
        const onehot = tf.reshape(tf.oneHot(tf.range(start, start + n, 1, 'int32'), cells), [n, cells, 1]);
        const occluded = tf.add(tf.mul(flat, tf.sub(1, onehot)), tf.mul(mean, onehot));
        const logits = headLogits(model, tf.reshape(occluded, [n, k, k, d]) as tf.Tensor4D);
        return tf.slice(tf.softmax(logits), [0, target], [n, 1]);
      });
      const values = await p.data();
      p.dispose();
      for (let b = 0; b < n; b++) scores[start + b] = Math.max(0, base - values[b]!);
      options.onChunk?.(start + n, cells);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return scores;
  } finally {
    tf.dispose([flat, mean]);
  }
}
