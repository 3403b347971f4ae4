/**
 * Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * CVPR 2016): an m×m output tile of a 3×3 correlation is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, d the t×t input tile
 * (t = m + 2), g the filter. The t² element-wise products, summed over input channels, are t² GEMMs of
 * (tiles × Cin)·(Cin × Cout), against 9 per m² outputs of the direct convolution: (m + 2)² / (9m²) of its
 * multiplications. The three transforms here are SIMD loops written from the matrices by `transform2d`, so
 * F(2×2, 3×3) and F(4×4, 3×3) are the same code with different constants.
 */
import { simdUnit, type KernelsOf } from './kernel-unit.ts';
import { bump, op, signature, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const V = 'v128' as const;

export interface WinogradMatrices {
  /** Output tile side m. */
  m: number;
  /** Input transform Bᵀ, t × t. */
  bt: number[][];
  /** Filter transform G, t × 3. */
  g: number[][];
  /** Output transform Aᵀ, m × t. */
  at: number[][];
}

/** F(2×2, 3×3), interpolation points 0, 1, −1, ∞: exact in float arithmetic up to rounding. */
const F2: WinogradMatrices = {
  m: 2,
  bt: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  g: [
    [1, 0, 0],
    [1 / 2, 1 / 2, 1 / 2],
    [1 / 2, -1 / 2, 1 / 2],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

/** F(4×4, 3×3), interpolation points 0, ±1, ±2, ∞: its larger constants cost some float precision. */
const F4: WinogradMatrices = {
  m: 4,
  bt: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  g: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** Output tile side of a Winograd variant. */
export type WinogradTile = 2 | 4;

export const WINOGRAD: Record<WinogradTile, WinogradMatrices> = { 2: F2, 4: F4 };

/** Transformed components t² of a tile (t = m + 2, the input tile's side). */
export const components = (m: WinogradTile) => (m + 2) ** 2;

/**
 * Pushes Σ_k coefficients[k] · term(k) (v128), from the code of each term: zeros skipped, terms of equal
 * magnitude summed (with their signs) before one multiplication by that magnitude, none for ±1.
 */
function combination(coefficients: number[], term: (k: number) => Code): Code {
  const groups = new Map<number, number[]>();
  coefficients.forEach((c, k) => {
    if (c !== 0) groups.set(Math.abs(c), [...(groups.get(Math.abs(c)) ?? []), k]);
  });
  if (groups.size === 0) return op.f32x4Const(0);
  const parts = [...groups].map(([magnitude, ks]) => {
    // Start from a positive term where there is one, so a group needs a negation only if all are negative.
    const sorted = [...ks].sort((a, b) => Math.sign(coefficients[b]!) - Math.sign(coefficients[a]!));
    const [first, ...rest] = sorted;
    const code: Code = [...term(first!), ...(coefficients[first!]! < 0 ? op.f32x4Neg : [])];
    for (const k of rest) code.push(...term(k), ...(coefficients[k]! < 0 ? op.f32x4Sub : op.f32x4Add));
    return magnitude === 1 ? code : [...code, ...op.f32x4Const(magnitude), ...op.f32x4Mul];
  });
  return parts.reduce((sum, part) => [...sum, ...part, ...op.f32x4Add]);
}

/**
 * out = M X Mᵀ for an r × k matrix M and a k × k input X whose element (i, j) is in v128 local `input(i, j)`:
 * first the r × k product M X into the `scratch` locals (r·k of them), then each output element (i, j), pushed by
 * its code for `sink` to consume.
 */
function transform2d(
  matrix: number[][],
  input: (i: number, j: number) => number,
  scratch: number[],
  sink: (i: number, j: number, value: Code) => Code,
): Code {
  const [r, k] = [matrix.length, matrix[0]!.length];
  const tmp = (i: number, j: number) => scratch[i * k + j]!;
  const code: Code = [];
  for (let i = 0; i < r; i++)
    for (let j = 0; j < k; j++)
      code.push(...combination(matrix[i]!, (l) => op.get(input(l, j))), ...op.set(tmp(i, j)));
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++)
      code.push(
        ...sink(
          i,
          j,
          combination(matrix[j]!, (l) => op.get(tmp(i, l))),
        ),
      );
  return code;
}

/** `count` names `prefix0…` of one type, for `signature`. */
const named = (prefix: string, count: number, type: 'i32' | 'v128') =>
  Object.fromEntries(Array.from({ length: count }, (_, k) => [`${prefix}${k}`, type]));

/**
 * winogradFilter{m}(g, u, cin, cout, rowStep, tapBytes): U = G g Gᵀ of every (ci, co) pair, written as
 * U[e][cout / 8][cin][8] (component e, then the packing `forwardGemm` takes), tapBytes = cin·cout·4 apart; the 9
 * taps of g lie tapBytes apart too. Both layouts are walked so that g is read and U written in order:
 *   plain: g is [3, 3, cin, cout]. Blocks of 4 input × 8 output channels, 8 vectors along co (two per g row,
 *     rowStep = cout·4 apart), each transformed and stored into its U row as it goes.
 *   swapped (the input gradient's filter, rotated by 180° with its channels swapped): g is [3, 3, cout, cin] and
 *     tap (a, b) of the convolution is g's tap (2 − a, 2 − b). Blocks of 4 × 4 channels, 4 vectors along ci
 *     (rowStep = cin·4 apart), transposed in registers before the store.
 * cin a multiple of 4, cout of 8.
 */
export function winogradFilterFunction(w: WinogradMatrices, swapped: boolean) {
  const t = w.m + 2;
  const T = t * t;
  const vectors = swapped ? 4 : 8;
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    { g: I, u: I, cin: I, cout: I, rowStep: I, tapBytes: I },
    {
      ...{ ci: I, co: I, src: I, dst: I },
      ...named('tap', 9, I),
      ...named('vec', vectors, I),
      ...named('comp', T, I),
      ...named('in', 9, V),
      ...named('tmp', t * 3, V),
      ...(swapped ? named('out', 4 * T, V) : {}),
      ...(swapped ? named('sh', 4, V) : {}),
    },
  );
  const at = L as Record<string, number>;
  const tap = (k: number) => at[`tap${k}`]!;
  const vec = (r: number) => at[`vec${r}`]!;
  const comp = (e: number) => at[`comp${e}`]!;
  const input = (k: number) => at[`in${k}`]!;
  const out = (r: number, e: number) => at[`out${r * T + e}`]!;
  const scratch = Array.from({ length: t * 3 }, (_, k) => at[`tmp${k}`]!);
  const shuffled = (k: number) => at[`sh${k}`]!;
  const times = (local: number, factor: number, target: number) => [
    ...[...op.get(local), ...op.i32(factor), ...op.mul, ...op.set(target)],
  ];
  // Byte offsets fixed for the call: of each tap (reversed when swapped), source vector and component. Plain
  // vector r is g row r / 2, bytes 16·(r mod 2) on.
  const offsets: Code = [
    ...Array.from({ length: 9 }, (_, k) => times(L.tapBytes, swapped ? 8 - k : k, tap(k))).flat(),
    ...Array.from({ length: vectors }, (_, r) =>
      swapped
        ? times(L.rowStep, r, vec(r))
        : [...times(L.rowStep, r >> 1, vec(r)), ...bump(vec(r), 16 * (r & 1))],
    ).flat(),
    ...Array.from({ length: T }, (_, e) => times(L.tapBytes, e, comp(e))).flat(),
  ];
  const load = (r: number): Code =>
    Array.from({ length: 9 }, (_, k) => [
      ...[...op.get(L.src), ...op.get(tap(k)), ...op.add, ...op.get(vec(r)), ...op.add],
      ...[...op.v128Load(), ...op.set(input(k))],
    ]).flat();
  /** Stores `value` into component e's U rows, at byte `offset` from the block's first. */
  const store = (e: number, offset: number, value: Code) => [
    ...[...op.get(L.dst), ...op.get(comp(e)), ...op.add, ...value, ...op.v128Store(offset)],
  ];
  const transform = (sink: (e: number, value: Code) => Code) =>
    transform2d(
      w.g,
      (a, b) => input(a * 3 + b),
      scratch,
      (i, j, value) => sink(i * t + j, value),
    );
  // Plain vector r goes to U row ci + r / 2 (32 bytes each), half r mod 2; swapped, lane l of the four
  // transformed vectors goes to row ci + l.
  const transposed = (e: number): Code => {
    const pair = (a: number, b: number, lanes: [number, number, number, number]) => [
      ...op.get(a),
      ...op.get(b),
      ...op.f32x4Shuffle(lanes),
    ];
    return [
      ...[...pair(out(0, e), out(1, e), [0, 4, 1, 5]), ...op.set(shuffled(0))],
      ...[...pair(out(0, e), out(1, e), [2, 6, 3, 7]), ...op.set(shuffled(1))],
      ...[...pair(out(2, e), out(3, e), [0, 4, 1, 5]), ...op.set(shuffled(2))],
      ...[...pair(out(2, e), out(3, e), [2, 6, 3, 7]), ...op.set(shuffled(3))],
      ...store(e, 0, pair(shuffled(0), shuffled(2), [0, 1, 4, 5])),
      ...store(e, 32, pair(shuffled(0), shuffled(2), [2, 3, 6, 7])),
      ...store(e, 64, pair(shuffled(1), shuffled(3), [0, 1, 4, 5])),
      ...store(e, 96, pair(shuffled(1), shuffled(3), [2, 3, 6, 7])),
    ];
  };
  const block: Code = swapped
    ? [
        ...[0, 1, 2, 3].flatMap((r) => [
          ...load(r),
          ...transform((e, value) => [...value, ...op.set(out(r, e))]),
        ]),
        ...Array.from({ length: T }, (_, e) => transposed(e)).flat(),
      ]
    : Array.from({ length: vectors }, (_, r) => [
        ...load(r),
        ...transform((e, value) => store(e, 32 * (r >> 1) + 16 * (r & 1), value)),
      ]).flat();
  // Source of block (ci, co): plain g + ci·cout·4 + co·4, swapped g + co·cin·4 + ci·4. Destination
  // u + (co / 8)·cin·32 + ci·32 + (co mod 8)·4.
  const [along, across] = swapped ? [L.co, L.ci] : [L.ci, L.co];
  const source: Code = [
    ...[...op.get(L.g), ...op.get(along), ...op.get(L.rowStep), ...op.mul, ...op.add],
    ...[...op.get(across), ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.src)],
  ];
  const destination: Code = [
    ...[
      ...op.get(L.u),
      ...op.get(L.co),
      ...op.i32(3),
      ...op.shrU,
      ...op.get(L.cin),
      ...op.mul,
      ...op.i32(32),
    ],
    ...[...op.mul, ...op.add, ...op.get(L.ci), ...op.i32(32), ...op.mul, ...op.add],
    ...[...op.get(L.co), ...op.i32(4), ...op.and, ...op.i32(4), ...op.mul, ...op.add, ...op.set(L.dst)],
  ];
  // Output channels outside, input channels inside: U is written in order (measured 1.2–3× faster than the other
  // way round, which reads g in order but scatters the writes).
  const body = [
    ...offsets,
    ...[...op.i32(0), ...op.set(L.co)],
    ...op.loop(
      [...op.i32(0), ...op.set(L.ci)],
      op.loop(source, destination, block, bump(L.ci, 4), [
        ...[...op.get(L.ci), ...op.get(L.cin), ...op.ltU, ...op.brIf(0)],
      ]),
      bump(L.co, vectors),
      [...op.get(L.co), ...op.get(L.cout), ...op.ltU, ...op.brIf(0)],
    ),
  ];
  return {
    name: `winogradFilter${w.m}${swapped ? 'Swapped' : ''}`,
    params,
    paramNames,
    locals,
    body: [body],
  };
}

/** The data transforms: Bᵀ d B of input tiles, Aᵀ M A into output tiles, and A dY Aᵀ of output-gradient tiles. */
export type WinogradData = 'input' | 'output' | 'outputGrad';

const transpose = (matrix: number[][]) => matrix[0]!.map((_, j) => matrix.map((row) => row[j]!));

/**
 * The data transforms, over `count` tiles of a table that lists, per tile, the heap byte offset of each of its
 * pixels (t × t of the input, m × m of the output or its gradient; i32s, row by row), channels in vectors of 4:
 *   winogradInput{m}(table, count, comps = V, cBytes, compBytes): V[e][tile][c] = Bᵀ d B, d the tile's input
 *     pixels (the table points those outside the input at a row of zeros);
 *   winogradOutput{m}(table, count, comps = M, …): the tile's output pixels = Aᵀ M A (the table points those
 *     outside the output at a scratch row);
 *   winogradOutputGrad{m}(table, count, comps = Z, …): Z[e][tile][c] = A dY Aᵀ, dY the tile's output-gradient
 *     pixels (those outside the output at a row of zeros): the gradient of M, for the filter gradient.
 * Components lie compBytes apart, tiles cBytes (the channels' bytes, a multiple of 16). The tables spare the
 * copies into a padded input and out of an output padded to whole tiles.
 */
export function winogradDataFunction(w: WinogradMatrices, which: WinogradData) {
  const t = w.m + 2;
  const T = t * t;
  const side = which === 'input' ? t : w.m;
  const pixels = side * side;
  const toComps = which !== 'output';
  const matrix = { input: w.bt, output: w.at, outputGrad: transpose(w.at) }[which];
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    { table: I, count: I, comps: I, cBytes: I, compBytes: I },
    {
      ...{ k: I, c: I, q: I },
      ...named('pix', pixels, I),
      ...named('comp', T, I),
      ...named('in', T, V),
      ...named('tmp', matrix.length * matrix[0]!.length, V),
    },
  );
  const at = L as Record<string, number>;
  const pix = (i: number, j: number) => at[`pix${i * side + j}`]!;
  const comp = (e: number) => at[`comp${e}`]!;
  const input = (e: number) => at[`in${e}`]!;
  const scratch = Array.from({ length: matrix.length * matrix[0]!.length }, (_, k) => at[`tmp${k}`]!);
  const compOffsets = Array.from({ length: T }, (_, e) => [
    ...[...op.get(L.compBytes), ...op.i32(e), ...op.mul, ...op.set(comp(e))],
  ]).flat();
  // A pixel's vector: its table pointer plus the channel offset c; a component's: q (advanced with c) plus its offset.
  const atPixel = (i: number, j: number) => [...op.get(pix(i, j)), ...op.get(L.c), ...op.add];
  const atComp = (e: number) => [...op.get(L.q), ...op.get(comp(e)), ...op.add];
  const perVector: Code = toComps
    ? [
        ...Array.from({ length: pixels }, (_, e) => [
          ...[...atPixel(Math.floor(e / side), e % side), ...op.v128Load(), ...op.set(input(e))],
        ]).flat(),
        ...transform2d(
          matrix,
          (i, j) => input(i * side + j),
          scratch,
          (i, j, value) => [...atComp(i * t + j), ...value, ...op.v128Store()],
        ),
      ]
    : [
        ...Array.from({ length: T }, (_, e) => [...atComp(e), ...op.v128Load(), ...op.set(input(e))]).flat(),
        ...transform2d(
          matrix,
          (i, j) => input(i * t + j),
          scratch,
          (i, j, value) => [...atPixel(i, j), ...value, ...op.v128Store()],
        ),
      ];
  const perTile: Code[] = [
    ...Array.from({ length: pixels }, (_, idx) => [
      ...[...op.get(L.table), ...op.i32Load(4 * idx), ...op.set(pix(Math.floor(idx / side), idx % side))],
    ]),
    [...op.get(L.comps), ...op.get(L.k), ...op.get(L.cBytes), ...op.mul, ...op.add, ...op.set(L.q)],
    [...op.i32(0), ...op.set(L.c)],
    op.loop(perVector, bump(L.q, 16), bump(L.c, 16), [
      ...[...op.get(L.c), ...op.get(L.cBytes), ...op.ltU, ...op.brIf(0)],
    ]),
    bump(L.table, 4 * pixels),
    bump(L.k, 1),
    [...op.get(L.k), ...op.get(L.count), ...op.ltU, ...op.brIf(0)],
  ];
  const name = `winograd${which[0]!.toUpperCase()}${which.slice(1)}${w.m}`;
  return {
    name,
    params,
    paramNames,
    locals,
    body: [compOffsets, [...op.i32(0), ...op.set(L.k)], op.loop(...perTile)],
  };
}

