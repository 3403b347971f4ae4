/**
 * 3×3, stride-1, 'same' convolutions by Winograd minimal filtering (`winograd-transforms.ts`): the filter
 * transformed into t² packed [Cin, Cout] blocks, the input cut into tiles and transformed, one `forwardGemm` per
 * component over a block of tiles, and the products transformed back into the output tiles. The input gradient is
 * the same with the rotated filter; the filter gradient runs the tiles of x and dy through their transforms, sums
 * the products per component with `filterGradGemm`, and transforms the sums back into taps. Tiles go in blocks
 * whose components stay in cache from the data transforms through the GEMMs.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { preparedFilter } from './prepared-filters.ts';
import type { TapGemmKernels } from './tap-gemms.ts';
import type { WasmOps } from './wasm-ops.ts';
import { components, type WinogradKernels, type WinogradTile } from './winograd-transforms.ts';

type SimdKernels = TapGemmKernels & WinogradKernels;

/** A 'same' 3×3 stride-1 convolution of an NHWC [n, h, w, cin] input into cout channels. */
export interface WinogradShape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
}

/**
 * Floats of transformed input and products per block of tiles (both held for all components): small enough to
 * stay in the second-level cache between the transforms and the GEMMs, large enough that each GEMM's tiles share
 * the reads of its filter block.
 */
const BLOCK_FLOATS = 524288;
/** The fewest tiles per block: fewer would re-read the transformed filter, t²·Cin·Cout floats, too often. */
const MIN_BLOCK_TILES = 32;

/**
 * Which convolutions take Winograd: 'auto' picks by `winogradCost`; 'off' none; 2 or 4 every eligible one, with
 * that tile (tests and benchmarks compare them this way).
 */
export type WinogradMode = 'auto' | 'off' | WinogradTile;
let mode: WinogradMode = 'auto';

export function setWinogradMode(next: WinogradMode): void {
  mode = next;
}

/**
 * The cost model's constants, in multiply-adds of the SIMD GEMM (≈ 20 GMAC/s per thread), fitted to ResNet50's
 * 3×3 layers at 128² patches, batch 8 and 16 (`test/bench/kernels.ts --winograd`): each transformed filter element
 * costs about FILTER_MACS of them (the transform writes it, a GEMM reads it back, and on small maps few tiles share
 * that read: F(4×4) on the 4×4×512 layers at batch 8 took 1.3× the direct convolution's time, F(2×2) 0.8×), each
 * (tile, component, channel) of the data transforms DATA_MACS.
 */
const FILTER_MACS = 30;
const DATA_MACS = 9;

/**
 * Estimated time of a Winograd convolution against the direct one (9 multiply-adds per output pixel and channel
 * pair), in multiply-adds: t² GEMMs over the tiles, plus the transforms.
 */
function winogradCost(shape: WinogradShape, m: WinogradTile): number {
  const { n, h, w, cin, cout } = shape;
  const T = components(m);
  const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
  return T * tiles * (cin * cout + DATA_MACS * (cin + cout)) + FILTER_MACS * T * cin * cout;
}

/**
 * The Winograd tile for a convolution given by its forward geometry, or null to convolve directly. Eligible: 3×3,
 * stride 1, dilation 1, one pixel of padding on every side (ResNet50's 3×3 bottleneck convolutions), the
 * convolution's input channels a multiple of 4 and its output channels of 8; `swapped` for the input gradient,
 * which convolves dy (Cout channels) into Cin channels (the filter gradient asks as the forward convolution).
 * 'auto' takes the cheapest of direct, F(2×2) and F(4×4) by the cost model: on ResNet50 at 128² patches, F(4×4)
 * on the maps from 8×8 up (all three passes 1.8–2.4× faster than the SIMD tap GEMMs), F(2×2) on the 4×4×512
 * layers (1.1–1.3×), where the transformed filter, 16 or 36 × 512² floats, serves only a few tiles.
 */
