/**
 * Convolutions as one GEMM per filter tap over the pixels, on tables of pixel runs (`tapGemms`): the SIMD loops
 * below run the filter gradient, the input gradient and the forward convolution this way, reading x, dy
 * and y where they lie in the heap.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { simdUnit, type KernelsOf } from './kernel-unit.ts';
import { preparedFilter } from './prepared-filters.ts';
import { bump, multiplyAdd, op, signature, type Code } from './wasm-asm.ts';
import type { WasmOps } from './wasm-ops.ts';

const I = 'i32' as const;
const V = 'v128' as const;

/**
 * One tap's filter- or input-gradient GEMM: heap byte offsets, channel counts, and the pixel steps within a
 * segment. `filter` is the tap's [cin, cout] block of the filter gradient (written) or of the filter (read).
 */
export interface TapGemmArgs {
  filter: number;
  cin: number;
  cout: number;
  /** Byte offsets of the first segment and past the last (12 bytes each: x offset, dy offset, pixel count). */
  segs: number;
  segsEnd: number;
  xStep: number;
  dyStep: number;
}

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
  simd: TapGemmKernels,
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
  simd: TapGemmKernels,
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

/**
 * `tile` (which handles `pixels` pixels) while at least that many of a segment's `left` pixels remain, advancing
 * each [pointer, step] pair by `pixels` steps.
 */
const segmentTiles = (pixels: number, tile: Code, left: number, pointers: [number, number][]): Code =>
  op.block(
    op.loop(
      [...op.get(left), ...op.i32(pixels), ...op.ltU, ...op.brIf(1)],
      tile,
      ...pointers.map(([pointer, step]) => bump(pointer, [...op.get(step), ...op.i32(pixels), ...op.mul])),
      bump(left, -pixels),
      op.br(0),
    ),
  );

/** Input channels × output-channel vectors of one register tile of the filter-gradient GEMM. */
const GEMM_TILE_ROWS = 4;
const GEMM_TILE_VECTORS = 2;

/**
 * filterGradGemm(out, cin, coutBytes, segs, segsEnd, xStep, dyStep): for one filter tap,
 * out[ci, co] += Σ over segments Σ_{k < count} x[xs + k·xStep][ci] · dy[ds + k·dyStep][co], a GEMM over pixels
 * whose rows are gathered by a table of segments (i32 triples xs, ds, count: byte offsets of a run of pixels in x
 * and dy, and its length ≥ 1; a run is an output row's pixels whose tap falls inside x). `out` is [cin, cout]
 * row-major; cin a multiple of 4, cout of 8. Register tiles of 4 input × 8 output channels: per pixel, 4 splat x
 * values times 2 dy vectors into 8 accumulators, which are loaded and stored once per tile and call; callers pass
 * tables short enough that their pixels' rows stay in cache across the tiles.
 */
