/**
 * SIMD loops over whole tensors, 4 floats per vector (see `simd.ts` for how they run). Pointers advance until
 * the first output pointer reaches `end`; callers compute the last size mod (elements per step) elements.
 */
import { bump, countUp, op, signature, type Code, type FunctionSpec } from './wasm-asm.ts';

const I = 'i32' as const;
const F = 'f32' as const;
const V = 'v128' as const;

/** The loop: `step` (stack-neutral) runs until local `out` reaches local `end`, `out` advancing by outBytes. */
const untilEnd = (out: number, end: number, outBytes: number, ...step: Code[]): Code =>
  op.loop(...step, bump(out, outBytes), [...op.get(out), ...op.get(end), ...op.ltU, ...op.brIf(0)]);

/**
 * Binary functions (a, aStep, b, bStep, out, end): operand pointers advance by their step per vector (16 bytes,
 * or 0 to read a 4-float broadcast of a scalar again and again).
 */
function binaryFunction(name: string, perStep: (nextPair: Code) => Code, outBytes: number): FunctionSpec {
  const { params, locals, at: L } = signature({ a: I, aStep: I, b: I, bStep: I, out: I, end: I }, {});
  const nextPair: Code = [
    ...[...op.get(L.a), ...op.v128Load(), ...bump(L.a, op.get(L.aStep))],
    ...[...op.get(L.b), ...op.v128Load(), ...bump(L.b, op.get(L.bStep))],
  ];
  const body = untilEnd(L.out, L.end, outBytes, [...op.get(L.out), ...perStep(nextPair), ...op.v128Store()]);
  return { name, params, locals, body: [body] };
}

/** float32 out = Math.min(a, b), 4 per step. */
export const minimumFunction = () => binaryFunction('minimum', (pair) => [...pair, ...op.f32x4Min], 16);

/** bool (one byte, 0 or 1) out = a > b, 16 per step: four comparisons' 32-bit masks narrowed to bytes. */
export const greaterFunction = () =>
  binaryFunction(
    'greater',
    (pair) => [
      ...[...pair, ...op.f32x4Gt, ...pair, ...op.f32x4Gt, ...op.i16x8NarrowI32x4S],
      ...[...pair, ...op.f32x4Gt, ...pair, ...op.f32x4Gt, ...op.i16x8NarrowI32x4S],
      ...[...op.i8x16NarrowI16x8S, ...op.i8x16Const(1), ...op.v128And],
    ],
    16,
  );

/**
 * Masked products (dy, a, aStep, b, bStep, out, end): out = dy · mask(a, b), 4 per step, dy and out full-size,
 * a and b as in the binary functions. The mask is 1 or 0 per lane (and NaN for `step` at a NaN), so the product
 * is exactly tfjs's dy · cast(condition, 'float32'): the gradients of Minimum and Relu in one pass each.
 */
function maskedProductFunction(name: string, mask: (a: number, b: number) => Code): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature({ dy: I, a: I, aStep: I, b: I, bStep: I, out: I, end: I }, { va: V, vb: V });
  const step: Code[] = [
    [...op.get(L.a), ...op.v128Load(), ...op.set(L.va), ...bump(L.a, op.get(L.aStep))],
    [...op.get(L.b), ...op.v128Load(), ...op.set(L.vb), ...bump(L.b, op.get(L.bStep))],
    [
      ...op.get(L.out),
      ...op.get(L.dy),
      ...op.v128Load(),
      ...mask(L.va, L.vb),
      ...op.f32x4Mul,
      ...op.v128Store(),
    ],
    bump(L.dy, 16),
  ];
  return { name, params, locals, body: [untilEnd(L.out, L.end, 16, ...step)] };
}

/** 1.0 where the comparison's mask is all ones, else 0.0. */
const ones = (comparison: Code): Code => [...comparison, ...op.f32x4Const(1), ...op.v128And];

/** dy · (a > b) */
export const greaterProductFunction = () =>
  maskedProductFunction('greaterProduct', (a, b) => ones([...op.get(a), ...op.get(b), ...op.f32x4Gt]));
/** dy · (a ≤ b) */
export const lessEqualProductFunction = () =>
  maskedProductFunction('lessEqualProduct', (a, b) => ones([...op.get(a), ...op.get(b), ...op.f32x4Le]));
/** dy · step(a) with b = 0: 1 where a > 0, NaN where a is NaN (tfjs's step), else 0. */
export const stepProductFunction = () =>
  maskedProductFunction('stepProduct', (a, b) => [
    ...ones([...op.get(a), ...op.get(b), ...op.f32x4Gt]),
    ...[...op.get(a), ...op.get(a), ...op.f32x4Ne, ...op.get(a), ...op.v128And, ...op.v128Or],
  ]);

/** dy · (0 < a < b), and NaN where a is NaN: the gradient of min(b, relu(a)) (tfjs-layers' relu6 for b = 6). */
export const openIntervalProductFunction = () =>
  maskedProductFunction('openIntervalProduct', (a, b) => [
    ...[...op.get(a), ...op.i8x16Const(0), ...op.f32x4Gt, ...op.get(b), ...op.get(a), ...op.f32x4Gt],
    ...ones(op.v128And),
    ...[...op.get(a), ...op.get(a), ...op.f32x4Ne, ...op.get(a), ...op.v128And, ...op.v128Or],
  ]);

