/**
 * Sum and Mean of a float32 tensor over all axes but the last (per-channel statistics of NHWC activations, and
 * the gradients of per-channel broadcasts) as one SIMD pass down the columns. The shipped kernels transpose the
 * whole tensor to put the reduced axes last and then reduce: 3–6× slower (batch norm's moments alone run two Means
 * per layer). Other reductions go to the shipped kernels.
 */
import { Mean, Sum, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { overShipped } from './shipped.ts';
import { simdUnit, type Call } from './kernel-unit.ts';
import { unitKernels } from './simd.ts';
import { bump, countUp, op, signature, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const V = 'v128' as const;

/** Heap byte offsets of a [rows, c] float32 matrix, a scratch row and the zeroed output row; c a multiple of 4. */
export interface ColumnSumArgs {
  x: number;
  rows: number;
  c: number;
  scratch: number;
  out: number;
}

/** Rows summed per block by the column reductions before adding into the total. */
const COLUMN_BLOCK = 128;

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

function reduceLeadingAxes(args: Parameters<KernelFunc>[0], mean: boolean): TensorInfo | null {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as ReduceAttrs;
  const backend = args.backend as BackendWasm;
  const rank = x.shape.length;
  const channels = x.shape[rank - 1]!;
  const rows = util.sizeFromShape(x.shape) / channels;
  const axes = util.parseAxisParam(axis, x.shape);
  const leading = axes.length === rank - 1 && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
  const simd = unitKernels(columnReductionUnit, backend);
  if (!simd || x.dtype !== 'float32' || rank < 2 || !leading || channels % 4 !== 0 || !(rows > 0))
    return null;
  const out = backend.makeOutput(
    keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels],
    'float32',
  );
  const scratch = backend.makeOutput([channels], 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  simd.columnSum({ x: offset(x), rows, c: channels, scratch: offset(scratch), out: offset(out) });
  backend.disposeData(scratch.dataId);
  if (mean) {
    const sums = backend.typedArrayFromHeap(out);
    for (let i = 0; i < channels; i++) sums[i] = sums[i]! / rows;
  }
  return out;
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
function columnReduction(name: string, term: 'sum' | 'dot' | 'centre' | 'moments') {
  const {
    params,
    paramNames,
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
  return { name, params, paramNames, locals, body: [countUp(L.b, L.blocks, ...block)] };
}

const columnSumFunction = () => columnReduction('columnSum', 'sum');
const columnDotFunction = () => columnReduction('columnDot', 'dot');
const columnCentreFunction = () => columnReduction('columnCentre', 'centre');
const columnMomentsFunction = () => columnReduction('columnMoments', 'moments');

type ColumnCall = Call<'x' | 'z' | 'blocks' | 'blockRows' | 'cBytes' | 'acc' | 'out' | 'm'>;

/** Blocks of COLUMN_BLOCK rows, then one block of the rest; z advances with x, m stays. */
function columns(f: ColumnCall, a: ColumnSumArgs, z: number, m = 0): void {
  if (a.c === 0) return;
  const [blocks, rest] = [Math.floor(a.rows / COLUMN_BLOCK), a.rows % COLUMN_BLOCK];
  const common = { cBytes: a.c * 4, acc: a.scratch, out: a.out, m };
  if (blocks > 0) f({ x: a.x, z, blocks, blockRows: COLUMN_BLOCK, ...common });
  const skip = blocks * COLUMN_BLOCK * a.c * 4;
  if (rest > 0) f({ x: a.x + skip, z: z + skip, blocks: 1, blockRows: rest, ...common });
}

/** The column reductions; Sum and Mean over the leading axes for wasm (the shipped kernels otherwise). */
export const columnReductionUnit = simdUnit({
  name: 'column-reductions',
  functions: () => ({
    columnSum: columnSumFunction(),
    columnDot: columnDotFunction(),
    columnCentre: columnCentreFunction(),
    columnMoments: columnMomentsFunction(),
  }),
  bind: (call) => ({
    /** out[c] += Σ_rows x[row, c] */
    columnSum: (a: ColumnSumArgs) => columns(call.columnSum, a, 0),
    /** out[c] += Σ_rows x[row, c] · z[row, c] */
    columnDot: (a: ColumnSumArgs & { z: number }) => columns(call.columnDot, a, a.z),
    /**
     * centred[row, c] = x[row, c] − mean[c]; out[c] += Σ_rows centred[row, c]², out[C + c] += Σ_rows
     * centred[row, c] (scratch and out 2C)
     */
    columnCentre: (a: ColumnSumArgs & { mean: number; centred: number }) =>
      columns(call.columnCentre, a, a.centred, a.mean),
    /** columnCentre's two rows of sums, without writing the centred values */
    columnMoments: (a: ColumnSumArgs & { mean: number }) => columns(call.columnMoments, a, 0, a.mean),
  }),
  kernelConfigs: [
    overShipped(Sum, (args) => reduceLeadingAxes(args, false)),
    overShipped(Mean, (args) => reduceLeadingAxes(args, true)),
  ],
});
