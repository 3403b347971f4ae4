/**
 * Batch norm's per-channel passes as one SIMD pass each on wasm, for NHWC tensors [..., C]:
 *   channelDot(x, z)                 = Σ over the leading axes of x·z, [C]   (a full-size multiply and a Sum)
 *   channelCentre(x, mean)           = x − mean, Σ (x − mean)² and Σ (x − mean), [C]  (a subtract, a multiply, two Sums)
 *   channelMoments(x, mean)          = the two sums of channelCentre, without writing x − mean
 *   channelAffine(x, a, shift)       = x·a + shift, a and shift [C]          (a broadcast multiply and add)
 *   channelAffine(x, a, shift, z, b) = x·a + z·b + shift                     (two multiplies and two adds)
 * each optionally clamped to [lo, hi] (an activation after batch norm: relu, relu6).
 * The kernels they replace each read and write the whole activation, and a training step runs about ten of them
 * per batch-norm layer. Elsewhere (other backends, channels not a multiple of 4) the same arithmetic runs as tfjs
 * ops. channelAffine is differentiable (batch norm's inference path may be trained through); the two-term form,
 * channelDot, channelCentre and channelMoments are for use inside custom gradients or without gradients (batch
 * norm's training path).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  getKernel,
  registerGradient,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { clampGradient } from './activation-grads.ts';
import { channelSum } from './batch-norm-grad.ts';
import { simdUnit, type AllKernelsOf } from './kernel-unit.ts';
import { columnReductionUnit } from './reductions.ts';
import { unitsKernels } from './simd.ts';
import { bump, countUp, op, signature, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const F = 'f32' as const;
const V = 'v128' as const;

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

/** Inputs {x, z} of one float32 shape [..., C]; output [C]. */
export const CHANNEL_DOT = 'PatchGDChannelDot';
/** Inputs {x, mean}: x float32 [..., C], mean [C]; outputs [x − mean, Σ (x − mean)² ([C]), Σ (x − mean) ([C])]. */
export const CHANNEL_CENTRE = 'PatchGDChannelCentre';
/** Inputs {x, mean} as CHANNEL_CENTRE; output [2, C]: Σ (x − mean)², then Σ (x − mean). */
export const CHANNEL_MOMENTS = 'PatchGDChannelMoments';
/** Inputs {x, a, shift}: x float32 [..., C], a and shift [C]; attrs {lo, hi} (optional bounds); output x's shape. */
export const CHANNEL_AFFINE = 'PatchGDChannelAffine';
/** Inputs {x, a, shift, z, b}: z of x's shape, b [C]; attrs as CHANNEL_AFFINE. No gradient. */
export const CHANNEL_AFFINE2 = 'PatchGDChannelAffine2';

const channelsOf = (t: TensorInfo) => t.shape[t.shape.length - 1] ?? 0;

/** The SIMD kernels, after checking that `full` are float32 [..., C] of one shape and `perChannel` float32 [C]. */
function checked(
  name: string,
  backend: BackendWasm,
  full: TensorInfo[],
  perChannel: TensorInfo[],
): AllKernelsOf<typeof CHANNEL_UNITS> {
  const c = channelsOf(full[0]!);
  const simd = unitsKernels(CHANNEL_UNITS, backend);
  const fits =
    full.every((t) => t.dtype === 'float32' && util.arraysEqual(t.shape, full[0]!.shape)) &&
    perChannel.every((t) => t.dtype === 'float32' && util.arraysEqual(t.shape, [c]));
  if (!simd || !fits || c % 4 !== 0)
    throw new Error(
      `${name}: float32 [..., C] operands of one shape and [C] factors expected, C a multiple of 4`,
    );
  return simd;
}

