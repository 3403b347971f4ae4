import type * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../../base/errors.ts';
import { buildHead, buildPassThroughHead } from './head.ts';
import { buildMobileNetV2 } from './mobilenetv2.ts';
import { buildResNet50 } from './resnet50.ts';
import { LayerSeeds } from './seeds.ts';
import { buildSmallBackbone } from './small.ts';

import { BACKBONES, type BackboneName } from '../../shared/names.ts';

export { BACKBONES, type BackboneName };

export interface BackboneOptions {
  /** Side of the square input (patch side m for PatchGD; the whole downscaled image for the GD baseline). */
  patchSize: number;
  /** Size d of the embedding each patch maps to. */
  latentDim: number;
  /** MobileNetV2 width multiplier (default 1). */
  widthMultiplier?: number;
  seed: number;
}

export interface HeadOptions {
  k: number;
  latentDim: number;
  numClasses: number;
  seed: number;
  /** Channel dropout rate between blocks (the paper's 0.2). */
  dropout?: number;
}

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(null, `${what} must be a positive integer, got ${value}`);
}

/** Backbone f: an m×m×3 image (NHWC) → global average pool → dense to d. Weights seeded. */
export function createBackbone(name: BackboneName, options: BackboneOptions): tfl.LayersModel {
  checkPositiveInt(options.patchSize, 'patch size');
  checkPositiveInt(options.latentDim, 'latent size');
  const seeds = new LayerSeeds(options.seed);
  switch (name) {
    case 'resnet50':
      // Five stride-2 stages: smaller inputs collapse to nothing.
      if (options.patchSize < 32)
        throw new UsageError(null, `resnet50 needs patches of at least 32 px, got ${options.patchSize}`);
      return buildResNet50(options.patchSize, options.latentDim, seeds);
    case 'mobilenetv2': {
      if (options.patchSize < 32)
        throw new UsageError(null, `mobilenetv2 needs patches of at least 32 px, got ${options.patchSize}`);
      const alpha = options.widthMultiplier ?? 1;
      if (!(alpha > 0 && alpha <= 4))
        throw new UsageError(null, `width multiplier must be in (0, 4], got ${alpha}`);
      return buildMobileNetV2(options.patchSize, options.latentDim, alpha, seeds);
    }
    case 'small':
      return buildSmallBackbone(options.patchSize, options.latentDim, seeds);
    default:
      throw new UsageError(null, `unknown backbone '${String(name)}' (known: ${BACKBONES.join(', ')})`);
  }
}

/** Head g on the k×k×d latent grid Z → class logits. */
export function createHead(options: HeadOptions): tfl.LayersModel {
  checkPositiveInt(options.k, 'grid size k');
  checkPositiveInt(options.latentDim, 'latent size');
  checkPositiveInt(options.numClasses, 'number of classes');
  if (options.numClasses < 2)
    throw new UsageError(null, `need at least 2 classes, got ${options.numClasses}`);
  return buildHead(
    options.k,
    options.latentDim,
    options.numClasses,
    new LayerSeeds(options.seed),
    options.dropout,
  );
}

/** The GD baseline's head: its backbone's last dense layer gives the logits, passed through unchanged. */
export function createPassThroughHead(numClasses: number): tfl.LayersModel {
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new UsageError(null, `need at least 2 classes, got ${numClasses}`);
  return buildPassThroughHead(numClasses);
}