export function winogradTile(info: backend_util.Conv2DInfo, swapped: boolean): WinogradTile | null {
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, bottom, left, right } = info.padInfo;
  const geometry = [filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth];
  if (mode === 'off' || geometry.join() !== '3,3,1,1,1,1' || [top, bottom, left, right].join() !== '1,1,1,1')
    return null;
  const shape = winogradShape(info, swapped);
  if (shape.cin % 4 !== 0 || shape.cout % 8 !== 0) return null;
  if (mode !== 'auto') return mode;
  // With fewer input channels the shipped XNNPACK convolution is what Winograd would replace (`gemmWins`), and
  // the transforms' share grows: not measured, so left alone.
  if (shape.cin < 16) return null;
  const direct = 9 * shape.n * shape.h * shape.w * shape.cin * shape.cout;
  const [f2, f4] = [winogradCost(shape, 2), winogradCost(shape, 4)];
  if (Math.min(f2, f4) >= direct) return null;
  return f4 <= f2 ? 4 : 2;
}

/** The convolution the Winograd path runs: the forward one, or (swapped) the input gradient's, dy into dx. */
export function winogradShape(info: backend_util.Conv2DInfo, swapped: boolean): WinogradShape {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels, outChannels } = info;
  return swapped
    ? { n, h, w, cin: outChannels, cout: inChannels }
    : { n, h, w, cin: inChannels, cout: outChannels };
}

export interface WinogradLayout {
  m: WinogradTile;
  shape: WinogradShape;
  tiles: number;
  /** Tiles per block (the last block may have fewer). */
  block: number;
  /** Floats of the transformed filter, and of the transformed input and the products of one block. */
  filterFloats: number;
  inputFloats: number;
  productFloats: number;
}

/** How a Winograd convolution of `shape` goes in tiles and blocks of tiles, and the scratch it needs. */
export function winogradLayout(
  shape: WinogradShape,
  m: WinogradTile,
  blockFloats = BLOCK_FLOATS,
): WinogradLayout {
  const { n, h, w, cin, cout } = shape;
  const T = components(m);
  const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
  const fit = Math.floor(blockFloats / (T * (cin + cout)));
  const block = Math.min(tiles, Math.max(MIN_BLOCK_TILES, fit));
  return {
    ...{ m, shape, tiles, block },
    filterFloats: T * cin * cout,
    inputFloats: T * block * cin,
    productFloats: T * block * cout,
  };
}

/**
 * The data transforms' pixel tables, as i32 heap byte offsets: per tile (image, tile row, tile column) its t × t
 * input pixels from one row and column before its m × m output pixels, the ones outside x at `zeroRow` (cin zero
 * floats); then per tile its output pixels, the ones outside y at `outsideRow` (cout floats: scratch the output
 * transform may overwrite, or zeros for the output-gradient transform to read).
 */
export function winogradTables(
  layout: WinogradLayout,
  x: number,
  y: number,
  zeroRow: number,
  outsideRow: number,
) {
  const { m, tiles } = layout;
  const { h, w, cin, cout } = layout.shape;
  const t = m + 2;
  const [tilesH, tilesW] = [Math.ceil(h / m), Math.ceil(w / m)];
  const table = new Int32Array(tiles * (t * t + m * m));
  const outputs = tiles * t * t;
  for (let k = 0; k < tiles; k++) {
    const [img, ty, tx] = [Math.floor(k / (tilesH * tilesW)), Math.floor(k / tilesW) % tilesH, k % tilesW];
    for (let i = 0; i < t; i++)
      for (let j = 0; j < t; j++) {
        const [row, col] = [ty * m + i - 1, tx * m + j - 1];
        const inside = row >= 0 && row < h && col >= 0 && col < w;
        table[k * t * t + i * t + j] = inside ? x + ((img * h + row) * w + col) * cin * 4 : zeroRow;
      }
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const [row, col] = [ty * m + i, tx * m + j];
        const inside = row < h && col < w;
        table[outputs + k * m * m + i * m + j] = inside
          ? y + ((img * h + row) * w + col) * cout * 4
          : outsideRow;
      }
  }
  return table;
}

/**
 * GEMM segments for one block of `count` tiles, one per component: (byte offset of the component's transformed
 * input, of its products, count), with the block's components `block` tiles apart.
 */
