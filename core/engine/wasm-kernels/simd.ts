/**
 * Hand-written SIMD loops that run directly on the wasm backend's heap, for the gradients XNNPACK has no fast
 * formulation of. The module (encoded by `wasm-asm.ts`) imports the backend's own WebAssembly.Memory, so its
 * functions read and write tensors in place through their heap offsets: no copies, no engine round trip.
 *
 * Available only where the backend's memory is reachable and not shared (the single-threaded build this project
 * runs; the threaded build's shared memory would need a shared import) and the runtime validates SIMD; callers
 * fall back to XNNPACK formulations otherwise.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { encodeModule, op, type Code, type FunctionSpec } from './wasm-asm.ts';

/** Names → local indices: parameters first, then extra i32 locals, in order. */
function localIndex<P extends string, L extends string>(params: readonly P[], locals: readonly L[]) {
  return Object.fromEntries([...params, ...locals].map((name, i) => [name, i])) as Record<P | L, number>;
}

/** `local += step` */
const bump = (local: number, step: number | Code): Code => [
  ...op.get(local),
  ...(typeof step === 'number' ? op.i32(step) : step),
  ...op.add,
  ...op.set(local),
];

/** A do-while loop on `counter` from 0 while counter < get(limit); `body` runs at least once. */
const countUp = (counter: number, limit: number, ...body: Code[]): Code => [
  ...op.i32(0),
  ...op.set(counter),
  ...op.loop(...body, bump(counter, 1), op.get(counter), op.get(limit), op.ltU, op.brIf(0)),
];

const DW_FILTER_PARAMS = [
  'x',
  'dy',
  'out',
  'n',
  'h',
  'w',
  'cBytes',
  'ho',
  'wo',
  'fh',
  'fw',
  'sh',
  'sw',
  'dh',
  'dw',
  'top',
  'left',
] as const;

/**
 * out[a, b, c] += Σ_{n,i,j} x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] · dy[n, i, j, c] over the taps that fall
 * inside x; channels in vectors of 4 (cBytes a multiple of 16). `out` must start zeroed.
 */
function depthwiseFilterGradFunction(): FunctionSpec {
  const L = localIndex(DW_FILTER_PARAMS, [
    'ni',
    'i',
    'j',
    'a',
    'b',
    'y',
    'col',
    'dyRow',
    'po',
    'px',
    'pd',
    'end',
  ]);
  /** (outer · size + inner) · scale, from locals. */
  const index = (outer: number, size: number, inner: number): Code => [
    ...op.get(outer),
    ...op.get(size),
    ...op.mul,
    ...op.get(inner),
    ...op.add,
  ];
  // Accumulate one tap over the channels: out[a, b, :] += x[ni, y, col, :] · dy[ni, i, j, :].
  const channels: Code = [
    ...[
      ...index(L.a, L.fw, L.b),
      ...op.get(L.cBytes),
      ...op.mul,
      ...op.get(L.out),
      ...op.add,
      ...op.tee(L.po),
    ],
    ...[...op.get(L.cBytes), ...op.add, ...op.set(L.end)],
    ...[...index(L.ni, L.h, L.y), ...op.get(L.w), ...op.mul, ...op.get(L.col), ...op.add],
    ...[...op.get(L.cBytes), ...op.mul, ...op.get(L.x), ...op.add, ...op.set(L.px)],
    ...[...op.get(L.dyRow), ...op.set(L.pd)],
    ...op.loop(
      [...op.get(L.po), ...op.get(L.po), ...op.v128Load()],
      [...op.get(L.px), ...op.v128Load(), ...op.get(L.pd), ...op.v128Load(), ...op.f32x4Mul],
      [...op.f32x4Add, ...op.v128Store()],
      bump(L.po, 16),
      bump(L.px, 16),
      bump(L.pd, 16),
      [...op.get(L.po), ...op.get(L.end), ...op.ltU, ...op.brIf(0)],
    ),
  ];
  // Input coordinate `at` = outer · stride + tap · dilation − pad; skip the tap when outside [0, size).
  const inside = (
    at: number,
    outer: number,
    stride: number,
    tap: number,
    dil: number,
    pad: number,
    size: number,
  ) => [
    ...[...op.get(outer), ...op.get(stride), ...op.mul, ...op.get(tap), ...op.get(dil), ...op.mul, ...op.add],
    ...[...op.get(pad), ...op.sub, ...op.tee(at), ...op.get(size), ...op.geU, ...op.brIf(0)],
  ];
  const columns = countUp(L.b, L.fw, op.block(inside(L.col, L.j, L.sw, L.b, L.dw, L.left, L.w), channels));
  const rows = countUp(L.a, L.fh, op.block(inside(L.y, L.i, L.sh, L.a, L.dh, L.top, L.h), columns));
  const dyRow: Code = [
    ...index(L.ni, L.ho, L.i),
    ...[...op.get(L.wo), ...op.mul, ...op.get(L.j), ...op.add, ...op.get(L.cBytes), ...op.mul],
    ...[...op.get(L.dy), ...op.add, ...op.set(L.dyRow)],
  ];
  return {
    name: 'depthwiseFilterGrad',
    params: DW_FILTER_PARAMS.length,
    i32Locals: 12,
    v128Locals: 0,
    body: [countUp(L.ni, L.n, countUp(L.i, L.ho, countUp(L.j, L.wo, dyRow, rows)))],
  };
}

