/**
 * Hand-written SIMD loops that run directly on the wasm backend's heap, for work XNNPACK has no fast formulation
 * of. The module (encoded by `wasm-asm.ts` from `simd-conv.ts` and `simd-elementwise.ts`) imports the backend's own
 * WebAssembly.Memory, so its functions read and write tensors in place through their heap offsets: no copies, no
 * engine round trip.
 *
 * Available only where the backend's memory is reachable and not shared (the single-threaded build this project
 * runs; the threaded build's shared memory would need a shared import) and the runtime validates SIMD; callers
 * fall back to XNNPACK formulations or the shipped kernels otherwise.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { MultiplyAdd } from '../../shared/backend-names.ts';
import {
  depthwiseFilterGradFunction,
  depthwiseInputGradFunction,
  filterGradGemmFunction,
  forwardGemmFunction,
  inputGradGemmFunction,
  maxPoolGradFunction,
} from './simd-conv.ts';
import {
  adamFunction,
  channelAffine2Function,
  channelAffineFunction,
  columnCentreFunction,
  columnMomentsFunction,
  columnDotFunction,
  columnSumFunction,
  greaterFunction,
  greaterProductFunction,
  lessEqualProductFunction,
  openIntervalProductFunction,
  relu6Function,
  minimumFunction,
  stepProductFunction,
} from './simd-elementwise.ts';
import { encodeModule, multiplyAdd, op } from './wasm-asm.ts';
import { winogradFunctions, type WinogradTile } from './winograd-transforms.ts';

/** A sliding window over NHWC pixels: input and output sizes, window, strides and leading pads. */
interface WindowGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  ho: number;
  wo: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/**
 * Heap byte offsets and sizes. `pixels` is x (filter gradient, read) or dx (input gradient, accumulated), `taps`
 * the filter gradient (accumulated) or the filter (read).
 */
export interface DepthwiseArgs extends WindowGeometry {
  pixels: number;
  dy: number;
  taps: number;
  dh: number;
  dw: number;
}

/** Heap byte offsets of x, the pooled y, dy, the zeroed dx and a scratch row of c floats; the pooling geometry. */
export interface MaxPoolGradArgs extends WindowGeometry {
  x: number;
  y: number;
  dy: number;
  dx: number;
  scratch: number;
}

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

/**
 * The Winograd filter transform (`winograd-transforms.ts`) of a 3×3 filter, heap byte offsets of the filter and of
 * the transformed one ([components, cout / 8, cin, 8]); cin, cout the convolution's (cin a multiple of 4, cout of
 * 8). With `swapped` the filter is stored [3, 3, cout, cin] and is taken rotated by 180° (an input gradient's).
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

/** Elementwise operands: heap byte offsets, each operand either `size` floats or a 4-float broadcast. */
export interface BinaryArgs {
  a: number;
  aBroadcast: boolean;
  b: number;
  bBroadcast: boolean;
  out: number;
  /** Output elements to write: a multiple of the function's elements per step. */
  size: number;
}

/**
 * The masks of `maskedProduct`: dy · (a > b), dy · (a ≤ b), dy · step(a) (b then a 4-float broadcast of 0),
 * dy · (0 < a < b) (NaN where a is NaN).
 */
export type ProductMask = 'greater' | 'lessEqual' | 'step' | 'openInterval';

/** Heap byte offsets of the current and next parameter and moments; float32 constants. */
export interface AdamArgs {
  p: number;
  g: number;
  m: number;
  v: number;
  pOut: number;
  mOut: number;
  vOut: number;
  /** A multiple of 4. */
  size: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  correction2: number;
  stepSize: number;
}

/** Heap byte offsets of a [rows, c] float32 matrix, a scratch row and the zeroed output row; c a multiple of 4. */
export interface ColumnSumArgs {
  x: number;
  rows: number;
  c: number;
  scratch: number;
  out: number;
}

/** Heap byte offsets of [rows, c] x and out and [c] a and shift; c a multiple of 4. */
export interface ChannelAffineArgs {
  x: number;
  a: number;
  shift: number;
  out: number;
  rows: number;
  c: number;
  /** A second term z·b: z of x's shape, b [c]. */
  second?: { z: number; b: number };
  /** Bounds the result is clamped to (an activation: [0, ∞) for relu, [0, 6] for relu6); none by default. */
  clamp?: readonly [number, number];
}

