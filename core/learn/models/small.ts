import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, type LayerSeeds } from './seeds.ts';

type T = tfl.SymbolicTensor;

/** Side of the non-overlapping cells of the first layer: 4 px when the patch allows it. */
function cellSize(patchSize: number): number {
  return [4, 2].find((c) => patchSize % c === 0) ?? 1;
}

/**
 * A small, fast CNN for tests and CPU demos. The first layer is a c×c stride-c convolution written as
 * space-to-depth + dense, then two pointwise (1×1) layers, each with BN and ReLU; global average pooling; dense to
 * the latent size. All of it trains through matrix products, which the CPU backend runs far faster than its
 * generic convolution-filter gradient.
 */
export function buildSmallBackbone(patchSize: number, latentDim: number, seeds: LayerSeeds): tfl.LayersModel {
  const input = tfl.input({ shape: [patchSize, patchSize, 3], name: 'patch' });
  const c = cellSize(patchSize);
  const n = patchSize / c;
  let x: T = tfl.layers.reshape({ targetShape: [n, c, n, c, 3], name: 's2d_split' }).apply(input) as T;
  x = tfl.layers.permute({ dims: [1, 3, 2, 4, 5], name: 's2d_permute' }).apply(x) as T;
  x = tfl.layers.reshape({ targetShape: [n, n, c * c * 3], name: 's2d_merge' }).apply(x) as T;
  [32, 32].forEach((units, i) => {
    x = tfl.layers
      .dense({ units, useBias: false, kernelInitializer: seeds.conv(), name: `conv${i}` })
      .apply(x) as T;
    x = batchNorm(`bn${i}`).apply(x) as T;
    x = tfl.layers.activation({ activation: 'relu', name: `relu${i}` }).apply(x) as T;
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as T;
  const latent = tfl.layers
    .dense({ units: latentDim, kernelInitializer: seeds.dense(), name: 'latent' })
    .apply(x) as T;
  return tfl.model({ inputs: input, outputs: latent, name: 'small_backbone' });
}
