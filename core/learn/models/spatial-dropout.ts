import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

interface SpatialDropoutConfig {
  rate: number;
  seed?: number;
  name?: string;
}

/**
 * PyTorch's Dropout2d for NHWC tensors: drops whole channels per sample (tfjs-layers only ships a 1-D variant).
 * Each training call draws its mask from an explicit seed that the caller advances (`setSeed`), so masks differ
 * from step to step yet a run — and a resumed run — reproduces them exactly.
 */
export class SpatialDropout2D extends tfl.layers.Layer {
  static className = 'PatchgdSpatialDropout2D';
  readonly rate: number;
  private seed: number;

  constructor(config: SpatialDropoutConfig) {
    super(config);
    if (!(config.rate >= 0 && config.rate < 1))
      throw new RangeError(`dropout rate ${config.rate} not in [0, 1)`);
    this.rate = config.rate;
    this.seed = config.seed ?? 0;
    this.supportsMasking = true;
  }

  /** Seed for the next training call; later calls (without a new seed) count up from it. */
  setSeed(seed: number): void {
    this.seed = seed >>> 0;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return x.clone();
    const seed = this.seed;
    this.seed = (this.seed + 1) >>> 0;
    return tf.tidy(() => {
      const [batch, , , channels] = x.shape as [number, number, number, number];
      const keep = tf.greaterEqual(
        tf.randomUniform([batch, 1, 1, channels], 0, 1, 'float32', seed),
        this.rate,
      );
      return tf.mul(x, tf.div(tf.cast(keep, 'float32'), 1 - this.rate));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SpatialDropout2D);

/** Sets the dropout seeds of every SpatialDropout2D layer of a model (distinct per layer) for the next call. */
export function setDropoutSeed(model: tfl.LayersModel, seed: number): void {
  model.layers.forEach((layer, i) => {
    if (layer instanceof SpatialDropout2D) layer.setSeed((seed + Math.imul(i, 0x61c88647)) >>> 0);
  });
}
