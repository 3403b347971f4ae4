/**
 * Gradients of NHWC convolutions (regular and depthwise) written as forward convolutions, so that XNNPACK's
 * convolution does all the arithmetic on wasm.
 *
 * Forward: y[n,i,j,o] = Σ x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] · f[a,b,c,o].
 * - Filter gradient: for each tap (a, b), a sum over (n, i, j). With the batch moved into the channel axis and the
 *   output gradient used as the filter, that is one convolution whose stride is the forward dilation and whose
 *   dilation is the forward stride; its output pixels are the filter taps.
 * - Input gradient: the output gradient spread `stride` apart with zeros, convolved (stride 1, forward dilation)
 *   with the filter rotated by 180° and its in/out channels swapped.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { ConvSpec, SignedPads, WasmOps } from './wasm-ops.ts';

type Conv2DInfo = backend_util.Conv2DInfo;

/** Pads that make a stride-(dh,dw), dilation-(sh,sw) convolution of x with dy yield exactly the filter taps. */
function filterGradSpec(info: Conv2DInfo): ConvSpec {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } =
    info;
  const { top, left } = info.padInfo;
  // The last tap reads input row (fh−1)·dh + (Ho−1)·sh − top; pad (or crop) the bottom to end exactly there.
  const bottom =
    (info.filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - top;
  const right = (info.filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - left;
  return {
    strides: [dilationHeight, dilationWidth],
    dilations: [strideHeight, strideWidth],
    pads: [top, bottom, left, right],
  };
}

/** Pads for convolving the zero-spread output gradient ([Ho·sh, Wo·sw]) back to the input size. */
function inputGradSpec(info: Conv2DInfo): ConvSpec {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } =
    info;
  const { top, left } = info.padInfo;
  const pads: SignedPads = [
    (info.filterHeight - 1) * dilationHeight - top,
    inHeight - outHeight * strideHeight + top,
    (info.filterWidth - 1) * dilationWidth - left,
    inWidth - outWidth * strideWidth + left,
  ];
  return { strides: [1, 1], dilations: [dilationHeight, dilationWidth], pads };
}

/**
 * dL/dfilter of an unpadded 1×1 convolution is one matrix product, xᵀ·dy over all N·Ho·Wo pixels: faster as a
 * single XNNPACK GEMM (its fast path wants both operands untransposed) than as a convolution with a Ho×Wo kernel.
 */
function pointwiseFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize: n, outHeight: ho, outWidth: wo, inChannels: cin, outChannels: cout } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const picked = sh === 1 && sw === 1 ? x : ops.window(x, [0, 0, 0, 0], [n, ho, wo, cin], [1, sh, sw, 1]);
  const pixels = n * ho * wo;
  // XNNPACK caches the GEMM, with a packed copy of b, under b's tensor id until that tensor is freed: give it a
  // private copy we free at once, not the caller's dy or x, which live on through the whole backward pass.
  const matmul = (a: TensorInfo, b: TensorInfo) =>
    ops.run('BatchMatMul', { a, b: ops.run('Identity', { x: b }) }, { transposeA: false, transposeB: false });
  // b is copied and packed, a only transposed: make the smaller operand b.
  if (cin > cout) {
    const xT = ops.reshape(ops.transpose(ops.reshape(picked, [pixels, cin]), [1, 0]), [1, cin, pixels]);
    return ops.reshape(matmul(xT, ops.reshape(dy, [1, pixels, cout])), [1, 1, cin, cout]);
  }
  const dyT = ops.reshape(ops.transpose(ops.reshape(dy, [pixels, cout]), [1, 0]), [1, cout, pixels]);
  const product = matmul(dyT, ops.reshape(picked, [1, pixels, cin])); // [1, Cout, Cin]
  return ops.reshape(ops.transpose(ops.reshape(product, [cout, cin]), [1, 0]), [1, 1, cin, cout]);
}

/** dL/dfilter of a regular convolution: [fh, fw, Cin, Cout]. */
export function conv2dFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { top, left } = info.padInfo;
  if (info.filterHeight === 1 && info.filterWidth === 1 && top === 0 && left === 0)
    return pointwiseFilterGrad(ops, x, dy, info);
  // Input channels become the batch, the batch becomes the channels: [Cin, H, W, N] ⊛ [Ho, Wo, N, Cout].
  const xT = ops.transpose(x, [3, 1, 2, 0]);
  const dyT = ops.transpose(dy, [1, 2, 0, 3]);
  const taps = ops.conv('Conv2D', xT, dyT, filterGradSpec(info)); // [Cin, fh, fw, Cout]
  return ops.transpose(taps, [1, 2, 0, 3]);
}

/** dL/dx of a regular convolution: [N, H, W, Cin]. */
export function conv2dInputGrad(
  ops: WasmOps,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const spread = ops.zeroDilate(dy, info.strideHeight, info.strideWidth);
  const flipped = ops.transpose(ops.rotate180(filter), [0, 1, 3, 2]); // [fh, fw, Cout, Cin]
  return ops.conv('Conv2D', spread, flipped, inputGradSpec(info));
}

/** dL/dfilter of a depthwise convolution: [fh, fw, C, M]. */
export function depthwiseFilterGrad(
  ops: WasmOps,
  x: TensorInfo,
  dy: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const m = info.outChannels / c;
  // One depthwise convolution over C·N channels (image n of channel c is channel c·N + n), each channel's filter
  // being that image's output gradient for the M outputs of channel c; then sum over the batch.
  const xT = ops.reshape(ops.transpose(x, [1, 2, 3, 0]), [1, h, w, c * n]);
  const dy5 = ops.reshape(dy, [n, ho, wo, c, m]);
  const dyT = ops.reshape(ops.transpose(dy5, [1, 2, 3, 0, 4]), [ho, wo, c * n, m]);
  const taps = ops.conv('DepthwiseConv2dNative', xT, dyT, filterGradSpec(info)); // [1, fh, fw, C·N·M]
  const perImage = ops.reshape(taps, [info.filterHeight, info.filterWidth, c, n, m]);
  return n === 1 ? ops.reshape(perImage, [info.filterHeight, info.filterWidth, c, m]) : ops.sum(perImage, 3);
}

/** dL/dx of a depthwise convolution: [N, H, W, C]. */
export function depthwiseInputGrad(
  ops: WasmOps,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const m = info.outChannels / c;
  const spread = ops.zeroDilate(dy, info.strideHeight, info.strideWidth);
  // Each of the C·M output channels flows back through its own rotated filter; the M of a channel then add up.
  const flipped = ops.reshape(ops.rotate180(filter), [info.filterHeight, info.filterWidth, c * m, 1]);
  const perOutput = ops.conv('DepthwiseConv2dNative', spread, flipped, inputGradSpec(info)); // [N, H, W, C·M]
  return m === 1 ? perOutput : ops.sum(ops.reshape(perOutput, [n, h, w, c, m]), 4);
}
