/**
 * The gradients of Relu and Minimum (tfjs-layers' relu6 is minimum(6, relu(x))) as one masked product each on
 * wasm. tfjs-core's run three full-size kernels per activation: dy · cast(step(x)) and dy · cast(greater(a, b));
 * the `PatchGDMaskedProduct` kernel does dy · mask in one SIMD pass, with the mask 1 or 0 (NaN for step at a NaN),
 * so the results are the same. On other backends, and for operands it does not take (a broadcast that is not a
 * scalar), tfjs-core's gradient runs as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  getGradient,
  getKernel,
  Minimum,
  registerGradient,
  Relu,
  util,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
// Loading tfjs-layers registers tfjs-core's gradients (its bundle carries them), which ours replace and fall back
// to; importing it first means a later import cannot overwrite ours.
import '@tensorflow/tfjs-layers';
import { binaryCallArgs, binaryOperands, simdOperands, type BinaryArgs } from './elementwise.ts';
import { simdUnit } from './kernel-unit.ts';
import { unitKernels } from './simd.ts';
import { bump, op, signature, untilEnd, type Code } from './wasm-asm.ts';

const I = 'i32' as const;
const V = 'v128' as const;

/**
 * The masks of `maskedProduct`: dy · (a > b), dy · (a ≤ b), dy · step(a) (b then a 4-float broadcast of 0),
 * dy · (0 < a < b) (NaN where a is NaN).
 */
export type ProductMask = 'greater' | 'lessEqual' | 'step' | 'openInterval';

/** Inputs {dy, a, b} (b absent for 'step'); attrs {mask}; output dy · mask(a, b), dy's shape. */
export const MASKED_PRODUCT = 'PatchGDMaskedProduct';

const MASKS: Record<ProductMask, (a: number, b: number) => number> = {
  greater: (a, b) => (a > b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  step: (a) => (a > 0 ? 1 : Number.isNaN(a) ? NaN : 0),
  openInterval: (a, b) => (a > 0 && a < b ? 1 : Number.isNaN(a) ? NaN : 0),
};

const maskedProduct: KernelFunc = ({ inputs, backend: bk, attrs }) => {
  const backend = bk as BackendWasm;
  const { mask } = attrs as unknown as { mask: ProductMask };
  const { dy, a } = inputs as { dy: TensorInfo; a: TensorInfo };
  // step compares with 0: a scalar made here.
  const zero = mask === 'step' ? backend.makeOutput([], 'float32') : null;
  if (zero) backend.typedArrayFromHeap(zero).fill(0);
  const b = zero ?? (inputs as { b: TensorInfo }).b;
  const size = util.sizeFromShape(dy.shape);
  const fits = (t: TensorInfo) => util.arraysEqual(t.shape, dy.shape) || util.sizeFromShape(t.shape) === 1;
  if (dy.dtype !== 'float32' || !simdOperands(a, b) || !fits(a) || !fits(b))
    throw new Error(`${MASKED_PRODUCT}: dy float32, a and b float32 of dy's shape or scalars expected`);
  const out = backend.makeOutput(dy.shape, 'float32');
  const operands = binaryOperands(backend, a, b, size);
  const simd = unitKernels(maskedProductUnit, backend);
  const vectorized = simd ? size - (size % 4) : 0;
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  simd?.maskedProduct(mask, offset(dy), { ...operands.offsets, out: offset(out), size: vectorized });
  const [values, dv, ov] = [
    operands.values(),
    backend.typedArrayFromHeap(dy),
    backend.typedArrayFromHeap(out),
  ];
  for (let k = vectorized; k < size; k++) ov[k] = dv[k]! * MASKS[mask](...values(k));
  operands.dispose();
  if (zero) backend.disposeData(zero.dataId);
  return out;
};

const maskedProductKernelConfig: KernelConfig = {
  kernelName: MASKED_PRODUCT,
  backendName: 'wasm',
  kernelFunc: maskedProduct,
};

/** Whether the running backend has the masked product and these operands suit it. */
function fused(dy: tf.Tensor, ...operands: tf.Tensor[]): boolean {
  if (!getKernel(MASKED_PRODUCT, tf.engine().backendName)) return false;
  return operands.every(
    (t) => t.dtype === 'float32' && (util.arraysEqual(t.shape, dy.shape) || t.size === 1),
  );
}

const run = (inputs: Record<string, tf.Tensor>, mask: ProductMask) =>
  tf.engine().runKernel(MASKED_PRODUCT, inputs, { mask } as never) as tf.Tensor;

function reluGradient(shipped: GradConfig): GradConfig {
  return {
    ...shipped,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const dyT = dy as tf.Tensor;
      if (!fused(dyT, x) || !util.arraysEqual(x.shape, dyT.shape)) return shipped.gradFunc(dy, saved, attrs);
      return { x: () => run({ dy: dyT, a: x }, 'step') };
    },
  };
}