/** relu6(x, out, end): out = min(6, max(x, 0)) per element, 4 per step; NaN stays NaN. */
export function relu6Function(): FunctionSpec {
  const { params, locals, at: L } = signature({ x: I, out: I, end: I }, {});
  const step: Code[] = [
    [...op.get(L.out), ...op.f32x4Const(6), ...op.get(L.x), ...op.v128Load(), ...op.i8x16Const(0)],
    [...op.f32x4Max, ...op.f32x4Min, ...op.v128Store()],
    bump(L.x, 16),
  ];
  return { name: 'relu6', params, locals, body: [untilEnd(L.out, L.end, 16, ...step)] };
}

/**
 * adam(p, g, m, v, pOut, mOut, vOut, end, beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction2, epsilon,
 * stepSize), per element and in float32 at every operation, in the order of the op-by-op update it replaces:
 *   m' = m·β1 + g·(1 − β1)      v' = v·β2 + (g·g)·(1 − β2)
 *   p' = p − (m' / (√(v' / correction2) + ε)) · stepSize
 */
export function adamFunction(): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature(
    {
      ...{ p: I, g: I, m: I, v: I, pOut: I, mOut: I, vOut: I, end: I },
      ...{ b1: F, ob1: F, b2: F, ob2: F, c2: F, eps: F, k: F },
    },
    { B1: V, OB1: V, B2: V, OB2: V, C2: V, EPS: V, K: V, M: V, VV: V },
  );
  const splat = (from: number, to: number): Code => [...op.get(from), ...op.f32x4Splat, ...op.set(to)];
  const load = (ptr: number): Code => [...op.get(ptr), ...op.v128Load()];
  const step: Code[] = [
    [...load(L.m), ...op.get(L.B1), ...op.f32x4Mul, ...load(L.g), ...op.get(L.OB1), ...op.f32x4Mul],
    [...op.f32x4Add, ...op.set(L.M)],
    [...load(L.v), ...op.get(L.B2), ...op.f32x4Mul, ...load(L.g), ...load(L.g), ...op.f32x4Mul],
    [...op.get(L.OB2), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(L.VV)],
    [
      ...op.get(L.mOut),
      ...op.get(L.M),
      ...op.v128Store(),
      ...op.get(L.vOut),
      ...op.get(L.VV),
      ...op.v128Store(),
    ],
    [...op.get(L.pOut), ...load(L.p), ...op.get(L.M), ...op.get(L.VV), ...op.get(L.C2), ...op.f32x4Div],
    [...op.f32x4Sqrt, ...op.get(L.EPS), ...op.f32x4Add, ...op.f32x4Div, ...op.get(L.K), ...op.f32x4Mul],
    [...op.f32x4Sub, ...op.v128Store()],
    ...[L.p, L.g, L.m, L.v, L.mOut, L.vOut].map((ptr) => bump(ptr, 16)),
  ];
  return {
    name: 'adam',
    params,
    locals,
    body: [
      ...[splat(L.b1, L.B1), splat(L.ob1, L.OB1), splat(L.b2, L.B2), splat(L.ob2, L.OB2)],
      ...[splat(L.c2, L.C2), splat(L.eps, L.EPS), splat(L.k, L.K)],
      untilEnd(L.pOut, L.end, 16, ...step),
    ],
  };
}

/**
 * Column reductions (x, z, blocks, blockRows, cBytes, acc, out, m) over blocks · blockRows rows of cBytes (a
 * multiple of 16), z of x's shape, m one row:
 *   columnSum:    out[c] += Σ_rows x[row, c]                               (ignores z and m)
 *   columnDot:    out[c] += Σ_rows x[row, c] · z[row, c]                   (ignores m)
 *   columnCentre: z[row, c] = x[row, c] − m[c], out[c] += Σ_rows z[row, c]², out[C + c] += Σ_rows z[row, c]
 *                 (writes z; acc and out are two rows)
 *   columnMoments: the sums of columnCentre without writing z
 * Each block is summed into `acc` (a scratch row) and then added to `out`, so a long column is summed in two
 * levels and its rounding error grows with √rows less than a running sum's. `out` must start zeroed.
 */