/**
 * winogradFilterGrad{m}(du, dg, planeBytes): the filter gradient from the gradient of the transformed filter,
 * dg = Gᵀ dU G per (ci, co) pair: dU is [components, cin, cout] and dg [3, 3, cin, cout], planeBytes (cin·cout·4, a
 * multiple of 16) per component or tap; pairs in vectors of 4.
 */
export function winogradFilterGradFunction(w: WinogradMatrices) {
  const t = w.m + 2;
  const T = t * t;
  const gt = transpose(w.g);
  const {
    params,
    paramNames,
    locals,
    at: L,
  } = signature(
    { du: I, dg: I, planeBytes: I },
    { c: I, ...named('comp', T, I), ...named('tap', 9, I), ...named('in', T, V), ...named('tmp', 3 * t, V) },
  );
  const at = L as Record<string, number>;
  const comp = (e: number) => at[`comp${e}`]!;
  const tap = (k: number) => at[`tap${k}`]!;
  const input = (e: number) => at[`in${e}`]!;
  const scratch = Array.from({ length: 3 * t }, (_, k) => at[`tmp${k}`]!);
  const offsets: Code = [
    ...Array.from({ length: T }, (_, e) => [
      ...[...op.get(L.planeBytes), ...op.i32(e), ...op.mul, ...op.get(L.du), ...op.add, ...op.set(comp(e))],
    ]).flat(),
    ...Array.from({ length: 9 }, (_, k) => [
      ...[...op.get(L.planeBytes), ...op.i32(k), ...op.mul, ...op.get(L.dg), ...op.add, ...op.set(tap(k))],
    ]).flat(),
  ];
  const perVector: Code = [
    ...Array.from({ length: T }, (_, e) => [
      ...[...op.get(comp(e)), ...op.get(L.c), ...op.add, ...op.v128Load(), ...op.set(input(e))],
    ]).flat(),
    ...transform2d(
      gt,
      (i, j) => input(i * t + j),
      scratch,
      (i, j, value) => [...op.get(tap(i * 3 + j)), ...op.get(L.c), ...op.add, ...value, ...op.v128Store()],
    ),
  ];
  const body = [
    ...offsets,
    ...[...op.i32(0), ...op.set(L.c)],
    ...op.loop(perVector, bump(L.c, 16), [...op.get(L.c), ...op.get(L.planeBytes), ...op.ltU, ...op.brIf(0)]),
  ];
  return { name: `winogradFilterGrad${w.m}`, params, paramNames, locals, body: [body] };
}