function minimumGradient(shipped: GradConfig): GradConfig {
  return {
    ...shipped,
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const dyT = dy as tf.Tensor;
      if (!fused(dyT, a, b)) return shipped.gradFunc(dy, saved, attrs);
      const own = shipped.gradFunc(dy, saved, attrs);
      // Only an operand of dy's shape gets the masked product; a broadcast scalar keeps tfjs-core's derivative.
      const derivative = (t: tf.Tensor, mask: ProductMask, name: 'a' | 'b') =>
        util.arraysEqual(t.shape, dyT.shape) ? () => run({ dy: dyT, a, b }, mask) : own[name]!;
      return { a: derivative(a, 'lessEqual', 'a'), b: derivative(b, 'greater', 'b') };
    },
  };
}

const replaced = new Map<string, GradConfig>();

/**
 * Makes ours the registered Relu and Minimum gradients. Idempotent, and safe to call again after something
 * re-registered tfjs-core's (tfjs-layers' bundle does when it loads).
 */
function registerActivationGradients(): void {
  for (const [name, make] of [
    [Relu, reluGradient],
    [Minimum, minimumGradient],
  ] as const) {
    const current = getGradient(name);
    if (!current) throw new Error(`tfjs-core registers no ${name} gradient to replace`);
    if (current === replaced.get(name)) continue;
    const ours = make(current);
    replaced.set(name, ours);
    registerGradient(ours);
  }
}

/**
 * dy where lo < y < hi and 0 elsewhere (NaN where y is NaN): the gradient through a clamp of some value to
 * [lo, hi], taken from the clamp's output y. Relu's [0, ∞) and relu6's [0, 6] are one masked product on wasm.
 */
export function clampGradient(dy: tf.Tensor, y: tf.Tensor, [lo, hi]: readonly [number, number]): tf.Tensor {
  if (lo === 0 && fused(dy, y) && util.arraysEqual(y.shape, dy.shape)) {
    if (hi === Infinity) return run({ dy, a: y }, 'step');
    return tf.tidy(() => run({ dy, a: y, b: tf.scalar(hi) }, 'openInterval'));
  }
  return tf.tidy(() => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(y, lo), tf.less(y, hi)), 'float32')));
}

/**
 * Masked products (dy, a, aStep, b, bStep, out, end): out = dy · mask(a, b), 4 per step, dy and out full-size,
 * a and b as in the binary functions. The mask is 1 or 0 per lane (and NaN for `step` at a NaN), so the product
 * is exactly tfjs's dy · cast(condition, 'float32'): the gradients of Minimum and Relu in one pass each.
 */
function maskedProductFunction(name: string, mask: (a: number, b: number) => Code) {
  const {
    params,
    paramNames,
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
  return { name, params, paramNames, locals, body: [untilEnd(L.out, L.end, 16, ...step)] };
}

/** 1.0 where the comparison's mask is all ones, else 0.0. */
const ones = (comparison: Code): Code => [...comparison, ...op.f32x4Const(1), ...op.v128And];

/** dy · (a > b) */
const greaterProductFunction = () =>
  maskedProductFunction('greaterProduct', (a, b) => ones([...op.get(a), ...op.get(b), ...op.f32x4Gt]));
/** dy · (a ≤ b) */
const lessEqualProductFunction = () =>
  maskedProductFunction('lessEqualProduct', (a, b) => ones([...op.get(a), ...op.get(b), ...op.f32x4Le]));
/** dy · step(a) with b = 0: 1 where a > 0, NaN where a is NaN (tfjs's step), else 0. */
const stepProductFunction = () =>
  maskedProductFunction('stepProduct', (a, b) => [
    ...ones([...op.get(a), ...op.get(b), ...op.f32x4Gt]),
    ...[...op.get(a), ...op.get(a), ...op.f32x4Ne, ...op.get(a), ...op.v128And, ...op.v128Or],
  ]);

/** dy · (0 < a < b), and NaN where a is NaN: the gradient of min(b, relu(a)) (tfjs-layers' relu6 for b = 6). */
const openIntervalProductFunction = () =>
  maskedProductFunction('openIntervalProduct', (a, b) => [
    ...[...op.get(a), ...op.i8x16Const(0), ...op.f32x4Gt, ...op.get(b), ...op.get(a), ...op.f32x4Gt],
    ...ones(op.v128And),
    ...[...op.get(a), ...op.get(a), ...op.f32x4Ne, ...op.get(a), ...op.v128And, ...op.v128Or],
  ]);

export const maskedProductUnit = simdUnit({
  name: 'masked-product',
  functions: () => ({
    greater: greaterProductFunction(),
    lessEqual: lessEqualProductFunction(),
    step: stepProductFunction(),
    openInterval: openIntervalProductFunction(),
  }),
  bind: (call) => ({
    /** out = dy · mask(a, b), 4 elements per step; dy and out of `size` floats. */
    maskedProduct: (mask: ProductMask, dy: number, a: BinaryArgs) => {
      if (a.size > 0) call[mask]({ dy, ...binaryCallArgs(a, 4) });
    },
  }),
  kernelConfigs: [maskedProductKernelConfig],
  register: registerActivationGradients,
});