export function winogradSegments(layout: WinogradLayout, input: number, products: number, count: number) {
  const { cin, cout } = layout.shape;
  const segs = new Int32Array(3 * components(layout.m));
  for (let e = 0; e < segs.length / 3; e++)
    segs.set([input + e * layout.block * cin * 4, products + e * layout.block * cout * 4, count], 3 * e);
  return segs;
}

/** Heap byte offsets of the operands and scratch of a Winograd convolution. */
export interface WinogradBuffers {
  /** The filter: [3, 3, cin, cout], or [3, 3, cout, cin] taken rotated when `swapped`. */
  filter: number;
  transformedFilter: number;
  /** One block's transformed input tiles and products (`winogradLayout`'s inputFloats and productFloats). */
  transformedInput: number;
  products: number;
  /** `winogradTables` (pointing into x and y). */
  tables: number;
  /** Segment tables of a whole block and of the last block (`winogradSegments`). */
  segments: number;
  lastSegments: number;
}

/** Offsets of the tables of a block's `count` tiles: input pixels, then output pixels. */
function blockTables(layout: WinogradLayout, tables: number, k0: number) {
  const { m, tiles } = layout;
  return { input: tables + k0 * (m + 2) ** 2 * 4, output: tables + (tiles * (m + 2) ** 2 + k0 * m * m) * 4 };
}

/** The GEMM arguments of component e of a block: rows of the transformed input and of the products. */
function componentGemm(
  layout: WinogradLayout,
  at: WinogradBuffers,
  count: number,
  e: number,
  filter: number,
) {
  const { cin, cout } = layout.shape;
  const segments = count === layout.block ? at.segments : at.lastSegments;
  return {
    ...{ filter: filter + e * cin * cout * 4, cin, cout },
    ...{ segs: segments + e * 12, segsEnd: segments + (e + 1) * 12, xStep: cin * 4, dyStep: cout * 4 },
  };
}

/** Per block of tiles, its input tiles transformed (V = Bᵀ d B) first: `body(count, table)` then runs on them. */
function forEachBlock(
  simd: SimdKernels,
  layout: WinogradLayout,
  at: WinogradBuffers,
  body: (count: number, table: ReturnType<typeof blockTables>) => void,
): void {
  const { m, block, tiles } = layout;
  for (let k0 = 0; k0 < tiles; k0 += block) {
    const count = Math.min(block, tiles - k0);
    const table = blockTables(layout, at.tables, k0);
    simd.winogradInput(m, {
      ...{ table: table.input, count, comps: at.transformedInput },
      ...{ channels: layout.shape.cin, compBytes: block * layout.shape.cin * 4 },
    });
    body(count, table);
  }
}

/**
 * Runs the Winograd convolution on buffers laid out by `winogradLayout`, the filter already transformed (U = G g Gᵀ
 * by `simd.winogradFilter`) at `transformedFilter`.
 */
export function runWinograd(simd: SimdKernels, layout: WinogradLayout, at: WinogradBuffers): void {
  const { m, block } = layout;
  forEachBlock(simd, layout, at, (count, table) => {
    for (let e = 0; e < components(m); e++)
      simd.forwardGemm(componentGemm(layout, at, count, e, at.transformedFilter), true);
    simd.winogradOutput(m, {
      ...{ table: table.output, count, comps: at.products },
      ...{ channels: layout.shape.cout, compBytes: block * layout.shape.cout * 4 },
    });
  });
}

/**
 * The filter gradient of the Winograd convolution: per block of tiles, the input tiles transformed (V = Bᵀ d B) and
 * the output gradient's (Z = A dY Aᵀ, the gradient of the products), one `filterGradGemm` per component adding
 * V[e]ᵀ·Z[e] into the transformed filter's gradient dU (zeroed, at `transformedFilter`), then dg = Gᵀ dU G into
 * `filter`. The tables point into x and dy, dy's outside pixels at a zero row; `products` holds Z.
 */