export interface SimdKernels {
  depthwiseFilterGrad(args: DepthwiseArgs): void;
  depthwiseInputGrad(args: DepthwiseArgs): void;
  /** c a multiple of 4. */
  maxPoolGrad(args: MaxPoolGradArgs): void;
  /** filter += x-rowsᵀ · dy-rows; cin a multiple of 4, cout of 8. */
  filterGradGemm(args: TapGemmArgs): void;
  /** dx-rows += dy-rows · filterᵀ; cin a multiple of 2, cout of 4. */
  inputGradGemm(args: TapGemmArgs): void;
  /** y-rows (at the dy offsets) += x-rows · filter, or = with `overwrite`; cout a multiple of 8. */
  forwardGemm(args: TapGemmArgs, overwrite: boolean): void;
  winogradFilter(m: WinogradTile, args: WinogradFilterArgs): void;
  /** V = Bᵀ d B per tile and channel. */
  winogradInput(m: WinogradTile, args: WinogradDataArgs): void;
  /** y-tile = Aᵀ M A per tile and channel. */
  winogradOutput(m: WinogradTile, args: WinogradDataArgs): void;
  /** Z = A dY Aᵀ per tile and channel. */
  winogradOutputGrad(m: WinogradTile, args: WinogradDataArgs): void;
  /** dg = Gᵀ dU G per channel pair: heap byte offsets of dU [components, cin, cout] and dg [3, 3, cin, cout]. */
  winogradFilterGrad(m: WinogradTile, args: { du: number; dg: number; cin: number; cout: number }): void;
  /** 4 elements per step. */
  minimum(args: BinaryArgs): void;
  /** 16 elements per step. */
  greater(args: BinaryArgs): void;
  /** out = dy · mask(a, b), 4 elements per step; dy and out of `size` floats. */
  maskedProduct(mask: ProductMask, dy: number, args: BinaryArgs): void;
  /** out = min(6, max(x, 0)) over `size` floats (a multiple of 4) from heap byte offsets x and out. */
  relu6(args: { x: number; out: number; size: number }): void;
  adam(args: AdamArgs): void;
  /** out[c] += Σ_rows x[row, c] */
  columnSum(args: ColumnSumArgs): void;
  /** out[c] += Σ_rows x[row, c] · z[row, c] */
  columnDot(args: ColumnSumArgs & { z: number }): void;
  /** centred[row, c] = x[row, c] − mean[c]; out[c] += Σ_rows centred[row, c]², out[C + c] += Σ_rows centred[row, c] (scratch and out 2C) */
  columnCentre(args: ColumnSumArgs & { mean: number; centred: number }): void;
  /** columnCentre's two rows of sums, without writing the centred values */
  columnMoments(args: ColumnSumArgs & { mean: number }): void;
  /** out[row, c] = x[row, c]·a[c] (+ z[row, c]·b[c]) + shift[c], clamped */
  channelAffine(args: ChannelAffineArgs): void;
}

interface Memory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
/** The part of the WebAssembly JS API used here (the project's TypeScript libs declare none of it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => Memory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Rows summed per block by `columnSum` before adding into the total. */
const COLUMN_BLOCK = 128;

export type { MultiplyAdd };

/** Every loop of the module, the convolution ones in the `fused` variant. */
const functions = (fused: boolean) => [
  depthwiseFilterGradFunction(fused),
  depthwiseInputGradFunction(fused),
  maxPoolGradFunction(),
  filterGradGemmFunction(fused),
  inputGradGemmFunction(fused),
  forwardGemmFunction(fused, false),
  forwardGemmFunction(fused, true),
  minimumFunction(),
  greaterFunction(),
  greaterProductFunction(),
  lessEqualProductFunction(),
  stepProductFunction(),
  openIntervalProductFunction(),
  relu6Function(),
  adamFunction(),
  columnSumFunction(),
  columnDotFunction(),
  columnCentreFunction(),
  columnMomentsFunction(),
  channelAffineFunction(),
  channelAffine2Function(),
  ...winogradFunctions(),
];