/**
 * The Winograd filter transform of a 3×3 filter, heap byte offsets of the filter and of the transformed one
 * ([components, cout / 8, cin, 8]); cin, cout the convolution's (cin a multiple of 4, cout of 8). With `swapped`
 * the filter is stored [3, 3, cout, cin] and is taken rotated by 180° (an input gradient's).
 */
export interface WinogradFilterArgs {
  g: number;
  u: number;
  cin: number;
  cout: number;
  swapped: boolean;
}

/**
 * A Winograd data transform over `count` tiles of a table of pixel pointers at `table` (i32 heap byte offsets of
 * each tile's t × t input or m × m output pixels); the heap byte offset of the components ([components, tiles,
 * channels], compBytes apart). `channels` a multiple of 4.
 */
export interface WinogradDataArgs {
  table: number;
  count: number;
  comps: number;
  channels: number;
  compBytes: number;
}

const functionsOf = (w: WinogradMatrices) => ({
  filter: winogradFilterFunction(w, false),
  filterSwapped: winogradFilterFunction(w, true),
  input: winogradDataFunction(w, 'input'),
  output: winogradDataFunction(w, 'output'),
  outputGrad: winogradDataFunction(w, 'outputGrad'),
  filterGrad: winogradFilterGradFunction(w),
});

