import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, type LayerSeeds } from './seeds.ts';

/**
 * A small, fast CNN for tests and CPU demos: three conv–BN–ReLU stages (widths 16, 32, 64; the last two stride 2),
 * global average pooling, dense to the latent size.
 */
export function buildSmallBackbone(patchSize: number, latentDim: number, seeds: LayerSeeds): tfl.LayersModel {
  const input = tfl.input({ shape: [patchSize, patchSize, 3], name: 'patch' });
  let x: tfl.SymbolicTensor = input;
  const widths = [16, 32, 64];
  widths.forEach((filters, i) => {
    x = tfl.layers
      .conv2d({
        filters,
        kernelSize: 3,
        strides: i === 0 ? 1 : 2,
        padding: 'same',
        useBias: false,
        kernelInitializer: seeds.conv(),
        name: `conv${i}`,
      })
      .apply(x) as tfl.SymbolicTensor;
    x = batchNorm(`bn${i}`).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ activation: 'relu', name: `relu${i}` }).apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const latent = tfl.layers
    .dense({ units: latentDim, kernelInitializer: seeds.dense(), name: 'latent' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: latent, name: 'small_backbone' });
}