const channelDotKernel: KernelFunc = ({ inputs, backend: bk }) => {
  const backend = bk as BackendWasm;
  const { x, z } = inputs as { x: TensorInfo; z: TensorInfo };
  const simd = checked(CHANNEL_DOT, backend, [x, z], []);
  const c = channelsOf(x);
  const out = backend.makeOutput([c], 'float32');
  const scratch = backend.makeOutput([c], 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const rows = util.sizeFromShape(x.shape) / c;
  simd.columnDot({ x: offset(x), z: offset(z), rows, c, scratch: offset(scratch), out: offset(out) });
  backend.disposeData(scratch.dataId);
  return out;
};

/** Centre's and moments' kernel: the sums in two rows [2, C] (squares, then values), and x − mean if `centre`. */
function channelCentreKernel(centre: boolean): KernelFunc {
  return ({ inputs, backend: bk }) => {
    const backend = bk as BackendWasm;
    const { x, mean } = inputs as { x: TensorInfo; mean: TensorInfo };
    const simd = checked(centre ? CHANNEL_CENTRE : CHANNEL_MOMENTS, backend, [x], [mean]);
    const c = channelsOf(x);
    const sums = backend.makeOutput([2, c], 'float32');
    const scratch = backend.makeOutput([2, c], 'float32');
    backend.typedArrayFromHeap(sums).fill(0);
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    const args = {
      ...{ x: offset(x), mean: offset(mean) },
      ...{ rows: util.sizeFromShape(x.shape) / c, c, scratch: offset(scratch), out: offset(sums) },
    };
    const centred = centre ? backend.makeOutput(x.shape, 'float32') : null;
    if (centred) simd.columnCentre({ ...args, centred: offset(centred) });
    else simd.columnMoments(args);
    backend.disposeData(scratch.dataId);
    return centred ? [centred, sums] : sums;
  };
}

function channelAffineKernel(name: string, second: boolean): KernelFunc {
  return ({ inputs, backend: bk, attrs }) => {
    const backend = bk as BackendWasm;
    const { x, a, shift, z, b } = inputs as Record<'x' | 'a' | 'shift' | 'z' | 'b', TensorInfo>;
    const { lo = -Infinity, hi = Infinity } = attrs as { lo?: number; hi?: number };
    const simd = checked(name, backend, second ? [x, z] : [x], second ? [a, shift, b] : [a, shift]);
    const out = backend.makeOutput(x.shape, 'float32');
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    const c = channelsOf(x);
    simd.channelAffine({
      ...{ x: offset(x), a: offset(a), shift: offset(shift), out: offset(out) },
      ...{ rows: util.sizeFromShape(x.shape) / c, c },
      ...(second ? { second: { z: offset(z), b: offset(b) } } : {}),
      clamp: [lo, hi],
    });
    return out;
  };
}

const channelKernelConfigs: readonly KernelConfig[] = [
  { kernelName: CHANNEL_DOT, backendName: 'wasm', kernelFunc: channelDotKernel },
  { kernelName: CHANNEL_CENTRE, backendName: 'wasm', kernelFunc: channelCentreKernel(true) },
  { kernelName: CHANNEL_MOMENTS, backendName: 'wasm', kernelFunc: channelCentreKernel(false) },
  { kernelName: CHANNEL_AFFINE, backendName: 'wasm', kernelFunc: channelAffineKernel(CHANNEL_AFFINE, false) },
  {
    kernelName: CHANNEL_AFFINE2,
    backendName: 'wasm',
    kernelFunc: channelAffineKernel(CHANNEL_AFFINE2, true),
  },
];

/**
 * Whether the running backend has the SIMD kernels and the operands suit them: `full` float32 of x's shape
 * [..., C] with C a multiple of 4, `perChannel` float32 [C].
 */
function fast(x: tf.Tensor, full: tf.Tensor[], perChannel: tf.Tensor[]): boolean {
  const name = tf.engine().backendName;
  if (!getKernel(CHANNEL_DOT, name) || x.rank < 1 || x.size === 0 || channelsOf(x) % 4 !== 0) return false;
  const fits =
    [x, ...full].every((t) => t.dtype === 'float32' && util.arraysEqual(t.shape, x.shape)) &&
    perChannel.every((t) => t.dtype === 'float32' && util.arraysEqual(t.shape, [channelsOf(x)]));
  return fits && unitsKernels(CHANNEL_UNITS, tf.engine().backend as BackendWasm) !== null;
}

/** Σ over all axes but the last of x·z (x and z of one shape [..., C]), as a [C] tensor. */
export function channelDot(x: tf.Tensor, z: tf.Tensor): tf.Tensor1D {
  if (fast(x, [z], [])) return tf.engine().runKernel(CHANNEL_DOT, { x, z }) as tf.Tensor1D;
  return tf.tidy(() => channelSum(tf.mul(x, z)));
}

/** The two rows of the centring kernels' sums (squares, then values), freeing the [2, C] tensor. */
function rowsOf(both: tf.Tensor2D): { squares: tf.Tensor1D; sums: tf.Tensor1D } {
  const [squares, sums] = tf.unstack(both) as [tf.Tensor1D, tf.Tensor1D];
  both.dispose();
  return { squares: squares!, sums: sums! };
}

/** x − mean (mean [C]) and the per-channel sums of its squares and of itself, [C] each. */
export function channelCentre(
  x: tf.Tensor,
  mean: tf.Tensor,
): { centred: tf.Tensor; squares: tf.Tensor1D; sums: tf.Tensor1D } {
  if (fast(x, [], [mean])) {
    const [centred, both] = tf.engine().runKernel(CHANNEL_CENTRE, { x, mean }) as [tf.Tensor, tf.Tensor2D];
    return { centred: centred!, ...rowsOf(both!) };
  }
  const centred = tf.sub(x, mean);
  return { centred, squares: channelDot(centred, centred), sums: channelSum(centred) };
}

/** The per-channel sums of (x − mean)² and of x − mean, [C] each, without the centred tensor. */
export function channelMoments(x: tf.Tensor, mean: tf.Tensor): { squares: tf.Tensor1D; sums: tf.Tensor1D } {
  if (fast(x, [], [mean])) {
    return rowsOf(tf.engine().runKernel(CHANNEL_MOMENTS, { x, mean }) as tf.Tensor2D);
  }
  return tf.tidy(() => {
    const { squares, sums } = channelCentre(x, mean);
    return { squares, sums };
  });
}

/**
 * x·a (+ second.z·second.b) + shift per channel, clamped to `clamp` when given: x [..., C], a, shift and second.b
 * [C], second.z x's shape. Differentiable in the one-term form.
 */
export function channelAffine(
  x: tf.Tensor,
  a: tf.Tensor,
  shift: tf.Tensor,
  second?: { z: tf.Tensor; b: tf.Tensor },
  clamp?: readonly [number, number],
): tf.Tensor {
  const attrs = clamp ? ({ lo: clamp[0], hi: clamp[1] } as never) : {};
  if (!second && fast(x, [], [a, shift]))
    return tf.engine().runKernel(CHANNEL_AFFINE, { x, a, shift }, attrs);
  if (second && fast(x, [second.z], [a, shift, second.b]))
    return tf.engine().runKernel(CHANNEL_AFFINE2, { x, a, shift, z: second.z, b: second.b }, attrs);
  return tf.tidy(() => {
    const scaled = tf.mul(x, a);
    const y = tf.add(second ? tf.add(scaled, tf.mul(second.z, second.b)) : scaled, shift);
    return clamp ? tf.clipByValue(y, clamp[0], clamp[1]) : y;
  });
}

let gradientRegistered = false;

/** Registers channelAffine's gradient (idempotent). */
function registerChannelAffineGradient(): void {
  if (gradientRegistered) return;
  registerGradient({
    kernelName: CHANNEL_AFFINE,
    inputsToSave: ['x', 'a'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, a, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const { lo = -Infinity, hi = Infinity } = attrs as { lo?: number; hi?: number };
      const dyT =
        lo === -Infinity && hi === Infinity ? (dy as tf.Tensor) : clampGradient(dy as tf.Tensor, y, [lo, hi]);
      return { x: () => tf.mul(dyT, a), a: () => channelDot(dyT, x), shift: () => channelSum(dyT) };
    },
  });
  gradientRegistered = true;
}

/**
 * channelAffine(x, a, shift, z, b, out, rows, cBytes, lo, hi): out[row, c] = min(hi, max(lo, x[row, c]·a[c] +
 * shift[c])) over `rows` rows of cBytes (a multiple of 16); channelAffine2 (same parameters) adds z[row, c]·b[c]
 * before the shift, z of x's shape (channelAffine ignores z and b). Per-channel scale-and-shift passes (batch
 * norm's output, with a residual and an activation, and its input gradient) in one pass each, multiplying and
 * adding in that order, each rounded; ±∞ bounds leave every value as it is (NaN too).
 */
function affineFunction(name: string, second: boolean) {
  const {
    params,
    paramNames,
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
  return { name, params, paramNames, locals, body: [bounds, countUp(L.r, L.rows, row, ...next)] };
}

const channelAffineFunction = () => affineFunction('channelAffine', false);
const channelAffine2Function = () => affineFunction('channelAffine2', true);

export const channelAffineUnit = simdUnit({
  name: 'channel-affine',
  functions: () => ({ channelAffine: channelAffineFunction(), channelAffine2: channelAffine2Function() }),
  bind: (call) => ({
    /** out[row, c] = x[row, c]·a[c] (+ z[row, c]·b[c]) + shift[c], clamped */
    channelAffine: (a: ChannelAffineArgs) => {
      if (a.rows === 0 || a.c === 0) return;
      const second = a.second ?? { z: 0, b: 0 };
      const [lo, hi] = a.clamp ?? [-Infinity, Infinity];
      const args = {
        x: a.x,
        a: a.a,
        shift: a.shift,
        ...second,
        out: a.out,
        rows: a.rows,
        cBytes: a.c * 4,
        lo,
        hi,
      };
      (a.second ? call.channelAffine2 : call.channelAffine)(args);
    },
  }),
  kernelConfigs: channelKernelConfigs,
  register: registerChannelAffineGradient,
});

/** The column reductions and the affine pass, which the kernels above run. */
const CHANNEL_UNITS = [columnReductionUnit, channelAffineUnit] as const;
