/**
 * Convolutions as one GEMM per filter tap over the pixels, on tables of pixel runs (`tapGemms`): the SIMD loops of
 * `simd-conv.ts` run the filter gradient, the input gradient and the forward convolution this way, reading x, dy
 * and y where they lie in the heap.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { preparedFilter } from './prepared-filters.ts';
import type { SimdKernels } from './simd.ts';
import type { WasmOps } from './wasm-ops.ts';

type Conv2DInfo = backend_util.Conv2DInfo;

/** Pixels of x and dy a GEMM call reads: about 128 KiB of rows, so that they stay in cache across its tiles. */
const GEMM_BLOCK_FLOATS = 32768;

/**
 * The pixel pairs a regular convolution's gradients sum over, as GEMM calls per block of output rows and filter
 * tap: tables of segments, the runs of an output row whose tap falls inside x (i32 triples: byte offset of the
 * first x pixel, of the first dy pixel, and the run's length), in the wasm heap. Output rows go in blocks of about
 * `blockFloats` of x and dy, and within a block every tap runs, `firstTap` first, so the rows the taps share are
 * read from cache.
 * `xBase` is where x (or dx) lies, `dyBase` dy (or y); a tap's filter block is cin·cout floats from `filterBase`.
 */
export function tapGemms(
  ops: WasmOps,
  info: Conv2DInfo,
  xBase: number,
  dyBase: number,
  filterBase: number,
  blockFloats = GEMM_BLOCK_FLOATS,
  firstTap = 0,
) {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const rowsPerBlock = Math.max(1, Math.floor(blockFloats / (wo * (cin + cout))));
  const rows = n * ho;
  const segs: number[] = [];
  const calls: { tap: number; start: number; end: number }[] = [];
  // Taps in order from `firstTap` on (wrapping around), so that it runs first in every block.
  const taps = Array.from({ length: fh * fw }, (_, t) => (firstTap + t) % (fh * fw));
  for (let r0 = 0; r0 < rows; r0 += rowsPerBlock)
    for (const tap of taps) {
      const [a, b] = [Math.floor(tap / fw), tap % fw];
      const start = segs.length / 3;
      // Output columns j whose input column j·sw + b·dw − left lies in [0, w).
      const j0 = Math.max(0, Math.ceil((left - b * dw) / sw));
      const j1 = Math.min(wo, Math.floor((w - 1 + left - b * dw) / sw) + 1);
      for (let r = r0; r < Math.min(rows, r0 + rowsPerBlock) && j1 > j0; r++) {
        const [img, i] = [Math.floor(r / ho), r % ho];
        const y = i * sh + a * dh - top;
        if (y < 0 || y >= h) continue;
        const xPixel = (img * h + y) * w + j0 * sw + b * dw - left;
        segs.push(xBase + xPixel * cin * 4, dyBase + (r * wo + j0) * cout * 4, j1 - j0);
      }
      calls.push({ tap, start, end: segs.length / 3 });
    }
  const table = ops.offset(ops.int32(Int32Array.from(segs)));
  return calls.map(({ tap, start, end }) => ({
    tap,
    filter: filterBase + tap * cin * cout * 4,
    cin,
    cout,
    segs: table + start * 12,
    segsEnd: table + end * 12,
    xStep: sw * cin * 4,
    dyStep: cout * 4,
  }));
}

/**
 * Pixels of x and y per forward GEMM call: each output-channel tile re-reads the block's x rows, from cache, and
 * the larger the block, the more pixels share each read of the tile's filter strip.
 */
const FORWARD_BLOCK_FLOATS = 131072;

/**
 * y = x ⊛ filter as one GEMM per tap into a zeroed y (cout a multiple of 8), the filter first packed (once per
 * filter data: `prepared-filters.ts`) as
 * [taps, cout / 8, cin, 8] so that each tile's filter strip is contiguous: in place its rows lie cout floats apart,
 * a power of two in most networks, and the strip's rows then compete for the same few cache sets (on ResNet50's
 * deepest 1×1 layers that made the GEMM 2–3× slower than XNNPACK).
 */
export function gemmConv2d(
  ops: WasmOps,
  simd: SimdKernels,
  x: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = info;
  const packed = preparedFilter(ops.backend, filter, 'forward strips', (o) =>
    o.transpose(o.reshape(filter, [fh * fw, cin, cout / 8, 8]), [0, 2, 1, 3]),
  );
  return packedGemmConv2d(ops, simd, x, packed, info, false);
}

/** A tap whose input pixel lies inside x for every output pixel (all taps of an unpadded 1×1), or null. */
function coveringTap(info: Conv2DInfo): number | null {
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const inside = (tap: number, dil: number, pad: number, stride: number, out: number, size: number) =>
    tap * dil - pad >= 0 && (out - 1) * stride + tap * dil - pad <= size - 1;
  for (let a = 0; a < fh; a++)
    for (let b = 0; b < fw; b++)
      if (inside(a, dh, top, sh, ho, h) && inside(b, dw, left, sw, wo, w)) return a * fw + b;
  return null;
}

/**
 * `gemmConv2d` on a filter already packed as [taps, cout / 8, cin, 8]; with `reversedTaps` tap t's block is the
 * packed filter's block taps − 1 − t (a filter rotated by 180°, as the input gradient takes it).
 */
export function packedGemmConv2d(
  ops: WasmOps,
  simd: SimdKernels,
  x: TensorInfo,
  packed: TensorInfo,
  info: Conv2DInfo,
  reversedTaps: boolean,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = info;
  const shape = [info.batchSize, info.outHeight, info.outWidth, cout];
  // A tap that meets every output pixel writes y first, in every block: then y needs no zeroing.
  const covering = coveringTap(info);
  const y = covering === null ? ops.zeros(shape) : ops.output(shape);
  const base = ops.offset(packed);
  const calls = tapGemms(ops, info, ops.offset(x), ops.offset(y), base, FORWARD_BLOCK_FLOATS, covering ?? 0);
  for (const call of calls) {
    const block = reversedTaps ? fh * fw - 1 - call.tap : call.tap;
    simd.forwardGemm({ ...call, filter: base + block * cin * cout * 4 }, call.tap === covering);
  }
  return y;
}
