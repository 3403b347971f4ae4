/**
 * The forward FusedConv2D (tfjs-layers' convolutions run it) as per-tap GEMMs with the SIMD loop `forwardGemm`
 * (`tap-gemms.ts`), for the layers where that beats the shipped XNNPACK convolution: measured on every ResNet50
 * layer shape at 0.45–0.95× its time (most on 1×1 convolutions, where XNNPACK is slowest), and a few per cent
 * on MobileNetV2's inference; 'same' 3×3 stride-1 ones by Winograd where that wins (`winograd.ts`). Convolutions
 * with a bias, an activation, other layouts, output channels not a multiple of 8, or few input channels go to the
 * shipped kernel.
 */
import {
  backend_util,
  FusedConv2D,
  type FusedConv2DAttrs,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { overShipped } from './shipped.ts';
import { convKernels } from './conv-kernels.ts';
import { gemmConv2d } from './tap-gemms.ts';
import { wasmScope } from './wasm-ops.ts';
import { winogradConv2d, winogradShape, winogradTile } from './winograd.ts';

type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Whether the SIMD GEMMs beat XNNPACK on this layer: with few input channels each register tile's load and store
 * of y outweighs its arithmetic (the 3-channel stems: 1.4× XNNPACK's time). MobileNetV2 inference ran 6 % faster
 * with the GEMMs from 16 input channels on than from 64 (`test/bench/train.ts`, back to back).
 */
const gemmWins = (info: Conv2DInfo) => info.inChannels >= 16;

/**
 * y = x ⊛ filter by Winograd where `winogradTile` picks it, else by `gemmConv2d` (cout a multiple of 8; the
 * runtime must have the SIMD kernels).
 */
export function conv2dForward(
  backend: KernelBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const tile = winogradTile(info, false);
  return wasmScope(backend, (ops) =>
    tile
      ? winogradConv2d(ops, convKernels(ops.backend)!, x, filter, winogradShape(info, false), tile, false)
      : gemmConv2d(ops, convKernels(ops.backend)!, x, filter, info),
  );
}

export const forwardConvKernelConfig: KernelConfig = overShipped(
  FusedConv2D,
  ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const a = attrs as unknown as FusedConv2DAttrs;
    const plain = bias == null && preluActivationWeights == null && (a.activation ?? 'linear') === 'linear';
    if (!plain || !x || !filter || x.dtype !== 'float32' || a.dataFormat !== 'NHWC') return null;
    if (x.shape.length !== 4 || filter.shape.length !== 4 || !convKernels(backend as BackendWasm))
      return null;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
    );
    const sizes = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    if (info.outChannels % 8 !== 0 || sizes.some((d) => d === 0)) return null;
    if (!winogradTile(info, false) && !gemmWins(info)) return null;
    return conv2dForward(backend as KernelBackend, x, filter, info);
  },
);
