import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { clampGradient } from '../kernels/activation-grads.ts';
import { channelSum } from '../kernels/batch-norm-grad.ts';
import { channelAffine, channelCentre, channelDot, channelMoments } from '../kernels/channel-ops.ts';

/**
 * The replicas taking part in the current call, each holding part of the batch. Both collectives must give every
 * replica bitwise the same answer. Installed by a parallel engine worker; null means one process.
 */
export interface ReplicaGroup {
  /** The element-wise sum of every replica's vector. */
  sum(values: Float64Array): Float64Array;
  /** Every replica's vector, in rank order. */
  gather(values: Float64Array): Float64Array[];
}

let group: ReplicaGroup | null = null;

/** Installs (or with null, removes) the group the batch-norm layers of this thread synchronise through. */
export function setBatchNormGroup(replicas: ReplicaGroup | null): void {
  group = replicas;
}

/** Per-channel sums of this replica, summed over the group when one is installed. */
function reduced(local: tf.Tensor1D[]): tf.Tensor1D[] {
  if (!group) return local;
  const channels = local[0]!.shape[0];
  const packed = new Float64Array(channels * local.length);
  local.forEach((t, i) => packed.set(t.dataSync(), i * channels));
  const total = group.sum(packed);
  return local.map((_, i) =>
    tf.tensor1d(Float32Array.from(total.subarray(i * channels, (i + 1) * channels))),
  );
}

/** The batch's per-channel statistics, and delta = mean − shift, this replica's centring correction. */
interface BatchMoments {
  count: number;
  mean: tf.Tensor1D;
  m2: tf.Tensor1D;
  delta: tf.Tensor1D;
}

/**
 * The batch's statistics from this replica's count, the shift it centred on, its centred mean (mean − shift) and
 * M2 = Σ (x − mean)². Over a group: every replica's count, mean and M2 gathered and combined by Chan, Golub and
 * LeVeque's pairwise update (M2 = Σ_r M2_r + n_r·(mean_r − mean)²), in float64 and in rank order on every replica.
 */
function combined(rows: number, shift: tf.Tensor1D, offset: tf.Tensor1D, m2: tf.Tensor1D): BatchMoments {
  if (!group) return { count: rows, mean: tf.add(shift, offset) as tf.Tensor1D, m2, delta: offset };
  const c = shift.shape[0];
  const [s, o] = [shift.dataSync(), offset.dataSync()];
  const packed = new Float64Array(1 + 2 * c);
  packed[0] = rows;
  for (let k = 0; k < c; k++) packed[1 + k] = s[k]! + o[k]!;
  packed.set(m2.dataSync(), 1 + c);
  const parts = group.gather(packed);
  const count = parts.reduce((n, p) => n + p[0]!, 0);
  const [mean, total] = [new Float64Array(c), new Float64Array(c)];
  for (const p of parts) for (let k = 0; k < c; k++) mean[k]! += (p[0]! * p[1 + k]!) / count;
  for (const p of parts)
    for (let k = 0; k < c; k++) total[k]! += p[1 + c + k]! + p[0]! * (p[1 + k]! - mean[k]!) ** 2;
  const f32 = (v: ArrayLike<number>) => tf.tensor1d(Float32Array.from(v));
  return { count, mean: f32(mean), m2: f32(total), delta: f32(mean.map((m, k) => m - s[k]!)) };
}

/** The activation a SyncBatchNorm applies to its output (after the residual, if any). */
export type BatchNormActivation = 'linear' | 'relu' | 'relu6';
/** Each activation as the bounds batch norm's output pass clamps to, and as the op the inference path applies. */
const ACTIVATIONS: Record<
  BatchNormActivation,
  { clamp?: readonly [number, number]; op: (t: tf.Tensor) => tf.Tensor }
> = {
  linear: { op: (t) => t },
  relu: { clamp: [0, Infinity], op: (t) => tf.relu(t) },
  relu6: { clamp: [0, 6], op: (t) => tf.relu6(t) },
};