export function runWinogradFilterGrad(simd: SimdKernels, layout: WinogradLayout, at: WinogradBuffers): void {
  const { m, block } = layout;
  const { cin, cout } = layout.shape;
  forEachBlock(simd, layout, at, (count, table) => {
    simd.winogradOutputGrad(m, {
      ...{ table: table.output, count, comps: at.products },
      ...{ channels: cout, compBytes: block * cout * 4 },
    });
    for (let e = 0; e < components(m); e++)
      simd.filterGradGemm(componentGemm(layout, at, count, e, at.transformedFilter));
  });
  simd.winogradFilterGrad(m, { du: at.transformedFilter, dg: at.filter, cin, cout });
}

/**
 * Scratch and tables of a Winograd pass over x (the input) and y (the output, or the output gradient), in the
 * heap; `outsideRow` is where the tables point y's pixels past the map.
 */
function winogradBuffers(
  ops: WasmOps,
  layout: WinogradLayout,
  x: TensorInfo,
  y: TensorInfo,
  filter: TensorInfo,
  transformedFilter: TensorInfo,
  outsideRow: TensorInfo,
): WinogradBuffers {
  const [transformedInput, products] = [ops.output([layout.inputFloats]), ops.output([layout.productFloats])];
  const [vAt, mAt] = [ops.offset(transformedInput), ops.offset(products)];
  const lastCount = layout.tiles - Math.floor((layout.tiles - 1) / layout.block) * layout.block;
  const segments = ops.offset(
    ops.int32(
      Int32Array.from([
        ...winogradSegments(layout, vAt, mAt, layout.block),
        ...winogradSegments(layout, vAt, mAt, lastCount),
      ]),
    ),
  );
  const zeroRow = ops.offset(ops.zeros([layout.shape.cin]));
  const tables = winogradTables(layout, ops.offset(x), ops.offset(y), zeroRow, ops.offset(outsideRow));
  return {
    ...{ filter: ops.offset(filter), transformedFilter: ops.offset(transformedFilter) },
    ...{ transformedInput: vAt, products: mAt, tables: ops.offset(ops.int32(tables)) },
    ...{ segments, lastSegments: segments + components(layout.m) * 12 },
  };
}

/**
 * y = x ⊛ filter ('same' 3×3, stride 1) by Winograd F(m×m, 3×3), [n, h, w, cout]: the filter [3, 3, cin, cout], or
 * with `swapped` [3, 3, cout, cin] rotated by 180° (the input gradient's: x is then dy). cin a multiple of 4, cout
 * of 8.
 */
export function winogradConv2d(
  ops: WasmOps,
  simd: SimdKernels,
  x: TensorInfo,
  filter: TensorInfo,
  shape: WinogradShape,
  m: WinogradTile,
  swapped: boolean,
): TensorInfo {
  const layout = winogradLayout(shape, m);
  const y = ops.output([shape.n, shape.h, shape.w, shape.cout]);
  const { cin, cout } = shape;
  // Once per filter data: the fill's chunks and the inner iterations reuse it until the optimizer step.
  const variant = `winograd F(${m}×${m}, 3×3)${swapped ? ' rotated' : ''}`;
  const transformed = preparedFilter(ops.backend, filter, variant, (o) => {
    const u = o.output([layout.filterFloats]);
    simd.winogradFilter(m, { g: o.offset(filter), u: o.offset(u), cin, cout, swapped });
    return u;
  });
  const scratchRow = ops.output([shape.cout]);
  runWinograd(simd, layout, winogradBuffers(ops, layout, x, y, filter, transformed, scratchRow));
  return y;
}

/** dL/dfilter [3, 3, cin, cout] of `winogradConv2d`'s forward convolution, from x and dy. */
export function winogradFilterGrad(
  ops: WasmOps,
  simd: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  shape: WinogradShape,
  m: WinogradTile,
): TensorInfo {
  const layout = winogradLayout(shape, m);
  const dg = ops.output([3, 3, shape.cin, shape.cout]);
  const du = ops.zeros([layout.filterFloats]);
  runWinogradFilterGrad(simd, layout, winogradBuffers(ops, layout, x, dy, dg, du, ops.zeros([shape.cout])));
  return dg;
}
