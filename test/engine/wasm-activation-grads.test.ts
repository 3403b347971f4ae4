/**
 * The Relu and Minimum gradients through the masked-product kernel on wasm against tfjs-core's on the cpu
 * backend, bit for bit: ReLU, tfjs-layers' relu6 (minimum(6, relu(x))), minimum of two tensors, with ties, zeros,
 * NaN and infinities, and sizes leaving a remainder after the SIMD vectors; and tfjs-layers' relu6 activation
 * as the project replaces it (one kernel forward, one masked product backward on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { RELU6 } from '../../core/learn/kernels/relu6.ts';

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 6, 6, 1e-30, -1e-30, 7, 5.999];

/** 37 values: the special ones, then a ramp through both ReLU6 corners. */
const input = () => [...SPECIAL, ...Array.from({ length: 26 }, (_, i) => i * 0.4 - 2)];
const other = () => input().map((v, i) => (i % 3 === 0 ? v : 3 - v * 0.5));

/** A function of one or two tensors. */
type Loss = (...inputs: tf.Tensor[]) => tf.Tensor;

const LOSSES: [string, Loss][] = [
  ['relu', (x) => tf.relu(x!)],
  ['relu6 as tfjs-layers builds it', (x) => tf.minimum(6, tf.relu(x!))],
  ['minimum of two tensors', (x, y) => tf.minimum(x!, y!)],
  ['minimum with a scalar on the right', (x) => tf.minimum(x!, tf.scalar(2))],
];

/** Gradients of sum(loss · weights) with respect to each input the loss takes, on `backend`. */
async function grads(backend: string, loss: Loss) {
  await tf.setBackend(backend);
  const inputs = [tf.tensor1d(input()), tf.tensor1d(other())].slice(0, loss.length);
  const weights = tf.tensor1d(input().map((_, i) => (i % 5) - 2));
  const g = tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(loss(...t), weights)))(inputs);
  const info = await tf.profile(() => tf.grads((...t: tf.Tensor[]) => tf.sum(loss(...t)))(inputs));
  tf.dispose(info.result as tf.Tensor[]);
  const values = await Promise.all(g.map(async (t) => Array.from(await t.data())));
  tf.dispose([...inputs, weights, ...g]);
  return { values, kernels: new Set(info.kernels.map((k) => k.name)) };
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('activation gradients on wasm', () => {
  it.each(LOSSES)('%s: equal to cpu, through the masked product', async (_name, loss) => {
    const wasm = await grads('wasm', loss);
    const cpu = await grads('cpu', loss);
    expect(wasm.values).toEqual(cpu.values);
    expect(wasm.kernels.has('PatchGDMaskedProduct')).toBe(true);
    for (const k of ['Step', 'Greater', 'LessEqual']) expect(wasm.kernels.has(k), k).toBe(false);
  });

  it('rejects operands the masked product does not take', async () => {
    await tf.setBackend('wasm');
    const [dy, a] = [tf.ones([4]), tf.ones([2, 2])];
    expect(() => tf.engine().runKernel('PatchGDMaskedProduct', { dy, a }, { mask: 'step' } as never)).toThrow(
      /of dy's shape or scalars/,
    );
    tf.dispose([dy, a]);
  });
});

describe("tfjs-layers' relu6 activation", () => {
  /** Forward values (zeros unsigned) and the gradient of sum(relu6(x) · weights), through an Activation layer. */
  async function run(backend: string) {
    await tf.setBackend(backend);
    const layer = tfl.layers.activation({ activation: 'relu6' });
    const x = tf.tensor1d(input());
    const weights = tf.tensor1d(input().map((_, i) => (i % 5) - 2));
    const f = (t: tf.Tensor) => layer.apply(t) as tf.Tensor;
    const forward = Array.from(await f(x).data()).map((v) => (v === 0 ? 0 : v));
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), weights)))(x);
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x));
    const result = { forward, grad: Array.from(await grad.data()), kernels: info.kernelNames };
    tf.dispose([x, weights, grad, info.result as tf.Tensor]);
    return result;
  }

  it('runs as one kernel and one masked product on wasm, with cpu values', async () => {
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(wasm.forward).toEqual(cpu.forward);
    expect(wasm.grad).toEqual(cpu.grad);
    expect(wasm.kernels).toContain(RELU6);
    expect(wasm.kernels).toContain('PatchGDMaskedProduct');
    for (const k of ['Relu', 'Minimum', 'Step', 'Greater']) expect(wasm.kernels, k).not.toContain(k);
  });

  it('keeps its name in topologies', () => {
    const input = tfl.input({ shape: [4] });
    const output = tfl.layers.activation({ activation: 'relu6' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    expect(JSON.stringify(model.toJSON(null, false))).toContain('"activation":"relu6"');
    model.dispose();
  });
});