function filterGradGemmFunction(fused: boolean) {
  const acc = Array.from({ length: GEMM_TILE_ROWS * GEMM_TILE_VECTORS }, (_, k) => [`acc${k}`, V] as const);
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    { out: I, cin: I, coutBytes: I, segs: I, segsEnd: I, xStep: I, dyStep: I },
    { ci: I, co: I, tile: I, seg: I, px: I, pd: I, k: I, d0: V, d1: V, s: V, ...Object.fromEntries(acc) },
  );
  const accs = acc.map(([name]) => (L as Record<string, number>)[name]!);
  const rowBytes = GEMM_TILE_VECTORS * 16;
  // Accumulator r·2 + q holds the 4 channels of out row ci + r at byte co + 16q: tile + r·coutBytes + 16q.
  const eachAcc = (f: (local: number, row: number, vector: number) => Code): Code =>
    accs.flatMap((local, idx) => f(local, Math.floor(idx / GEMM_TILE_VECTORS), idx % GEMM_TILE_VECTORS));
  const rowAddress = (row: number): Code => [
    ...op.get(L.tile),
    ...[...op.get(L.coutBytes), ...op.i32(row), ...op.mul, ...op.add],
  ];
  const loadAccs = eachAcc((local, row, q) => [...rowAddress(row), ...op.v128Load(16 * q), ...op.set(local)]);
  const storeAccs = eachAcc((local, row, q) => [
    ...rowAddress(row),
    ...op.get(local),
    ...op.v128Store(16 * q),
  ]);
  const perPixel: Code[] = [
    [...op.get(L.pd), ...op.v128Load(0), ...op.set(L.d0)],
    [...op.get(L.pd), ...op.v128Load(16), ...op.set(L.d1)],
    ...Array.from({ length: GEMM_TILE_ROWS }, (_, row) => [
      ...[...op.get(L.px), ...op.v128Load32Splat(4 * row), ...op.set(L.s)],
      ...[L.d0, L.d1].flatMap((d, q) => {
        const local = accs[row * GEMM_TILE_VECTORS + q]!;
        return [...multiplyAdd(fused, op.get(L.s), op.get(d), op.get(local)), ...op.set(local)];
      }),
    ]),
    bump(L.px, op.get(L.xStep)),
    bump(L.pd, op.get(L.dyStep)),
    [...op.get(L.k), ...op.i32(1), ...op.sub, ...op.tee(L.k), ...op.brIf(0)],
  ];
  const perSegment: Code[] = [
    [
      ...op.get(L.seg),
      ...op.i32Load(0),
      ...op.get(L.ci),
      ...op.i32(4),
      ...op.mul,
      ...op.add,
      ...op.set(L.px),
    ],
    [...op.get(L.seg), ...op.i32Load(4), ...op.get(L.co), ...op.add, ...op.set(L.pd)],
    [...op.get(L.seg), ...op.i32Load(8), ...op.set(L.k)],
    op.loop(...perPixel),
    bump(L.seg, 12),
    [...op.get(L.seg), ...op.get(L.segsEnd), ...op.ltU, ...op.brIf(0)],
  ];
  const perTile: Code[] = [
    [
      ...op.get(L.ci),
      ...op.get(L.coutBytes),
      ...op.mul,
      ...op.get(L.out),
      ...op.add,
      ...op.get(L.co),
      ...op.add,
    ],
    op.set(L.tile),
    loadAccs,
    [...op.get(L.segs), ...op.set(L.seg)],
    op.loop(...perSegment),
    storeAccs,
  ];
  const body = [
    ...[...op.i32(0), ...op.set(L.ci)],
    ...op.loop(
      [...op.i32(0), ...op.set(L.co)],
      op.loop(...perTile, bump(L.co, rowBytes), [
        ...op.get(L.co),
        ...op.get(L.coutBytes),
        ...op.ltU,
        ...op.brIf(0),
      ]),
      bump(L.ci, GEMM_TILE_ROWS),
      [...op.get(L.ci), ...op.get(L.cin), ...op.ltU, ...op.brIf(0)],
    ),
  ];
  return { name: 'filterGradGemm', params, paramNames, locals, body: [body] };
}

/** Pixels of one register tile of the input-gradient GEMM (then single pixels for a run's remainder). */
const INPUT_TILE_PIXELS = 4;

/**
 * inputGradGemm(w, cin, coutBytes, segs, segsEnd, xStep, dyStep): for one filter tap w ([cin, cout] row-major),
 * dx[xs + k·xStep][ci] += Σ_co dy[ds + k·dyStep][co] · w[ci, co] over the segments' pixels (the table of
 * `filterGradGemm`, x offsets now pointing into dx). Both operands are contiguous along co, so each register tile
 * (4 pixels × 2 input channels, 8 accumulators) runs down co in vectors of 4 and sums each accumulator's lanes at
 * the end. cin a multiple of 2, cout of 4.
 */
