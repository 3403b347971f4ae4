import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm, type LayerSeeds } from './seeds.ts';

type T = tfl.SymbolicTensor;

/** Inverted-residual settings of MobileNetV2: expansion t, channels c, repeats n, first stride s. */
const SETTINGS: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Rounds channels to a multiple of 8 without going more than 10 % below the request (as the original). */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor(value / divisor + 0.5) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

/** A 1×1 convolution and batch norm, with relu6 or a residual added in the batch norm's output pass. */
function pointwise(
  x: T,
  filters: number,
  name: string,
  seeds: LayerSeeds,
  activation: 'linear' | 'relu6',
  residual: T | null = null,
): T {
  const y = tfl.layers
    .conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: seeds.conv(), name })
    .apply(x) as T;
  return batchNorm(`${name}_bn`, activation).apply(residual ? [y, residual] : y) as T;
}

/** Pads symmetrically before stride-2 3×3 convolutions to match PyTorch's geometry. */
function padFor(x: T, stride: number, name: string): T {
  return stride > 1 ? (tfl.layers.zeroPadding2d({ padding: 1, name: `${name}_pad` }).apply(x) as T) : x;
}

function invertedResidual(
  x: T,
  inC: number,
  outC: number,
  stride: number,
  t: number,
  name: string,
  seeds: LayerSeeds,
): T {
  let y = x;
  if (t !== 1) y = pointwise(y, inC * t, `${name}_expand`, seeds, 'relu6');
  y = tfl.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride > 1 ? 'valid' : 'same',
      depthMultiplier: 1,
      useBias: false,
      depthwiseInitializer: seeds.conv(),
      name: `${name}_dw`,
    })
    .apply(padFor(y, stride, `${name}_dw`)) as T;
  y = batchNorm(`${name}_dw_bn`, 'relu6').apply(y) as T;
  return pointwise(y, outC, `${name}_project`, seeds, 'linear', stride === 1 && inC === outC ? x : null);
}

/** MobileNetV2 with a width multiplier (ReLU6, depthwise convolutions), pooled, dense to the latent size. */
export function buildMobileNetV2(
  patchSize: number,
  latentDim: number,
  widthMultiplier: number,
  seeds: LayerSeeds,
): tfl.LayersModel {
  const input = tfl.input({ shape: [patchSize, patchSize, 3], name: 'patch' });
  let channels = makeDivisible(32 * widthMultiplier);
  let x = tfl.layers
    .conv2d({
      filters: channels,
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      useBias: false,
      kernelInitializer: seeds.conv(),
      name: 'stem',
    })
    .apply(padFor(input, 2, 'stem')) as T;
  x = batchNorm('stem_bn', 'relu6').apply(x) as T;
  let block = 0;
  for (const [t, c, n, s] of SETTINGS) {
    const outC = makeDivisible(c * widthMultiplier);
    for (let i = 0; i < n; i++) {
      x = invertedResidual(x, channels, outC, i === 0 ? s : 1, t, `block${block++}`, seeds);
      channels = outC;
    }
  }
  const lastC = makeDivisible(1280 * Math.max(1, widthMultiplier));
  x = pointwise(x, lastC, 'head_conv', seeds, 'relu6');
  x = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as T;
  const latent = tfl.layers
    .dense({ units: latentDim, kernelInitializer: seeds.dense(), name: 'latent' })
    .apply(x) as T;
  return tfl.model({ inputs: input, outputs: latent, name: 'mobilenetv2_backbone' });
}