type Fns = ReturnType<typeof functionsOf>;
type Tiled<K extends keyof Fns> = { [M in `${K}${WinogradTile}`]: Fns[K] };

/** The Winograd transforms (`winograd.ts` runs them around the tap GEMMs), for each tile size. */
export const winogradUnit = simdUnit({
  name: 'winograd',
  functions: () => {
    const [f2, f4] = [functionsOf(F2), functionsOf(F4)];
    const pair = <K extends keyof Fns>(key: K) =>
      ({ [`${key}2`]: f2[key], [`${key}4`]: f4[key] }) as Tiled<K>;
    return {
      ...pair('filter'),
      ...pair('filterSwapped'),
      ...pair('input'),
      ...pair('output'),
      ...pair('outputGrad'),
      ...pair('filterGrad'),
    };
  },
  bind: (call) => {
    const data = (which: 'input' | 'output' | 'outputGrad') => (m: WinogradTile, a: WinogradDataArgs) => {
      if (a.count > 0 && a.channels > 0)
        call[`${which}${m}`]({
          ...{
            table: a.table,
            count: a.count,
            comps: a.comps,
            cBytes: a.channels * 4,
            compBytes: a.compBytes,
          },
        });
    };
    return {
      winogradFilter: (m: WinogradTile, a: WinogradFilterArgs) => {
        if (a.cin === 0 || a.cout === 0) return;
        const f = a.swapped ? call[`filterSwapped${m}`] : call[`filter${m}`];
        const rowStep = (a.swapped ? a.cin : a.cout) * 4;
        f({ g: a.g, u: a.u, cin: a.cin, cout: a.cout, rowStep, tapBytes: a.cin * a.cout * 4 });
      },
      /** V = Bᵀ d B per tile and channel. */
      winogradInput: data('input'),
      /** y-tile = Aᵀ M A per tile and channel. */
      winogradOutput: data('output'),
      /** Z = A dY Aᵀ per tile and channel. */
      winogradOutputGrad: data('outputGrad'),
      /** dg = Gᵀ dU G per channel pair: heap byte offsets of dU [components, cin, cout] and dg [3, 3, cin, cout]. */
      winogradFilterGrad: (m: WinogradTile, a: { du: number; dg: number; cin: number; cout: number }) => {
        if (a.cin > 0 && a.cout > 0)
          call[`filterGrad${m}`]({ du: a.du, dg: a.dg, planeBytes: a.cin * a.cout * 4 });
      },
    };
  },
});

export type WinogradKernels = KernelsOf<typeof winogradUnit>;