function inputGradGemmFunction(fused: boolean) {
  const P = INPUT_TILE_PIXELS;
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const perType = (list: string[], type: 'i32' | 'v128') => Object.fromEntries(list.map((n) => [n, type]));
  const [rowNames, outNames, accNames] = [names('row', P), names('dst', P), names('acc', 2 * P)];
  const { params, paramNames, locals, at } = signature(
    { w: I, cin: I, coutBytes: I, segs: I, segsEnd: I, xStep: I, dyStep: I },
    {
      ...{ seg: I, px: I, pd: I, k: I, ci: I, kk: I, pw0: I, pw1: I, t: I },
      ...perType([...rowNames, ...outNames], I),
      ...{ w0: V, w1: V, a: V },
      ...perType(accNames, V),
    },
  );
  const L = at as Record<string, number>;
  const row = (r: number) => L[`row${r}`]!;
  const dst = (r: number) => L[`dst${r}`]!;
  const acc = (r: number, q: number) => L[`acc${2 * r + q}`]!;
  const lanesSum = (local: number): Code => [
    ...[
      ...op.get(local),
      ...op.f32x4ExtractLane(0),
      ...op.get(local),
      ...op.f32x4ExtractLane(1),
      ...op.f32Add,
    ],
    ...[
      ...op.get(local),
      ...op.f32x4ExtractLane(2),
      ...op.f32Add,
      ...op.get(local),
      ...op.f32x4ExtractLane(3),
    ],
    ...op.f32Add,
  ];
  /** The tile of `pixels` pixels at px / pd, over all input channels two at a time. */
  const tile = (pixels: number): Code => {
    const rs = Array.from({ length: pixels }, (_, r) => r);
    const rowPointers = rs.flatMap((r) => [
      ...[...op.get(L.pd!), ...op.get(L.dyStep!), ...op.i32(r), ...op.mul, ...op.add, ...op.set(row(r))],
      ...[...op.get(L.px!), ...op.get(L.xStep!), ...op.i32(r), ...op.mul, ...op.add, ...op.set(dst(r))],
    ]);
    const zero = rs.flatMap((r) => [0, 1].flatMap((q) => [...op.i8x16Const(0), ...op.set(acc(r, q))]));
    const weights = [...op.get(L.ci!), ...op.get(L.coutBytes!), ...op.mul, ...op.get(L.w!), ...op.add];
    const perVector: Code[] = [
      [...op.get(L.pw0!), ...op.get(L.kk!), ...op.add, ...op.v128Load(), ...op.set(L.w0!)],
      [...op.get(L.pw1!), ...op.get(L.kk!), ...op.add, ...op.v128Load(), ...op.set(L.w1!)],
      ...rs.map((r) => [
        ...[...op.get(row(r)), ...op.get(L.kk!), ...op.add, ...op.v128Load(), ...op.set(L.a!)],
        ...[0, 1].flatMap((q) => [
          ...multiplyAdd(fused, op.get(L.a!), op.get(q === 0 ? L.w0! : L.w1!), op.get(acc(r, q))),
          ...op.set(acc(r, q)),
        ]),
      ]),
      bump(L.kk!, 16),
      [...op.get(L.kk!), ...op.get(L.coutBytes!), ...op.ltU, ...op.brIf(0)],
    ];
    // dx[pixel r][ci + q] += the lanes of acc(r, q).
    const store = rs.flatMap((r) => [
      ...[...op.get(dst(r)), ...op.get(L.ci!), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.t!)],
      ...[0, 1].flatMap((q) => [
        ...[...op.get(L.t!), ...op.get(L.t!), ...op.f32Load(4 * q), ...lanesSum(acc(r, q)), ...op.f32Add],
        ...op.f32Store(4 * q),
      ]),
    ]);
    return [
      ...rowPointers,
      ...[...op.i32(0), ...op.set(L.ci!)],
      ...op.loop(
        zero,
        [...weights, ...op.tee(L.pw0!), ...op.get(L.coutBytes!), ...op.add, ...op.set(L.pw1!)],
        [...op.i32(0), ...op.set(L.kk!)],
        op.loop(...perVector),
        store,
        bump(L.ci!, 2),
        [...op.get(L.ci!), ...op.get(L.cin!), ...op.ltU, ...op.brIf(0)],
      ),
    ];
  };
  const tiles = (pixels: number): Code =>
    segmentTiles(pixels, tile(pixels), L.k!, [
      [L.px!, L.xStep!],
      [L.pd!, L.dyStep!],
    ]);
  const perSegment: Code[] = [
    [
      ...op.get(L.seg!),
      ...op.i32Load(0),
      ...op.set(L.px!),
      ...op.get(L.seg!),
      ...op.i32Load(4),
      ...op.set(L.pd!),
    ],
    [...op.get(L.seg!), ...op.i32Load(8), ...op.set(L.k!)],
    tiles(P),
    tiles(1),
    bump(L.seg!, 12),
    [...op.get(L.seg!), ...op.get(L.segsEnd!), ...op.ltU, ...op.brIf(0)],
  ];
  return {
    name: 'inputGradGemm',
    params,
    paramNames,
    locals,
    body: [[...op.get(L.segs!), ...op.set(L.seg!)], op.loop(...perSegment)],
  };
}

