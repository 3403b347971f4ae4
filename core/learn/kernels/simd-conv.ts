/** SIMD loops for convolution and pooling gradients (see `simd.ts` for how they run). */
import { bump, countUp, multiplyAdd, op, signature, type Code, type FunctionSpec } from './wasm-asm.ts';

const I = 'i32' as const;
const V = 'v128' as const;

/** The geometry every pixel-tap walk takes after its own pointer parameters (cBytes: channels in bytes). */
const WALK_GEOMETRY = {
  ...{ n: I, h: I, w: I, cBytes: I, ho: I, wo: I },
  ...{ fh: I, fw: I, sh: I, sw: I, dh: I, dw: I, top: I, left: I },
};
const WALK_LOCALS = { ni: I, i: I, j: I, a: I, b: I, y: I, col: I, outPixel: I, inPixel: I, tap: I };
type WalkLocals = Record<keyof typeof WALK_GEOMETRY | keyof typeof WALK_LOCALS, number>;

/**
 * The walk over every output pixel (ni, i, j) and every tap (a, b) whose input pixel
 * (ni, i·sh + a·dh − top, j·sw + b·dw − left) lies inside the input. `perPixel` runs first for each output
 * pixel, with `outPixel` its byte offset in dy-shaped tensors; `perPair` then for each such tap, with `inPixel`
 * the input pixel's byte offset in x-shaped tensors and `tap` = a·fw + b.
 */
