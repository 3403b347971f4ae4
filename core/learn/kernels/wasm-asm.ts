/**
 * A minimal WebAssembly binary encoder: enough to write small SIMD loops by hand that run on the wasm backend's own
 * memory. A module built here imports one memory (`env.memory`) and exports functions taking i32 arguments (heap
 * byte offsets and sizes) and f32 ones (constants), returning nothing. Instructions are byte arrays; structured
 * control (`block`, `loop`) nests them. Opcodes follow the WebAssembly core and fixed-width SIMD specifications.
 */

export type Code = number[];

/** Unsigned LEB128. */
function uleb(value: number): Code {
  const out: Code = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number): Code {
  const out: Code = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): Code => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vector = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
/** Memory argument: alignment hint 4 bytes (every tensor element is 4-byte aligned), then the static offset. */
const memarg = (offset: number): Code => [2, ...uleb(offset)];

/** Instructions. Locals are numbered: the parameters first, then the declared locals. */
export const op = {
  block: (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number): Code => [0x21, ...uleb(local)],
  tee: (local: number): Code => [0x22, ...uleb(local)],
  i32: (value: number): Code => [0x41, ...sleb(value)],
  /** i32 comparisons (unsigned) and arithmetic. */
  ltU: [0x49],
  geU: [0x4f],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shrU: [0x76],
  i32Load: (offset = 0): Code => [0x28, ...memarg(offset)],
  f32Load: (offset = 0): Code => [0x2a, ...memarg(offset)],
  f32Store: (offset = 0): Code => [0x38, ...memarg(offset)],
  f32Add: [0x92],
  v128Load: (offset = 0): Code => [...simd(0x00), ...memarg(offset)],
  /** One float, splat to all four lanes. */
  v128Load32Splat: (offset = 0): Code => [...simd(0x09), ...memarg(offset)],
  v128Store: (offset = 0): Code => [...simd(0x0b), ...memarg(offset)],
  /** A v128 constant of 16 equal bytes. */
  i8x16Const: (byte: number): Code => [...simd(0x0c), ...Array.from({ length: 16 }, () => byte & 0xff)],
  /** A v128 constant of four equal floats. */
  f32x4Const: (value: number): Code => [
    ...simd(0x0c),
    ...new Uint8Array(new Float32Array(4).fill(value).buffer),
  ],
  v128And: simd(0x4e),
  /** a & ~b */
  v128AndNot: simd(0x4f),
  v128Or: simd(0x50),
  /** Comparisons: all-ones lanes where true (false for NaN, except ne). */
  f32x4Eq: simd(0x41),
  f32x4Ne: simd(0x42),
  f32x4Le: simd(0x45),
  f32x4Gt: simd(0x44),
  /** Saturating narrowings; on 0 / −1 masks they keep 0 / −1. */
  i16x8NarrowI32x4S: simd(0x85),
  i8x16NarrowI16x8S: simd(0x65),
  f32x4Splat: simd(0x13),
  /** Lanes of two f32x4 vectors: lane k of the result is lane `lanes[k]` of a (0–3) or of b (4–7). */
  f32x4Shuffle: (lanes: [number, number, number, number]): Code => [
    ...simd(0x0d),
    ...lanes.flatMap((lane) => [0, 1, 2, 3].map((byte) => 4 * lane + byte)),
  ],
  f32x4ExtractLane: (lane: number): Code => [...simd(0x1f), lane],
  f32x4Neg: simd(0xe1),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  /** IEEE 754-2019 minimum per lane, as Math.min: NaN if either is NaN, −0 below +0. */
  f32x4Min: simd(0xe8),
  /** IEEE 754-2019 maximum per lane: NaN if either is NaN, +0 above −0. */
  f32x4Max: simd(0xe9),
  /**
   * Relaxed SIMD's a·b + c per lane: one fused multiply-add where the hardware has one, else a multiply and an
   * add (the runtime picks). Runtimes without relaxed SIMD reject a module that uses it.
   */
  f32x4RelaxedMadd: simd(0x105),
};

/**
 * a·b + c per lane, each operand's code pushing one v128: relaxed SIMD's fused multiply-add when `fused` (twice
 * the arithmetic per instruction on FMA hardware, and one rounding instead of two), else a multiply then an add.
 */
export const multiplyAdd = (fused: boolean, a: Code, b: Code, c: Code): Code =>
  fused ? [...a, ...b, ...c, ...op.f32x4RelaxedMadd] : [...c, ...a, ...b, ...op.f32x4Mul, ...op.f32x4Add];

export type ValType = 'i32' | 'f32' | 'v128';
const TYPE_CODES: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** A function's parameters have names: `paramNames[k]` is parameter k, so callers bind arguments by name. */
export interface FunctionSpec<P extends string = string> {
  name: string;
  params: ValType[];
  paramNames: readonly P[];
  /** Further locals, numbered after the parameters. */
  locals: ValType[];
  body: Code[];
}

/**
 * A function's parameters and locals by name, in order: `at` maps each name to its local index. Object keys keep
 * their insertion order, which is the numbering.
 */
export function signature<P extends string, L extends string>(
  params: Record<P, ValType>,
  locals: Record<L, ValType>,
): { params: ValType[]; paramNames: P[]; locals: ValType[]; at: Record<P | L, number> } {
  const names = [...Object.keys(params), ...Object.keys(locals)];
  if (new Set(names).size !== names.length)
    throw new Error(`wasm-asm: a name is both a parameter and a local`);
  return {
    params: Object.values(params),
    paramNames: Object.keys(params) as P[],
    locals: Object.values(locals),
    at: Object.fromEntries(names.map((name, i) => [name, i])) as Record<P | L, number>,
  };
}

/** `local += step` (i32). */
export const bump = (local: number, step: number | Code): Code => [
  ...op.get(local),
  ...(typeof step === 'number' ? op.i32(step) : step),
  ...op.add,
  ...op.set(local),
];

/** A do-while loop: `step` (stack-neutral) runs until local `out` reaches local `end`, `out` advancing by outBytes. */
export const untilEnd = (out: number, end: number, outBytes: number, ...step: Code[]): Code =>
  op.loop(...step, bump(out, outBytes), [...op.get(out), ...op.get(end), ...op.ltU, ...op.brIf(0)]);

/** A do-while loop counting `counter` up from 0 while it is below local `limit`: `body` runs at least once. */
export const countUp = (counter: number, limit: number, ...body: Code[]): Code => [
  ...op.i32(0),
  ...op.set(counter),
  ...op.loop(...body, bump(counter, 1), op.get(counter), op.get(limit), op.ltU, op.brIf(0)),
];

/** Local declarations: runs of one type as (count, type). */
function localDecls(types: ValType[]): Code {
  const runs: Code[] = [];
  for (let i = 0; i < types.length;) {
    let j = i;
    while (j < types.length && types[j] === types[i]) j++;
    runs.push([...uleb(j - i), TYPE_CODES[types[i]!]]);
    i = j;
  }
  return vector(runs);
}

/** A module importing `env.memory` and exporting `functions`, each returning nothing. */
export function encodeModule(functions: readonly FunctionSpec[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [TYPE_CODES[t]])), 0]);
  const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...uleb(1)];
  const exports = functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const body = [...localDecls(f.locals), ...f.body.flat(), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
