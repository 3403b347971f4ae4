/**
 * tfjs-layers' relu6 activation, min(6, relu(x)), as one SIMD pass forward (`PatchGDRelu6`) and one masked product
 * backward on wasm, in place of four full-size kernels: Relu and Minimum forward, and their two masked-product
 * gradients (MobileNetV2 runs it after 35 of its batch norms). The gradient, dy · (0 < x < 6) and NaN where x is
 * NaN, is exactly the product of the two it replaces; the forward equals min(6, relu(x)) up to the sign of a zero.
 *
 * tfjs-layers builds activations by name from the serialization registry, so the class registered here under its
 * name 'relu6' replaces its own for every layer built afterwards (topologies still name 'relu6'). It runs the
 * kernel where the backend has it and tfjs-layers' two ops elsewhere.
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
import { MASKED_PRODUCT } from './activation-grads.ts';
import { simdUnit } from './kernel-unit.ts';
import { unitKernels } from './simd.ts';
import { bump, op, signature, untilEnd, type Code } from './wasm-asm.ts';

const I = 'i32' as const;

/** Input {x} float32; output min(6, max(x, 0)), x's shape. */
export const RELU6 = 'PatchGDRelu6';

const CAP = 6;

const relu6Kernel: KernelFunc = ({ inputs, backend: bk }) => {
  const backend = bk as BackendWasm;
  const { x } = inputs as { x: TensorInfo };
  const simd = unitKernels(relu6Unit, backend);
  if (x.dtype !== 'float32' || !simd) throw new Error(`${RELU6}: float32 x on a runtime with SIMD expected`);
  const out = backend.makeOutput(x.shape, 'float32');
  const size = util.sizeFromShape(x.shape);
  const vectorized = size - (size % 4);
  const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  simd.relu6({ x: offset(x), out: offset(out), size: vectorized });
  const [xv, ov] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
  for (let k = vectorized; k < size; k++) ov[k] = Math.min(CAP, Math.max(xv[k]!, 0));
  return out;
};

const relu6KernelConfig: KernelConfig = {
  kernelName: RELU6,
  backendName: 'wasm',
  kernelFunc: relu6Kernel,
};

/** min(6, relu(x)): one kernel where the running backend has it, tfjs-layers' two ops otherwise. */
export function relu6(x: tf.Tensor): tf.Tensor {
  const backend = tf.engine().backendName;
  const fast =
    getKernel(RELU6, backend) !== undefined &&
    x.dtype === 'float32' &&
    unitKernels(relu6Unit, tf.engine().backend as BackendWasm) !== null;
  if (fast) return tf.engine().runKernel(RELU6, { x });
  return tf.tidy(() => tf.minimum(CAP, tf.relu(x)));
}

/** The activation tfjs-layers looks up by the name 'relu6'. */
class Relu6Activation extends tf.serialization.Serializable {
  static className = 'relu6';

  apply(x: tf.Tensor): tf.Tensor {
    return relu6(x);
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

let registered = false;

/** Registers the kernel's gradient and the 'relu6' activation (idempotent). */
function registerRelu6(): void {
  if (registered) return;
  registerGradient({
    kernelName: RELU6,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return {
        x: () =>
          tf.tidy(() =>
            tf.engine().runKernel(MASKED_PRODUCT, { dy: dy as tf.Tensor, a: x, b: tf.scalar(CAP) }, {
              mask: 'openInterval',
            } as never),
          ) as tf.Tensor,
      };
    },
  });
  tf.serialization.registerClass(Relu6Activation);
  registered = true;
}

/** relu6(x, out, end): out = min(6, max(x, 0)) per element, 4 per step; NaN stays NaN. */
function relu6Function() {
  const { params, paramNames, locals, at: L } = signature({ x: I, out: I, end: I }, {});
  const step: Code[] = [
    [...op.get(L.out), ...op.f32x4Const(6), ...op.get(L.x), ...op.v128Load(), ...op.i8x16Const(0)],
    [...op.f32x4Max, ...op.f32x4Min, ...op.v128Store()],
    bump(L.x, 16),
  ];
  return { name: 'relu6', params, paramNames, locals, body: [untilEnd(L.out, L.end, 16, ...step)] };
}

export const relu6Unit = simdUnit({
  name: 'relu6',
  functions: () => ({ relu6: relu6Function() }),
  bind: (call) => ({
    /** out = min(6, max(x, 0)) over `size` floats (a multiple of 4) from heap byte offsets x and out. */
    relu6: (a: { x: number; out: number; size: number }) => {
      if (a.size > 0) call.relu6({ x: a.x, out: a.out, end: a.out + a.size * 4 });
    },
  }),
  kernelConfigs: [relu6KernelConfig],
  register: registerRelu6,
});