function pixelTapWalk(L: WalkLocals, perPixel: Code, perPair: Code): Code {
  /** (outer · size + inner) · cBytes, from locals. */
  const offset = (outer: Code, size: number, inner: number): Code => [
    ...[...outer, ...op.get(size), ...op.mul, ...op.get(inner), ...op.add, ...op.get(L.cBytes), ...op.mul],
  ];
  const rowOf = (img: number, size: number, row: number): Code => [
    ...[...op.get(img), ...op.get(size), ...op.mul, ...op.get(row), ...op.add],
  ];
  // Input coordinate `at` = outer · stride + tap · dilation − pad; leave the enclosing block when outside [0, size).
  const inside = (at: number, [outer, stride, tap, dil, pad, size]: number[]): Code => [
    ...[...op.get(outer!), ...op.get(stride!), ...op.mul, ...op.get(tap!), ...op.get(dil!), ...op.mul],
    ...[...op.add, ...op.get(pad!), ...op.sub, ...op.tee(at), ...op.get(size!), ...op.geU, ...op.brIf(0)],
  ];
  const pair: Code = [
    ...[...offset(rowOf(L.ni, L.h, L.y), L.w, L.col), ...op.set(L.inPixel)],
    ...[...op.get(L.a), ...op.get(L.fw), ...op.mul, ...op.get(L.b), ...op.add, ...op.set(L.tap)],
    ...perPair,
  ];
  const columns = countUp(L.b, L.fw, op.block(inside(L.col, [L.j, L.sw, L.b, L.dw, L.left, L.w]), pair));
  const rows = countUp(L.a, L.fh, op.block(inside(L.y, [L.i, L.sh, L.a, L.dh, L.top, L.h]), columns));
  const pixel: Code = [...offset(rowOf(L.ni, L.ho, L.i), L.wo, L.j), ...op.set(L.outPixel), ...perPixel];
  return countUp(L.ni, L.n, countUp(L.i, L.ho, countUp(L.j, L.wo, pixel, rows)));
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

/** `local = base + offset` for each [local, base, offset] (offset a local, or a Code computing it). */
const pointers = (list: [number, number, number | Code][]): Code =>
  list.flatMap(([local, base, offset]) => [
    ...op.get(base),
    ...(typeof offset === 'number' ? op.get(offset) : offset),
    ...op.add,
    ...op.set(local),
  ]);

/** `body` for each channel vector, while pointer `lead` (advanced with `others` by 16) is below `end`. */
const overChannels = (lead: number, end: number, others: number[], ...body: Code[]): Code =>
  op.loop(...body, ...[lead, ...others].map((p) => bump(p, 16)), [
    ...op.get(lead),
    ...op.get(end),
    ...op.ltU,
    ...op.brIf(0),
  ]);

/**
 * Both depthwise gradients (channel multiplier 1) walk the same pairs, channels in vectors of 4. Per pair:
 *   depthwiseFilterGrad(pixels = x, dy, taps = dF, …):  dF[a, b, :] += x[input pixel, :] · dy[n, i, j, :]
 *   depthwiseInputGrad(pixels = dx, dy, taps = f, …):  dx[input pixel, :] += f[a, b, :] · dy[n, i, j, :]
 * Parameters (pixels, dy, taps, …WALK_GEOMETRY); the accumulated tensor must start zeroed. The filter gradient's
 * 9·C accumulators stay in cache; the input gradient's rows are revisited by neighbouring pixels while in cache.
 */
function depthwiseFunction(name: string, accumulate: 'taps' | 'pixels', fused: boolean): FunctionSpec {
  const { params, locals, at } = signature(
    { pixels: I, dy: I, taps: I, ...WALK_GEOMETRY },
    { ...WALK_LOCALS, pt: I, pp: I, pd: I, end: I },
  );
  const L = at;
  const [target, other] = accumulate === 'taps' ? [L.pt, L.pp] : [L.pp, L.pt];
  const perPair: Code = [
    ...pointers([
      [L.pt, L.taps, [...op.get(L.tap), ...op.get(L.cBytes), ...op.mul]],
      [L.pp, L.pixels, L.inPixel],
      [L.pd, L.dy, L.outPixel],
      [L.end, L.pd, L.cBytes],
    ]),
    ...overChannels(
      L.pd,
      L.end,
      [L.pt, L.pp],
      op.get(target),
      multiplyAdd(
        fused,
        [...op.get(other), ...op.v128Load()],
        [...op.get(L.pd), ...op.v128Load()],
        [...op.get(target), ...op.v128Load()],
      ),
      op.v128Store(),
    ),
  ];
  return { name, params, locals, body: [pixelTapWalk(L, [], perPair)] };
}

export const depthwiseFilterGradFunction = (fused: boolean) =>
  depthwiseFunction('depthwiseFilterGrad', 'taps', fused);
export const depthwiseInputGradFunction = (fused: boolean) =>
  depthwiseFunction('depthwiseInputGrad', 'pixels', fused);

/**
 * maxPoolGrad(x, pooled, dy, dx, seen, …WALK_GEOMETRY): dy of each output pixel and channel goes to the first tap
 * (in a, b order) whose input equals the pooled maximum, as the cpu backend's gradient picks the first maximum.
 * `seen` is a scratch row of per-channel masks (cleared per output pixel) marking channels already routed; dx
 * must start zeroed. Channels in vectors of 4.
 */
export function maxPoolGradFunction(): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature(
    { x: I, pooled: I, dy: I, dx: I, seen: I, ...WALK_GEOMETRY },
    { ...WALK_LOCALS, px: I, pdx: I, py: I, pd: I, ps: I, end: I, match: V, was: V },
  );
  const clearSeen: Code = [
    ...pointers([
      [L.ps, L.seen, op.i32(0)],
      [L.end, L.seen, L.cBytes],
    ]),
    ...overChannels(L.ps, L.end, [], [...op.get(L.ps), ...op.i8x16Const(0), ...op.v128Store()]),
  ];
  const perPair: Code = [
    ...pointers([
      [L.px, L.x, L.inPixel],
      [L.pdx, L.dx, L.inPixel],
      [L.py, L.pooled, L.outPixel],
      [L.pd, L.dy, L.outPixel],
      [L.ps, L.seen, op.i32(0)],
      [L.end, L.seen, L.cBytes],
    ]),
    ...overChannels(
      L.ps,
      L.end,
      [L.px, L.pdx, L.py, L.pd],
      [...op.get(L.ps), ...op.v128Load(), ...op.set(L.was)],
      [...op.get(L.px), ...op.v128Load(), ...op.get(L.py), ...op.v128Load(), ...op.f32x4Eq],
      [...op.get(L.was), ...op.v128AndNot, ...op.set(L.match)],
      [...op.get(L.ps), ...op.get(L.was), ...op.get(L.match), ...op.v128Or, ...op.v128Store()],
      [...op.get(L.pdx), ...op.get(L.pdx), ...op.v128Load(), ...op.get(L.pd), ...op.v128Load()],
      [...op.get(L.match), ...op.v128And, ...op.f32x4Add, ...op.v128Store()],
    ),
  ];
  return { name: 'maxPoolGrad', params, locals, body: [pixelTapWalk(L, clearSeen, perPair)] };
}

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
export function filterGradGemmFunction(fused: boolean): FunctionSpec {
  const acc = Array.from({ length: GEMM_TILE_ROWS * GEMM_TILE_VECTORS }, (_, k) => [`acc${k}`, V] as const);
  const {
    params,
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
  return { name: 'filterGradGemm', params, locals, body: [body] };
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
export function inputGradGemmFunction(fused: boolean): FunctionSpec {
  const P = INPUT_TILE_PIXELS;
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const perType = (list: string[], type: 'i32' | 'v128') => Object.fromEntries(list.map((n) => [n, type]));
  const [rowNames, outNames, accNames] = [names('row', P), names('dst', P), names('acc', 2 * P)];
  const { params, locals, at } = signature(
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
export function forwardGemmFunction(fused: boolean, overwrite: boolean): FunctionSpec {
  const P = FORWARD_TILE_PIXELS;
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const perType = (list: string[], type: 'i32' | 'v128') => Object.fromEntries(list.map((n) => [n, type]));
  const [rowNames, outNames, accNames] = [names('row', P), names('dst', P), names('acc', 2 * P)];
  const { params, locals, at } = signature(
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
    locals,
    body: [[...op.i32(0), ...op.set(L.co!)], op.loop(...perColumnTile)],
  };
}
