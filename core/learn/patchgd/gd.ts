import * as tf from '@tensorflow/tfjs-core';
import type { Adam } from './adam.ts';
import type { RunModels } from './models.ts';
import { accumulate, argMaxRows, oneHotLabels } from './step.ts';

/**
 * Downscales [B, H, H, 3] images to `size` (takes ownership): box-average by the largest whole factor first so
 * that large reductions do not alias, then bilinear to the exact size.
 */
export function downscale(images: tf.Tensor4D, size: number): tf.Tensor4D {
  const side = images.shape[1];
  if (side === size) return images;
  const out = tf.tidy(() => {
    const factor = Math.floor(side / size);
    const pooled = factor >= 2 ? tf.avgPool(images, factor, factor, 'valid') : images;
    return pooled.shape[1] === size ? pooled : tf.image.resizeBilinear(pooled, [size, size], false, true);
  });
  images.dispose();
  return out;
}

/** Logits of the GD baseline: backbone on the whole (downscaled) image, through its (pass-through) head. */
export function gdLogits(models: RunModels, images: tf.Tensor4D, training: boolean): tf.Tensor2D {
  return tf.tidy(
    () =>
      models.head.apply(models.backbone.apply(images, { training }) as tf.Tensor, {
        training,
      }) as tf.Tensor2D,
  );
}

/** Gradients of the mean cross-entropy of the GD baseline on one batch, in `variables` order. */
export function gdGradients(
  models: RunModels,
  variables: readonly tf.Variable[],
  images: tf.Tensor4D,
  oneHot: tf.Tensor2D,
): { loss: tf.Scalar; logits: tf.Tensor2D; grads: tf.Tensor[] } {
  let logits: tf.Tensor2D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    logits = tf.keep(gdLogits(models, images, true));
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  }, variables as tf.Variable[]);
  return { loss: value, logits: logits!, grads: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}

/** One end-to-end gradient-descent step of the baseline on a batch of full-size images (takes ownership). */
export async function gdStep(
  models: RunModels,
  variables: readonly tf.Variable[],
  optimizer: Adam,
  images: tf.Tensor4D,
  labels: readonly number[],
  numClasses: number,
  lr: number,
): Promise<{ loss: number; predictions: number[] }> {
  const small = downscale(images, models.inputSize);
  const oneHot = oneHotLabels(labels, numClasses);
  const r = gdGradients(models, variables, small, oneHot);
  const grads = accumulate(null, r.grads);
  optimizer.step(grads, lr);
  const predictions = await argMaxRows(r.logits);
  const loss = (await r.loss.data())[0]!;
  tf.dispose([small, oneHot, r.logits, r.loss, ...grads]);
  return { loss, predictions };
}
