/**
 * A faster gradient for FusedBatchNorm (tf.batchNorm), replacing tfjs-core 4.22's for every backend.
 *
 * y = (x − mean)·s·g + offset with s = 1/√(variance + ε) and g = scale (1 when absent, as in tfjs-core's; tfjs
 * 4.22 cannot yet record a batchNorm without scale or offset for gradients). For NHWC input with
 * per-channel [C] statistics, every partial derivative is a per-channel factor times one of two channel sums:
 *   dx = dy·(g·s)                     dmean     = −g·s·Σdy
 *   doffset = Σdy                     dvariance = −½·g·s³·Σdy·(x − mean)
 *                                     dscale    = s·Σdy·(x − mean)
 * tfjs-core's version `tile`s s to the full activation for dx (the wasm backend's Tile is a scalar loop: about
 * 20× an elementwise op), and runs a full-size multiply chain and reduction per statistic. Here the [C] factors
 * broadcast, and the two sums are computed once, when the gradient function runs, so all the gradients asked
 * for share them. When only dx is asked for (frozen batch norm) they are wasted work, about what tfjs-core's
 * eagerly computed full-size (x − mean) and dy·g cost there. Other layouts keep tfjs-core's gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FusedBatchNorm, getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';
// Loading tfjs-layers registers tfjs-core's gradients (its bundle carries them), which ours replaces and falls
// back to; importing it first means a later import cannot overwrite ours.
import '@tensorflow/tfjs-layers';

interface FusedBatchNormAttrs {
  varianceEpsilon: number;
}

/**
 * Σ over all axes but the last of a [..., C] tensor, as a [C] tensor: one reduction of the [rows, C] view down its
 * columns (on wasm the project's SIMD Sum, `reductions.ts`).
 */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  const channels = t.shape[t.rank - 1]!;
  return tf.tidy(() => tf.sum(tf.reshape(t, [t.size / channels, channels]), 0) as tf.Tensor1D);
}

/** Whether `t` is absent or one value per channel. */
function perChannel(t: tf.Tensor | undefined, channels: number): boolean {
  return t == null || (t.rank === 1 && t.shape[0] === channels);
}

function makeConfig(shipped: GradConfig): GradConfig {
  return {
    kernelName: FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const dyT = dy as tf.Tensor;
      const channels = x.shape[x.rank - 1]!;
      const nhwc = x.rank === 4 && [mean, variance, scale].every((t) => perChannel(t, channels));
      if (!nhwc) return shipped.gradFunc(dy, saved, attrs);
      const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
      const s = tf.rsqrt(tf.add(variance, varianceEpsilon));
      const gs = scale == null ? s : tf.mul(scale, s);
      const sumDy = channelSum(dyT);
      // The product is a full-size temporary: free it as soon as it is summed.
      const centred = tf.sub(x, mean);
      const product = tf.mul(dyT, centred);
      centred.dispose();
      const sumDyCentred = channelSum(product);
      product.dispose();
      return {
        x: () => tf.mul(dyT, gs),
        mean: () => tf.neg(tf.mul(gs, sumDy)),
        variance: () => tf.mul(tf.mul(tf.mul(gs, tf.square(s)), -0.5), sumDyCentred),
        scale: () => tf.mul(s, sumDyCentred),
        offset: () => tf.clone(sumDy),
      };
    },
  };
}

let shipped: GradConfig | null = null;
let ours: GradConfig | null = null;

/** tfjs-core's own FusedBatchNorm gradient, as registered before ours replaced it (null before that). */
export function shippedBatchNormGradient(): GradConfig | null {
  return shipped;
}

/**
 * Makes ours the registered FusedBatchNorm gradient and returns it. Idempotent, and safe to call again after
 * something re-registered tfjs-core's: tfjs-layers' bundle registers all of tfjs-core's gradients when it loads.
 */
export function registerBatchNormGradient(): GradConfig {
  const current = getGradient(FusedBatchNorm);
  if (ours && current?.gradFunc === ours.gradFunc) return ours;
  if (!current) throw new Error('tfjs-core registers no FusedBatchNorm gradient to replace');
  shipped = current;
  ours = makeConfig(current);
  registerGradient(ours);
  return ours;
}
