import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, type LayerSeeds } from './seeds.ts';
import { SpatialDropout2D } from './spatial-dropout.ts';

type T = tfl.SymbolicTensor;

/** Spatial sizes the head's blocks produce for a k×k grid: k, then halved (rounded up) until ≤ 2. */
export function headSpatialSizes(k: number): number[] {
  const sizes = [k];
  while (sizes[sizes.length - 1]! > 2) sizes.push(Math.ceil(sizes[sizes.length - 1]! / 2));
  return sizes;
}

/**
 * The paper's head g on the latent grid Z (k×k×d): blocks of Conv3×3(d→d) → ReLU → BatchNorm → Dropout2d(0.2),
 * the first with stride 1, then stride-2 blocks until the grid is at most 2×2; flatten; dense to the classes.
 * Stride-2 blocks pad explicitly so the geometry is PyTorch's (⌈n/2⌉) for every k, not only k = 16.
 */
export function buildHead(
  k: number,
  latentDim: number,
  numClasses: number,
  seeds: LayerSeeds,
  dropout = 0.2,
): tfl.LayersModel {
  const input = tfl.input({ shape: [k, k, latentDim], name: 'z' });
  let x: T = input;
  headSpatialSizes(k).forEach((_, i) => {
    const stride = i === 0 ? 1 : 2;
    if (stride === 2) x = tfl.layers.zeroPadding2d({ padding: 1, name: `block${i}_pad` }).apply(x) as T;
    x = tfl.layers
      .conv2d({
        filters: latentDim,
        kernelSize: 3,
        strides: stride,
        padding: stride === 1 ? 'same' : 'valid',
        kernelInitializer: seeds.conv(),
        name: `block${i}_conv`,
      })
      .apply(x) as T;
    x = tfl.layers.activation({ activation: 'relu', name: `block${i}_relu` }).apply(x) as T;
    x = batchNorm(`block${i}_bn`).apply(x) as T;
    x = new SpatialDropout2D({ rate: dropout, name: `block${i}_dropout` }).apply(x) as T;
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as T;
  const logits = tfl.layers
    .dense({ units: numClasses, kernelInitializer: seeds.dense(), name: 'logits' })
    .apply(x) as T;
  return tfl.model({ inputs: input, outputs: logits, name: 'patchgd_head' });
}

/**
 * The GD baseline's head: none, as in the reference, whose baseline is the backbone with its final dense layer
 * (`fc`) going straight to the classes. A weight-free pass-through keeps the run's backbone + head shape.
 */
export function buildPassThroughHead(numClasses: number): tfl.LayersModel {
  const input = tfl.input({ shape: [numClasses], name: 'latent' });
  const logits = tfl.layers.activation({ activation: 'linear', name: 'logits' }).apply(input) as T;
  return tfl.model({ inputs: input, outputs: logits, name: 'pass_through' });
}
