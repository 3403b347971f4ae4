import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, type LayerSeeds } from './seeds.ts';

type T = tfl.SymbolicTensor;

/** Stage layout of ResNet50: [blocks, bottleneck width, output width, first stride]. */
const STAGES: ReadonlyArray<readonly [number, number, number, number]> = [
  [3, 64, 256, 1],
  [4, 128, 512, 2],
  [6, 256, 1024, 2],
  [3, 512, 2048, 2],
];

/**
 * Convolution with PyTorch's symmetric padding: 'same' in TF pads stride-2 convolutions asymmetrically, so pad
 * explicitly and convolve 'valid' to get torchvision's geometry.
 */
function conv(x: T, filters: number, kernel: number, stride: number, name: string, seeds: LayerSeeds): T {
  const pad = Math.floor(kernel / 2);
  let y = x;
  if (pad > 0 && stride > 1) {
    y = tfl.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(y) as T;
  }
  return tfl.layers
    .conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: pad > 0 && stride === 1 ? 'same' : 'valid',
      useBias: false,
      kernelInitializer: seeds.conv(),
      name,
    })
    .apply(y) as T;
}

/** Convolution and batch norm, with relu in the batch norm's output pass when `relu`. */
function convBn(
  x: T,
  filters: number,
  kernel: number,
  stride: number,
  name: string,
  seeds: LayerSeeds,
  relu = false,
): T {
  return batchNorm(`${name}_bn`, relu ? 'relu' : 'linear').apply(
    conv(x, filters, kernel, stride, `${name}_conv`, seeds),
  ) as T;
}

/** torchvision's (v1.5) bottleneck: the stride sits on the 3×3 convolution; relu(shortcut + bn3) is one layer. */
function bottleneck(
  x: T,
  width: number,
  out: number,
  stride: number,
  project: boolean,
  name: string,
  seeds: LayerSeeds,
): T {
  let y = convBn(x, width, 1, 1, `${name}_1`, seeds, true);
  y = convBn(y, width, 3, stride, `${name}_2`, seeds, true);
  // The expanding convolution before the shortcut's, so that layers draw their seeds in torchvision's order.
  y = conv(y, out, 1, 1, `${name}_3_conv`, seeds);
  const shortcut = project ? convBn(x, out, 1, stride, `${name}_0`, seeds) : x;
  return batchNorm(`${name}_3_bn`, 'relu').apply([y, shortcut]) as T;
}

/** ResNet50 (bottleneck blocks [3, 4, 6, 3], no conv biases as torchvision), pooled, dense to the latent size. */
export function buildResNet50(patchSize: number, latentDim: number, seeds: LayerSeeds): tfl.LayersModel {
  const input = tfl.input({ shape: [patchSize, patchSize, 3], name: 'patch' });
  let x = convBn(input, 64, 7, 2, 'conv1', seeds, true);
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(x) as T;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x) as T;
  STAGES.forEach(([blocks, width, out, stride], s) => {
    for (let b = 0; b < blocks; b++) {
      x = bottleneck(x, width, out, b === 0 ? stride : 1, b === 0, `conv${s + 2}_block${b + 1}`, seeds);
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as T;
  const latent = tfl.layers
    .dense({ units: latentDim, kernelInitializer: seeds.dense(), name: 'latent' })
    .apply(x) as T;
  return tfl.model({ inputs: input, outputs: latent, name: 'resnet50_backbone' });
}