function columnReduction(name: string, term: 'sum' | 'dot' | 'centre' | 'moments'): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature(
    { x: I, z: I, blocks: I, blockRows: I, cBytes: I, acc: I, out: I, m: I },
    { b: I, r: I, k: I, d: V },
  );
  /** `vector` for every channel vector k of a row (k in bytes, a local). */
  const overRow = (...vector: Code[]): Code => [
    ...[...op.i32(0), ...op.set(L.k)],
    ...op.loop(...vector, bump(L.k, 16), [...op.get(L.k), ...op.get(L.cBytes), ...op.ltU, ...op.brIf(0)]),
  ];
  const at = (base: number): Code => [...op.get(base), ...op.get(L.k), ...op.add];
  /** The second row (centre's sums) of a two-row `acc` or `out`. */
  const second = (base: number): Code => [...at(base), ...op.get(L.cBytes), ...op.add];
  const addAt = (dst: Code, src: Code): Code => [
    ...dst,
    ...[...dst, ...op.v128Load(), ...src, ...op.f32x4Add, ...op.v128Store()],
  ];
  const addInto = (dst: number, src: Code): Code => addAt(at(dst), src);
  const load = (base: number): Code => [...at(base), ...op.v128Load()];
  // d = x − m into local d (left on the stack too), and d² for the sum of squares.
  const centred = [...load(L.x), ...load(L.m), ...op.f32x4Sub, ...op.tee(L.d)];
  const square = [...op.get(L.d), ...op.get(L.d), ...op.f32x4Mul];
  const terms: Record<typeof term, Code> = {
    sum: load(L.x),
    dot: [...load(L.x), ...load(L.z), ...op.f32x4Mul],
    centre: [...at(L.z), ...centred, ...op.v128Store(), ...square],
    // d is on the stack already: one more copy of it makes d².
    moments: [...centred, ...op.get(L.d), ...op.f32x4Mul],
  };
  const twoRows = term === 'centre' || term === 'moments';
  const zero = (row: Code): Code => [...row, ...op.i8x16Const(0), ...op.v128Store()];
  const block: Code[] = [
    overRow(zero(at(L.acc)), ...(twoRows ? [zero(second(L.acc))] : [])),
    [...op.i32(0), ...op.set(L.r)],
    op.loop(
      overRow(addInto(L.acc, terms[term]), ...(twoRows ? [addAt(second(L.acc), op.get(L.d))] : [])),
      bump(L.x, op.get(L.cBytes)),
      bump(L.z, op.get(L.cBytes)),
      bump(L.r, 1),
      [...op.get(L.r), ...op.get(L.blockRows), ...op.ltU, ...op.brIf(0)],
    ),
    overRow(
      addInto(L.out, [...at(L.acc), ...op.v128Load()]),
      ...(twoRows ? [addAt(second(L.out), [...second(L.acc), ...op.v128Load()])] : []),
    ),
  ];
  return { name, params, locals, body: [countUp(L.b, L.blocks, ...block)] };
}

export const columnSumFunction = () => columnReduction('columnSum', 'sum');
export const columnDotFunction = () => columnReduction('columnDot', 'dot');
export const columnCentreFunction = () => columnReduction('columnCentre', 'centre');
export const columnMomentsFunction = () => columnReduction('columnMoments', 'moments');

/**
 * channelAffine(x, a, shift, z, b, out, rows, cBytes, lo, hi): out[row, c] = min(hi, max(lo, x[row, c]·a[c] +
 * shift[c])) over `rows` rows of cBytes (a multiple of 16); channelAffine2 (same parameters) adds z[row, c]·b[c]
 * before the shift, z of x's shape (channelAffine ignores z and b). Per-channel scale-and-shift passes (batch
 * norm's output, with a residual and an activation, and its input gradient) in one pass each, multiplying and
 * adding in that order, each rounded; ±∞ bounds leave every value as it is (NaN too).
 */
function affineFunction(name: string, second: boolean): FunctionSpec {
  const {
    params,
    locals,
    at: L,
  } = signature(
    { x: I, a: I, shift: I, z: I, b: I, out: I, rows: I, cBytes: I, lo: F, hi: F },
    { r: I, k: I, low: V, high: V },
  );
  const at = (base: number): Code => [...op.get(base), ...op.get(L.k), ...op.add, ...op.v128Load()];
  const value: Code = [
    ...[...at(L.x), ...at(L.a), ...op.f32x4Mul],
    ...(second ? [...at(L.z), ...at(L.b), ...op.f32x4Mul, ...op.f32x4Add] : []),
    ...[...at(L.shift), ...op.f32x4Add],
    ...[...op.get(L.low), ...op.f32x4Max, ...op.get(L.high), ...op.f32x4Min],
  ];
  const row: Code = [
    ...[...op.i32(0), ...op.set(L.k)],
    ...op.loop([...op.get(L.out), ...op.get(L.k), ...op.add, ...value, ...op.v128Store()], bump(L.k, 16), [
      ...op.get(L.k),
      ...op.get(L.cBytes),
      ...op.ltU,
      ...op.brIf(0),
    ]),
  ];
  const next = [L.x, L.z, L.out].map((p) => bump(p, op.get(L.cBytes)));
  const bounds = [
    ...[...op.get(L.lo), ...op.f32x4Splat, ...op.set(L.low)],
    ...[...op.get(L.hi), ...op.f32x4Splat, ...op.set(L.high)],
  ];
  return { name, params, locals, body: [bounds, countUp(L.r, L.rows, row, ...next)] };
}

export const channelAffineFunction = () => affineFunction('channelAffine', false);
export const channelAffine2Function = () => affineFunction('channelAffine2', true);