/** Whether this runtime validates relaxed SIMD now (asked afresh each time, unlike the variants' modules). */
export function relaxedSimdValidates(): boolean {
  const zero = op.i8x16Const(0);
  const body = [...multiplyAdd(true, zero, zero, zero), ...op.set(0)];
  return wasmApi.validate(encodeModule([{ name: 'probe', params: [], locals: ['v128'], body: [body] }]));
}

/** Each variant's module, or null when this runtime rejects it; encoded and validated once. */
const modules = new Map<MultiplyAdd, Uint8Array | null>();

function moduleBytes(multiplyAdd: MultiplyAdd): Uint8Array | null {
  if (!modules.has(multiplyAdd)) {
    const bytes = encodeModule(functions(multiplyAdd === 'fused'));
    modules.set(multiplyAdd, wasmApi.validate(bytes) ? bytes : null);
  }
  return modules.get(multiplyAdd)!;
}

/** The fused variant where this runtime runs relaxed SIMD, else the separate one; null without SIMD. */
export function preferredMultiplyAdd(): MultiplyAdd | null {
  if (moduleBytes('fused')) return 'fused';
  return moduleBytes('separate') ? 'separate' : null;
}

/**
 * The kernels of the `multiplyAdd` variant bound to `memory`, or null where they cannot run (shared memory, or a
 * runtime that rejects the variant). Tests bind both variants; the engine takes `simdKernels`.
 */