/** Pixels of one register tile of the forward GEMM (then tiles of 2 and 1 for a run's remainder). */
const FORWARD_TILE_PIXELS = 4;

/**
 * forwardGemm(w, cin, coutBytes, segs, segsEnd, xStep, yStep): one filter tap of a forward convolution,
 * y[ys + k·yStep][co] += Σ_ci x[xs + k·xStep][ci] · w[ci, co] over the segments' pixels (the table of
 * `filterGradGemm`, dy offsets now pointing into y), the tap's filter packed as [cout / 8, cin, 8]. Register tiles
 * of 4 pixels × 8 output channels: per input channel, 4 splat x values times 2 filter vectors into 8
 * accumulators, loaded from and stored to y once per tile. Output-channel tiles run outermost, so a tile's
 * contiguous filter strip (cin × 32 bytes) stays in cache while the table's pixels pass. cout a multiple of 8.
 * With `overwrite` (forwardGemmOverwrite) the tiles start from zero instead of y, which then need not be zeroed.
 */
function forwardGemmFunction(fused: boolean, overwrite: boolean) {
  const P = FORWARD_TILE_PIXELS;
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const perType = (list: string[], type: 'i32' | 'v128') => Object.fromEntries(list.map((n) => [n, type]));
  const [rowNames, outNames, accNames] = [names('row', P), names('dst', P), names('acc', 2 * P)];
  const { params, paramNames, locals, at } = signature(
    { w: I, cin: I, coutBytes: I, segs: I, segsEnd: I, xStep: I, yStep: I },
    {
      ...{ seg: I, px: I, py: I, k: I, co: I, ci: I, pw: I, end: I },
      ...perType([...rowNames, ...outNames], I),
      ...{ w0: V, w1: V, s: V },
      ...perType(accNames, V),
    },
  );
  const L = at as Record<string, number>;
  const local = (name: string) => L[name]!;
  const row = (r: number) => local(`row${r}`);
  const dst = (r: number) => local(`dst${r}`);
  const acc = (r: number, q: number) => local(`acc${2 * r + q}`);
  /** The tile of `pixels` pixels at px / py, output channels co … co + 7. */
  const tile = (pixels: number): Code => {
    const rs = Array.from({ length: pixels }, (_, r) => r);
    const pointers = rs.flatMap((r) => [
      ...[...op.get(L.px!), ...op.get(L.xStep!), ...op.i32(r), ...op.mul, ...op.add, ...op.set(row(r))],
      ...[...op.get(L.py!), ...op.get(L.yStep!), ...op.i32(r), ...op.mul, ...op.add, ...op.get(L.co!)],
      ...[...op.add, ...op.set(dst(r))],
    ]);
    const load = rs.flatMap((r) =>
      [0, 1].flatMap((q) => [
        ...(overwrite ? op.i8x16Const(0) : [...op.get(dst(r)), ...op.v128Load(16 * q)]),
        ...op.set(acc(r, q)),
      ]),
    );
    const store = rs.flatMap((r) =>
      [0, 1].flatMap((q) => [...op.get(dst(r)), ...op.get(acc(r, q)), ...op.v128Store(16 * q)]),
    );
    // Per input channel: row pointers advance by 4 bytes, the filter pointer by one filter row.
    const perChannel: Code[] = [
      [...op.get(L.pw!), ...op.v128Load(0), ...op.set(L.w0!)],
      [...op.get(L.pw!), ...op.v128Load(16), ...op.set(L.w1!)],
      ...rs.map((r) => [
        ...[...op.get(row(r)), ...op.v128Load32Splat(0), ...op.set(L.s!)],
        ...[0, 1].flatMap((q) => [
          ...multiplyAdd(fused, op.get(L.s!), op.get(q === 0 ? L.w0! : L.w1!), op.get(acc(r, q))),
          ...op.set(acc(r, q)),
        ]),
        ...bump(row(r), 4),
      ]),
      bump(L.pw!, 32),
      [...op.get(L.pw!), ...op.get(L.end!), ...op.ltU, ...op.brIf(0)],
    ];
    return [
      ...pointers,
      ...load,
      // The strip of output channels co … co + 7 starts at w + (co / 32)·cin·32 bytes.
      ...[...op.get(L.w!), ...op.get(L.co!), ...op.get(L.cin!), ...op.mul, ...op.add, ...op.tee(L.pw!)],
      ...[...op.get(L.cin!), ...op.i32(32), ...op.mul, ...op.add, ...op.set(L.end!)],
      ...op.loop(...perChannel),
      ...store,
    ];
  };
  const tiles = (pixels: number): Code =>
    segmentTiles(pixels, tile(pixels), L.k!, [
      [L.px!, L.xStep!],
      [L.py!, L.yStep!],
    ]);
  const perSegment: Code[] = [
    [...op.get(L.seg!), ...op.i32Load(0), ...op.set(L.px!)],
    [...op.get(L.seg!), ...op.i32Load(4), ...op.set(L.py!)],
    [...op.get(L.seg!), ...op.i32Load(8), ...op.set(L.k!)],
    tiles(P),
    tiles(2),
    tiles(1),
    bump(L.seg!, 12),
    [...op.get(L.seg!), ...op.get(L.segsEnd!), ...op.ltU, ...op.brIf(0)],
  ];
  const perColumnTile: Code[] = [
    [...op.get(L.segs!), ...op.set(L.seg!)],
    op.loop(...perSegment),
    bump(L.co!, 32),
    [...op.get(L.co!), ...op.get(L.coutBytes!), ...op.ltU, ...op.brIf(0)],
  ];
  return {
    name: overwrite ? 'forwardGemmOverwrite' : 'forwardGemm',
    params,
    paramNames,
    locals,
    body: [[...op.i32(0), ...op.set(L.co!)], op.loop(...perColumnTile)],
  };
}

