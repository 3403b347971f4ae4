import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SyncBatchNorm, type BatchNormActivation } from './sync-batch-norm.ts';

type Initializer = ReturnType<typeof tfl.initializers.heNormal>;

/**
 * Hands out one distinct seed per layer so that a model built twice from the same seed has identical weights
 * (tfjs-layers' default initialisers draw from Math.random and would not).
 */
export class LayerSeeds {
  private next: number;

  constructor(seed: number) {
    // Spread base seeds far apart so models built from neighbouring seeds do not share layer seeds.
    this.next = (Math.imul(seed >>> 0, 0x9e3779b1) >>> 0) % 1_000_000_007;
  }

  /** He-normal (fan-in) for convolution kernels, the usual choice before ReLU. */
  conv(): Initializer {
    return tfl.initializers.heNormal({ seed: this.take() });
  }

  /** Glorot-uniform for dense layers, as Keras and PyTorch-like defaults. */
  dense(): Initializer {
    return tfl.initializers.glorotUniform({ seed: this.take() });
  }

  private take(): number {
    this.next = (this.next + 1) % 1_000_000_007;
    return this.next;
  }
}

/**
 * PyTorch's BatchNorm defaults (momentum 0.1 of the new value ≙ Keras momentum 0.9, epsilon 1e-5), as a layer whose
 * training statistics the parallel engine can synchronise across worker threads; the activation after it (and a
 * residual added before that, when applied to [x, residual]) runs in its output pass.
 */
export function batchNorm(name: string, activation: BatchNormActivation = 'linear'): tfl.layers.Layer {
  return new SyncBatchNorm({ momentum: 0.9, epsilon: 1e-5, name, activation });
}

/** Number of scalar trainable parameters of a model. */
export function countTrainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + tf.util.sizeFromShape(w.shape as number[]), 0);
}