export function bindSimdKernels(memory: Memory, multiplyAdd: MultiplyAdd): SimdKernels | null {
  // Browsers without cross-origin isolation have no SharedArrayBuffer at all (and then no shared memory).
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = moduleBytes(multiplyAdd);
  if (shared || !bytes) return null;
  const { exports } = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
  const fn = (name: string) => exports[name] as (...args: number[]) => void;
  // The loops are do-while: an empty range (any zero size) must not enter them.
  const tapGemm = (name: string) => {
    const f = fn(name);
    return (a: TapGemmArgs) => {
      if (a.segsEnd > a.segs && a.cin > 0 && a.cout > 0)
        f(a.filter, a.cin, a.cout * 4, a.segs, a.segsEnd, a.xStep, a.dyStep);
    };
  };
  /** The SIMD arguments of two operands and an output of `size` elements of `outBytes`. */
  const operands = (a: BinaryArgs, outBytes: number) => {
    const [aStep, bStep] = [a.aBroadcast ? 0 : 16, a.bBroadcast ? 0 : 16];
    return [a.a, aStep, a.b, bStep, a.out, a.out + a.size * outBytes];
  };
  const binary = (name: string, outBytes: number) => {
    const f = fn(name);
    return (a: BinaryArgs) => {
      if (a.size > 0) f(...operands(a, outBytes));
    };
  };
  /** The walk's geometry parameters, or null when a size is zero. */
  const geometry = (a: Omit<DepthwiseArgs, 'pixels' | 'dy' | 'taps'>) => {
    const sizes = [a.n, a.h, a.w, a.c * 4, a.ho, a.wo, a.fh, a.fw];
    return sizes.every((d) => d > 0) ? [...sizes, a.sh, a.sw, a.dh, a.dw, a.top, a.left] : null;
  };
  const depthwise = (name: string) => {
    const f = fn(name);
    return (a: DepthwiseArgs) => {
      const g = geometry(a);
      if (g) f(a.pixels, a.dy, a.taps, ...g);
    };
  };
  const forwardGemms = [tapGemm('forwardGemm'), tapGemm('forwardGemmOverwrite')] as const;
  const winogradData = (which: 'Input' | 'Output' | 'OutputGrad') => {
    const perTile = { 2: fn(`winograd${which}2`), 4: fn(`winograd${which}4`) };
    return (m: WinogradTile, a: WinogradDataArgs) => {
      if (a.count > 0 && a.channels > 0) perTile[m](a.table, a.count, a.comps, a.channels * 4, a.compBytes);
    };
  };
  const winogradFilters = {
    2: [fn('winogradFilter2'), fn('winogradFilter2Swapped')],
    4: [fn('winogradFilter4'), fn('winogradFilter4Swapped')],
  } as const;
  const winogradFilterGrads = { 2: fn('winogradFilterGrad2'), 4: fn('winogradFilterGrad4') };
  const maxPoolGrad = fn('maxPoolGrad');
  const relu6 = fn('relu6');
  const products = {
    greater: fn('greaterProduct'),
    lessEqual: fn('lessEqualProduct'),
    step: fn('stepProduct'),
    openInterval: fn('openIntervalProduct'),
  };
  const [adam, columnSum, columnDot] = [fn('adam'), fn('columnSum'), fn('columnDot')];
  const [columnCentre, columnMoments] = [fn('columnCentre'), fn('columnMoments')];
  const [affine, affine2] = [fn('channelAffine'), fn('channelAffine2')];
  /** Blocks of COLUMN_BLOCK rows, then one block of the rest; z advances with x, m stays. */
  const columns = (f: (...args: number[]) => void, a: ColumnSumArgs, z: number, m = 0) => {
    if (a.c === 0) return;
    const [blocks, rest] = [Math.floor(a.rows / COLUMN_BLOCK), a.rows % COLUMN_BLOCK];
    if (blocks > 0) f(a.x, z, blocks, COLUMN_BLOCK, a.c * 4, a.scratch, a.out, m);
    const skip = blocks * COLUMN_BLOCK * a.c * 4;
    if (rest > 0) f(a.x + skip, z + skip, 1, rest, a.c * 4, a.scratch, a.out, m);
  };
  return {
    depthwiseFilterGrad: depthwise('depthwiseFilterGrad'),
    depthwiseInputGrad: depthwise('depthwiseInputGrad'),
    maxPoolGrad: (a) => {
      const g = geometry({ ...a, dh: 1, dw: 1 });
      if (g) maxPoolGrad(a.x, a.y, a.dy, a.dx, a.scratch, ...g);
    },
    filterGradGemm: tapGemm('filterGradGemm'),
    inputGradGemm: tapGemm('inputGradGemm'),
    forwardGemm: (a, overwrite) => forwardGemms[overwrite ? 1 : 0](a),
    winogradFilter: (m, a) => {
      if (a.cin === 0 || a.cout === 0) return;
      const rowStep = (a.swapped ? a.cin : a.cout) * 4;
      winogradFilters[m][a.swapped ? 1 : 0]!(a.g, a.u, a.cin, a.cout, rowStep, a.cin * a.cout * 4);
    },
    winogradInput: winogradData('Input'),
    winogradOutput: winogradData('Output'),
    winogradOutputGrad: winogradData('OutputGrad'),
    winogradFilterGrad: (m, a) => {
      if (a.cin > 0 && a.cout > 0) winogradFilterGrads[m](a.du, a.dg, a.cin * a.cout * 4);
    },
    minimum: binary('minimum', 4),
    greater: binary('greater', 1),
    relu6: (a) => {
      if (a.size > 0) relu6(a.x, a.out, a.out + a.size * 4);
    },
    maskedProduct: (mask, dy, a) => {
      if (a.size > 0) products[mask](dy, ...operands(a, 4));
    },
    // The constants are rounded to float32 on the call, from the same doubles the op-by-op update rounds.
    adam: (a) => {
      if (a.size === 0) return;
      const pointers = [a.p, a.g, a.m, a.v, a.pOut, a.mOut, a.vOut, a.pOut + a.size * 4];
      const betas = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2];
      adam(...pointers, ...betas, a.correction2, a.epsilon, a.stepSize);
    },
    columnSum: (a) => columns(columnSum, a, 0),
    columnDot: (a) => columns(columnDot, a, a.z),
    columnCentre: (a) => columns(columnCentre, a, a.centred, a.mean),
    columnMoments: (a) => columns(columnMoments, a, 0, a.mean),
    channelAffine: (a) => {
      if (a.rows === 0 || a.c === 0) return;
      const second = a.second ?? { z: 0, b: 0 };
      const [lo, hi] = a.clamp ?? [-Infinity, Infinity];
      (a.second ? affine2 : affine)(a.x, a.a, a.shift, second.z, second.b, a.out, a.rows, a.c * 4, lo, hi);
    },
  };
}

const instances = new WeakMap<Memory, SimdKernels | null>();

/** The SIMD kernels (fused multiply-add where the runtime has it) bound to `backend`'s memory, or null. */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  if (!instances.has(memory)) {
    const multiplyAdd = preferredMultiplyAdd();
    instances.set(memory, multiplyAdd && bindSimdKernels(memory, multiplyAdd));
  }
  return instances.get(memory) ?? null;
}