interface SyncBatchNormArgs {
  name?: string;
  /** Applied to the normalised output plus the residual: one pass instead of an Add and an Activation layer. */
  activation?: BatchNormActivation;
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
 * each see part of the batch (PyTorch's SyncBatchNorm): the forward takes each replica's count, mean and Σ(x − µ)²
 * from one pass over its share and gathers them (one exchange per layer), the backward all-reduces Σdy and
 * Σdy·(x − µ). In one process it computes what tfjs-layers' BatchNormalization does (up to rounding) — same
 * weights in the same order (gamma, beta, moving_mean, moving_variance), biased batch variance in the moving
 * average, Keras momentum (new = m·old + (1 − m)·batch) — with one-pass channel kernels on wasm. Gradients of gamma
 * and beta are this replica's share; the caller sums them over replicas.
 *
 * Called on [x, residual] it adds the residual (a ResNet shortcut) to the normalised x, and with an activation it
 * clamps the sum (relu, relu6): in training mode that is one pass over the activation where a batch norm, an Add
 * and an Activation layer took three.
 */
export class SyncBatchNorm extends tfl.layers.Layer {
  static className = 'PatchgdSyncBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  readonly activation: BatchNormActivation;
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
    this.activation = args.activation ?? 'linear';
    if (!(this.activation in ACTIVATIONS))
      throw new Error(`SyncBatchNorm: unknown activation '${this.activation}'`);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
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
    const [x, residual] = Array.isArray(inputs) ? [inputs[0]!, inputs[1] ?? null] : [inputs, null];
    const gamma = this.gamma!.read();
    const beta = this.beta!.read();
    if (kwargs['training'] !== true)
      // Per-channel scale and shift, then one pass over the activation: on wasm several times faster than the
      // FusedBatchNorm kernel. The residual and the activation as ops of their own, which tfjs differentiates.
      return tf.tidy(() => {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.movingVariance!.read(), this.epsilon)));
        const shift = tf.sub(beta, tf.mul(this.movingMean!.read(), scale));
        const y = channelAffine(x, scale, shift);
        return ACTIVATIONS[this.activation].op(residual ? tf.add(y, residual) : y);
      });
    return this.normaliseBatch(x, gamma, beta, residual);
  }

  private normaliseBatch(
    x: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    residual: tf.Tensor | null,
  ): tf.Tensor {
    const epsilon = this.epsilon;
    const { clamp } = ACTIVATIONS[this.activation];
    // The residual enters the output pass as its second term, times one.
    const plus = (r: tf.Tensor | null) => (r ? { z: r, b: tf.onesLike(gamma) } : undefined);
    let count = 0;
    const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
    /**
     * The batch's statistics from one pass that centres x on its first row (a sample, so within a few standard
     * deviations of the mean: summing squares about it loses no precision to cancellation) and sums the centred
     * values and their squares; the centred values themselves when `keepCentred`.
     */
    const moments = (xIn: tf.Tensor, keepCentred: boolean) => {
      const c = xIn.shape[xIn.rank - 1]!;
      const rows = xIn.size / c;
      const shift = tf.reshape(tf.slice(tf.reshape(xIn, [rows, c]), [0, 0], [1, c]), [c]) as tf.Tensor1D;
      const { squares, sums, centred } = keepCentred
        ? channelCentre(xIn, shift)
        : { ...channelMoments(xIn, shift), centred: null };
      const offset = tf.div(sums, rows) as tf.Tensor1D;
      const m2 = tf.relu(tf.sub(squares, tf.mul(sums, offset))) as tf.Tensor1D;
      const batch = combined(rows, shift, offset, m2);
      count = batch.count;
      const variance = tf.div(batch.m2, count) as tf.Tensor1D;
      stats.mean = tf.keep(batch.mean);
      stats.variance = tf.keep(variance);
      return { centred, invStd: tf.rsqrt(tf.add(variance, epsilon)), mean: batch.mean, delta: batch.delta };
    };
    if (!tf.engine().isTapeOn()) {
      // No gradient will be asked for (a Z fill): scale and shift x itself, and write no centred copy.
      const y = tf.tidy(() => {
        const { invStd, mean } = moments(x, false);
        const scale = tf.mul(gamma, invStd);
        return channelAffine(x, scale, tf.sub(beta, tf.mul(mean, scale)), plus(residual), clamp);
      });
      this.updateMovingStatistics(stats.mean!, stats.variance!);
      return y;
    }
    const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xIn, gammaIn, betaIn] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const residualIn = args.length > 4 ? (args[3] as tf.Tensor) : null;
      const { centred, invStd, delta } = moments(xIn, true);
      const scale = tf.mul(gammaIn, invStd);
      // x − mean = centred − delta: the output and the gradient take the batch's centring as that correction.
      const value = channelAffine(
        centred!,
        scale,
        tf.sub(betaIn, tf.mul(delta, scale)),
        plus(residualIn),
        clamp,
      );
      // The activation's gradient is read off its output.
      save([centred!, invStd, gammaIn, delta, value]);
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [cs, s, g, d, y] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor];
          const dyT = clamp ? clampGradient(dy as tf.Tensor, y, clamp) : (dy as tf.Tensor);
          const localSum = channelSum(dyT);
          // Σdy·(x − mean) of this replica, from its own centring.
          const localDot = tf.sub(channelDot(dyT, cs), tf.mul(d, localSum)) as tf.Tensor1D;
          const [sumDy, sumDyCentred] = reduced([localSum, localDot]) as [tf.Tensor1D, tf.Tensor1D];
          // dx = g·s·(dy − Σdy/N − x̂·Σdy·x̂/N) with x̂ = (x − µ)·s, written as per-channel factors on dy and on
          // the centred x, whose correction −delta goes into the constant term.
          const gs = tf.mul(g, s);
          const onCentred = tf.neg(tf.div(tf.mul(tf.mul(gs, tf.square(s)), sumDyCentred), count));
          const constant = tf.sub(tf.neg(tf.div(tf.mul(gs, sumDy), count)), tf.mul(onCentred, d));
          const dx = channelAffine(dyT, gs, constant, { z: cs, b: onCentred });
          const grads = [dx, tf.mul(s, localDot), tf.clone(localSum)];
          return residualIn ? [...grads, clamp ? dyT : tf.clone(dyT)] : grads;
        },
      };
    });
    const y = residual ? normalise(x, gamma, beta, residual) : normalise(x, gamma, beta);
    this.updateMovingStatistics(stats.mean!, stats.variance!);
    return y;
  }

  /** Keras momentum: new = m·old + (1 − m)·batch; takes and frees the batch's statistics. */
  private updateMovingStatistics(mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const update = (variable: tfl.LayerVariable, value: tf.Tensor1D) =>
      tf.tidy(() => {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - this.momentum)));
      });
    update(this.movingMean!, mean);
    update(this.movingVariance!, variance);
    tf.dispose([mean, variance]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config = { ...super.getConfig(), axis: -1, momentum: this.momentum, epsilon: this.epsilon };
    // Topologies of layers without an activation stay as they were.
    return this.activation === 'linear' ? config : { ...config, activation: this.activation };
  }
}
tf.serialization.registerClass(SyncBatchNorm);
