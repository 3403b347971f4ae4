import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createBackbone, createHead, createPassThroughHead } from '../models/registry.ts';
import type { TrainConfig } from '../../shared/train-config.ts';
import { gridSize } from './grid.ts';

/**
 * The trainable parts of a run. PatchGD: backbone f on m×m patches and head g on the k×k×d grid Z. GD baseline:
 * the same backbone on the whole downscaled image, its final dense layer to the classes (`head` passes it through).
 */
export interface RunModels {
  method: 'patchgd' | 'gd';
  backbone: tfl.LayersModel;
  head: tfl.LayersModel;
  /** Side of the backbone's input: the patch side (PatchGD) or the downscaled image side (GD). */
  inputSize: number;
}

/** Trainable variables of backbone then head, in a fixed order (the optimizer's state follows it). */
export function trainableVariables(models: RunModels): tf.Variable[] {
  return [...models.backbone.trainableWeights, ...models.head.trainableWeights].map(
    (w) => w.read() as tf.Variable,
  );
}

/** Fresh, seeded models for a configuration; for GD, `gdInputSize` is the side the memory plan chose. */
export function buildModels(config: TrainConfig, gdInputSize?: number): RunModels {
  const common = { latentDim: config.latentDim, widthMultiplier: config.widthMultiplier, seed: config.seed };
  if (config.method === 'gd') {
    const inputSize = gdInputSize ?? config.imageSize;
    return {
      method: 'gd',
      // The reference's baseline: the backbone's final dense layer goes straight to the classes.
      backbone: createBackbone(config.backbone, {
        ...common,
        latentDim: config.numClasses,
        patchSize: inputSize,
      }),
      head: createPassThroughHead(config.numClasses),
      inputSize,
    };
  }
  return {
    method: 'patchgd',
    backbone: createBackbone(config.backbone, { ...common, patchSize: config.patchSize }),
    head: createHead({
      k: gridSize(config.imageSize, config.patchSize),
      latentDim: config.latentDim,
      numClasses: config.numClasses,
      seed: config.seed + 1,
      dropout: config.headDropout,
    }),
    inputSize: config.patchSize,
  };
}

export function disposeModels(models: RunModels): void {
  models.backbone.dispose();
  models.head.dispose();
}
