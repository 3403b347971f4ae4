import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { channelSum } from '../engine/wasm-kernels/batch-norm-grad.ts';
import { channelAffine, channelCentre, channelDot } from '../engine/wasm-kernels/channel-ops.ts';

/**
 * Sums a vector element-wise over every replica taking part in the current call and returns the total, which must
 * be bitwise the same on all of them. Installed by a parallel engine worker; null (one process) is the identity.
 */
export type AllReduce = (values: Float64Array) => Float64Array;

let allReduce: AllReduce | null = null;

/** Installs (or with null, removes) the all-reduce the batch-norm layers of this thread synchronise through. */
export function setBatchNormAllReduce(reduce: AllReduce | null): void {
  allReduce = reduce;
}

/** Per-channel sums of this replica, summed over all replicas when an all-reduce is installed. */
function reduced(local: tf.Tensor1D[], extra: number[] = []): { sums: tf.Tensor1D[]; extra: number[] } {
  if (!allReduce) return { sums: local, extra };
  const channels = local[0]!.shape[0];
  const packed = new Float64Array(extra.length + channels * local.length);
  packed.set(extra);
  local.forEach((t, i) => packed.set(t.dataSync(), extra.length + i * channels));
  const total = allReduce(packed);
  const sums = local.map((_, i) => {
    const start = extra.length + i * channels;
    return tf.tensor1d(Float32Array.from(total.subarray(start, start + channels)));
  });
  return { sums, extra: Array.from(total.subarray(0, extra.length)) };
}

interface SyncBatchNormArgs {
  name?: string;
  momentum?: number;
  epsilon?: number;
  /** Accepted so that topologies saved with tfjs-layers' BatchNormalization load; only the last axis is supported. */
  axis?: number;
  center?: boolean;
  scale?: boolean;
  trainable?: boolean;
}

/**
 * Batch normalisation over the last axis whose training-mode statistics can be synchronised across replicas that
 * each see part of the batch (PyTorch's SyncBatchNorm): the forward all-reduces the count and Σx, then Σ(x − µ)²
 * (two passes, as numerically stable as tfjs' moments), the backward Σdy and Σdy·(x − µ). In one process it
 * computes what tfjs-layers' BatchNormalization does — same weights in the same order (gamma, beta, moving_mean,
 * moving_variance), biased batch variance in the moving average, Keras momentum (new = m·old + (1 − m)·batch) —
 * and its channel sums are matrix products with a ones vector, which the wasm backend runs far faster than Mean.
 * Gradients of gamma and beta are this replica's share; the caller sums them over replicas.
 */
export class SyncBatchNorm extends tfl.layers.Layer {
  static className = 'PatchgdSyncBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;
  private movingMean: tfl.LayerVariable | null = null;
  private movingVariance: tfl.LayerVariable | null = null;

  constructor(args: SyncBatchNormArgs = {}) {
    super(args);
    if (args.axis !== undefined && args.axis !== -1)
      throw new Error(`SyncBatchNorm normalises the last axis only (got axis ${args.axis})`);
    if (args.center === false || args.scale === false)
      throw new Error('SyncBatchNorm always has gamma and beta');
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.supportsMasking = true;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`${this.name}: the channel axis needs a defined size`);
    const add = (name: string, init: 'ones' | 'zeros', trainable: boolean) =>
      this.addWeight(
        name,
        [channels],
        'float32',
        init === 'ones' ? tfl.initializers.ones() : tfl.initializers.zeros(),
        undefined,
        trainable,
      );
    this.gamma = add('gamma', 'ones', true);
    this.beta = add('beta', 'zeros', true);
    this.movingMean = add('moving_mean', 'zeros', false);
    this.movingVariance = add('moving_variance', 'ones', false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const gamma = this.gamma!.read();
    const beta = this.beta!.read();
    if (kwargs['training'] !== true)
      // Per-channel scale and shift, then one pass over the activation: on wasm several times faster than the
      // FusedBatchNorm kernel.
      return tf.tidy(() => {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
        const shift = tf.sub(beta, tf.mul(this.movingMean!.read(), scale));
        return channelAffine(x, scale, shift);
      });
    return this.normaliseBatch(x, gamma, beta);
  }

  private normaliseBatch(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const epsilon = this.epsilon;
    let count = 0;
    const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
    const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xIn, gammaIn, betaIn] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
      const save = args[3] as tf.GradSaveFunc;
      const rows = xIn.size / xIn.shape[xIn.rank - 1]!;
      const first = reduced([channelSum(xIn)], [rows]);
      count = first.extra[0]!;
      const mean = tf.div(first.sums[0]!, count) as tf.Tensor1D;
      const { centred, squares } = channelCentre(xIn, mean);
      const second = reduced([squares]);
      const variance = tf.div(second.sums[0]!, count) as tf.Tensor1D;
      const invStd = tf.rsqrt(tf.add(variance, epsilon));
      stats.mean = tf.keep(mean);
      stats.variance = tf.keep(variance);
      save([centred, invStd, gammaIn]);
      return {
        value: channelAffine(centred, tf.mul(gammaIn, invStd), betaIn),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const dyT = dy as tf.Tensor;
          const [c, s, g] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
          const local = [channelSum(dyT), channelDot(dyT, c)];
          const [sumDy, sumDyCentred] = reduced(local).sums as [tf.Tensor1D, tf.Tensor1D];
          // dx = g·s·(dy − Σdy/N − x̂·Σdy·x̂/N) with x̂ = (x − µ)·s, written as per-channel factors on dy and (x − µ).
          const gs = tf.mul(g, s);
          const onCentred = tf.neg(tf.div(tf.mul(tf.mul(gs, tf.square(s)), sumDyCentred), count));
          const shift = tf.neg(tf.div(tf.mul(gs, sumDy), count));
          const dx = channelAffine(dyT, gs, shift, { z: c, b: onCentred });
          return [dx, tf.mul(s, local[1]!), tf.clone(local[0]!)];
        },
      };
    });
    const y = normalise(x, gamma, beta);
    const update = (variable: tfl.LayerVariable, value: tf.Tensor1D) =>
      tf.tidy(() => {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - this.momentum)));
      });
    update(this.movingMean!, stats.mean!);
    update(this.movingVariance!, stats.variance!);
    tf.dispose([stats.mean!, stats.variance!]);
    return y;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: -1, momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(SyncBatchNorm);