/**
 * Elementwise binary functions (a, aStep, b, bStep, out, end): operand pointers advance by their step per vector
 * of 4 floats (16 bytes, or 0 to repeat a 4-float broadcast of a scalar); `out` advances until it reaches `end`.
 */
const BINARY_PARAMS = ['a', 'aStep', 'b', 'bStep', 'out', 'end'] as const;
const B = localIndex(BINARY_PARAMS, []);
/** The next vector of each operand, pushed on the stack (a first), both pointers advanced. */
const nextPair: Code = [
  ...[...op.get(B.a), ...op.v128Load(), ...bump(B.a, op.get(B.aStep))],
  ...[...op.get(B.b), ...op.v128Load(), ...bump(B.b, op.get(B.bStep))],
];
/** out[k] = combine(a[k], b[k]): `perStep` writes one output vector from the operands' next vectors. */
function binaryFunction(name: string, perStep: Code, outBytes: number): FunctionSpec {
  const body = op.loop([...op.get(B.out), ...perStep, ...op.v128Store()], bump(B.out, outBytes), [
    ...op.get(B.out),
    ...op.get(B.end),
    ...op.ltU,
    ...op.brIf(0),
  ]);
  return { name, params: BINARY_PARAMS.length, i32Locals: 0, v128Locals: 0, body: [body] };
}
/** float32 out = Math.min(a, b), 4 per step. */
const minimumFunction = () => binaryFunction('minimum', [...nextPair, ...op.f32x4Min], 16);
/** bool (one byte 0/1) out = a > b, 16 per step: four comparisons narrowed from 32-bit masks to bytes. */
const greaterFunction = () =>
  binaryFunction(
    'greater',
    [
      ...[...nextPair, ...op.f32x4Gt, ...nextPair, ...op.f32x4Gt, ...op.i16x8NarrowI32x4S],
      ...[...nextPair, ...op.f32x4Gt, ...nextPair, ...op.f32x4Gt, ...op.i16x8NarrowI32x4S],
      ...[...op.i8x16NarrowI16x8S, ...op.i8x16Const(1), ...op.v128And],
    ],
    16,
  );

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

export interface DepthwiseFilterGradArgs {
  /** Heap byte offsets. */
  x: number;
  dy: number;
  out: number;
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
  dh: number;
  dw: number;
  top: number;
  left: number;
}

export interface SimdKernels {
  depthwiseFilterGrad(args: DepthwiseFilterGradArgs): void;
  /** 4 elements per step. */
  minimum(args: BinaryArgs): void;
  /** 16 elements per step. */
  greater(args: BinaryArgs): void;
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

let bytes: Uint8Array | null = null;
const instances = new WeakMap<Memory, SimdKernels | null>();

function instantiate(memory: Memory): SimdKernels | null {
  bytes ??= encodeModule([depthwiseFilterGradFunction(), minimumFunction(), greaterFunction()]);
  if (memory.buffer instanceof SharedArrayBuffer || !wasmApi.validate(bytes)) return null;
  const { exports } = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
  const fn = (name: string) => exports[name] as (...args: number[]) => void;
  const [dwFilter, minimum, greater] = [fn('depthwiseFilterGrad'), fn('minimum'), fn('greater')];
  const binary = (f: (...args: number[]) => void, outBytes: number) => (a: BinaryArgs) => {
    if (a.size > 0)
      f(a.a, a.aBroadcast ? 0 : 16, a.b, a.bBroadcast ? 0 : 16, a.out, a.out + a.size * outBytes);
  };
  return {
    depthwiseFilterGrad: (a) =>
      dwFilter(
        a.x,
        a.dy,
        a.out,
        a.n,
        a.h,
        a.w,
        a.c * 4,
        a.ho,
        a.wo,
        a.fh,
        a.fw,
        a.sh,
        a.sw,
        a.dh,
        a.dw,
        a.top,
        a.left,
      ),
    minimum: binary(minimum, 4),
    greater: binary(greater, 1),
  };
}

/** The SIMD kernels bound to `backend`'s memory, or null where they cannot run. */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  if (!instances.has(memory)) instances.set(memory, instantiate(memory));
  return instances.get(memory) ?? null;
}
