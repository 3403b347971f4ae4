/**
 * The forward FusedConv2D (tfjs-layers' convolutions run it) as per-tap GEMMs with the SIMD loop of the
 * convolution gradients (`forwardGemm`, on the same segment tables as `tapGemms`), for the layers where it beats
 * the shipped XNNPACK convolution: 1×1 convolutions, where XNNPACK runs at about half the speed of its own 3×3
 * ones (measured 20 vs 34 GFLOP/s on ResNet50's shapes), and, with relaxed SIMD's fused multiply-add, the rest.
 * Convolutions with a bias, an activation or other layouts go to the shipped kernel.
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
import { tapGemms } from './conv-grads.ts';
import { overShipped } from './shipped.ts';
import { simdKernels } from './simd.ts';
import { wasmScope } from './wasm-ops.ts';

type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Whether the SIMD GEMMs beat XNNPACK on this layer (`test/bench/kernels.ts`, per shape): with few input channels
 * each register tile's load and store of y outweighs its arithmetic (MobileNetV2's 24 → 144 expansion: 7.2 vs
 * 5.4 ms, the 3-channel stems 1.4×); from 64 on it runs 0.9–1.2× XNNPACK's time on ResNet50's layers.
 */
const gemmWins = (info: Conv2DInfo) => info.inChannels >= 64;

/**
 * Pixels of x and y per forward GEMM call: each output-channel tile re-reads the block's x rows, from cache, and
 * the larger the block, the more pixels share each read of the tile's filter strip.
 */
const FORWARD_BLOCK_FLOATS = 131072;

/**
 * y = x ⊛ filter as one GEMM per tap into a zeroed y (cout a multiple of 8), the filter first packed as
 * [taps, cout / 8, cin, 8] so that each tile's filter strip is contiguous: in place its rows lie cout floats apart,
 * a power of two in most networks, and the strip's rows then compete for the same few cache sets (on ResNet50's
 * deepest 1×1 layers that made the GEMM 2–3× slower than XNNPACK).
 */
export function conv2dForward(
  backend: KernelBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  return wasmScope(backend, (ops) => {
    const simd = ops.simd!;
    const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = info;
    const strips = ops.reshape(filter, [fh * fw, cin, cout / 8, 8]);
    const packed = ops.transpose(strips, [0, 2, 1, 3]);
    const y = ops.zeros([info.batchSize, info.outHeight, info.outWidth, cout]);
    const calls = tapGemms(ops, info, ops.offset(x), ops.offset(y), ops.offset(packed), FORWARD_BLOCK_FLOATS);
    for (const call of calls) simd.forwardGemm(call);
    return y;
  });
}

export const forwardConvKernelConfig: KernelConfig = overShipped(
  FusedConv2D,
  ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const a = attrs as unknown as FusedConv2DAttrs;
    const plain = bias == null && preluActivationWeights == null && (a.activation ?? 'linear') === 'linear';
    if (!plain || !x || !filter || x.dtype !== 'float32' || a.dataFormat !== 'NHWC') return null;
    if (x.shape.length !== 4 || filter.shape.length !== 4 || !simdKernels(backend as BackendWasm))
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
    if (info.outChannels % 8 !== 0 || sizes.some((d) => d === 0) || !gemmWins(info)) return null;
    return conv2dForward(backend as KernelBackend, x, filter, info);
  },
);