/** Whether a GEMM has any work: its loops are do-while and must not start on an empty range. */
const nonEmpty = (a: TapGemmArgs) => a.segsEnd > a.segs && a.cin > 0 && a.cout > 0;

export const tapGemmUnit = simdUnit({
  name: 'tap-gemms',
  functions: (fused) => ({
    filterGrad: filterGradGemmFunction(fused),
    inputGrad: inputGradGemmFunction(fused),
    forward: forwardGemmFunction(fused, false),
    forwardOverwrite: forwardGemmFunction(fused, true),
  }),
  // The literals spell every argument out: a spread would cost more than the call (~0.2 µs) in these hot calls.
  bind: (call) => ({
    /** filter += x-rowsᵀ · dy-rows; cin a multiple of 4, cout of 8. */
    filterGradGemm: (a: TapGemmArgs) => {
      if (nonEmpty(a))
        call.filterGrad({
          out: a.filter,
          cin: a.cin,
          coutBytes: a.cout * 4,
          segs: a.segs,
          segsEnd: a.segsEnd,
          xStep: a.xStep,
          dyStep: a.dyStep,
        });
    },
    /** dx-rows += dy-rows · filterᵀ; cin a multiple of 2, cout of 4. */
    inputGradGemm: (a: TapGemmArgs) => {
      if (nonEmpty(a))
        call.inputGrad({
          w: a.filter,
          cin: a.cin,
          coutBytes: a.cout * 4,
          segs: a.segs,
          segsEnd: a.segsEnd,
          xStep: a.xStep,
          dyStep: a.dyStep,
        });
    },
    /** y-rows (at the dy offsets) += x-rows · filter, or = with `overwrite`; cout a multiple of 8. */
    forwardGemm: (a: TapGemmArgs, overwrite: boolean) => {
      const f = overwrite ? call.forwardOverwrite : call.forward;
      if (nonEmpty(a))
        f({
          w: a.filter,
          cin: a.cin,
          coutBytes: a.cout * 4,
          segs: a.segs,
          segsEnd: a.segsEnd,
          xStep: a.xStep,
          yStep: a.dyStep,
        });
    },
  }),
});

export type TapGemmKernels = KernelsOf<typeof tapGemmUnit>;
