/**
 * End to end on wasm: gradients and an Adam step of a small conv net built from every layer type the backbones
 * use equal the cpu backend's; every kernel such a step touches is registered for wasm; fused convolutions (bias +
 * activation) run and differentiate on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { relError } from '../helpers/tensors.ts';

const BATCH = 2;
const TOLERANCE = 1e-4;

/** conv (strides 1/2, same/valid, with/without bias), depthwise 1/2, BN, ReLU/ReLU6, add, pools, spatial dropout, dense. */
function buildNet(): tfl.LayersModel {
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [13, 13, 3] });
  // Convolutions feeding batch norm have no bias (as in the backbones: BN would cancel its gradient to noise).
  let h = apply(
    tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
    input,
  );
  h = apply(tfl.layers.batchNormalization(), h);
  h = apply(tfl.layers.reLU({ maxValue: 6 }), h);
  let b = apply(
    tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: false }),
    h,
  );
  b = apply(tfl.layers.batchNormalization(), b);
  b = apply(tfl.layers.activation({ activation: 'relu6' }), b);
  b = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false }), b);
  h = apply(tfl.layers.add(), [h, b]);
  // Spatial dropout: whole channels dropped; seeded so both backends draw the same mask.
  h = apply(tfl.layers.dropout({ rate: 0.25, noiseShape: [BATCH, 1, 1, 8], seed: 7 }), h);
  h = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid' }), h);
  h = apply(tfl.layers.reLU(), h);
  const m = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }), h);
  const a = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }), h);
  h = apply(tfl.layers.concatenate(), [m, a]);
  h = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 2, padding: 'valid', activation: 'relu' }), h);
  h = apply(tfl.layers.globalAveragePooling2d({}), h);
  return tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: 4 }), h) });
}

/** Gradients of the loss w.r.t. every trainable weight, then one Adam step; returns host copies of both. */
async function trainStep(model: tfl.LayersModel, xs: Float32Array, labels: number[]) {
  const x = tf.tensor4d(xs, [BATCH, 13, 13, 3]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
  const { grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  });
  const names = Object.keys(grads).sort();
  const gradValues = await Promise.all(
    names.map(async (n) => (await (grads[n] as tf.Tensor).data()) as Float32Array),
  );
  tf.train.adam(0.01).applyGradients(names.map((name) => ({ name, tensor: grads[name] as tf.Tensor })));
  const weights = await Promise.all(
    model.trainableWeights.map(async (w) => (await w.read().data()) as Float32Array),
  );
  tf.dispose([x, y, ...Object.values(grads)]);
  return { names, gradValues, weights };
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('a small conv net trains identically on wasm and cpu', () => {
  it('has equal gradients for all variables and equal weights after an Adam step', async () => {
    await tf.setBackend('cpu');
    const model = buildNet();
    const initial = model.getWeights().map((w) => ({ values: w.dataSync().slice(), shape: w.shape }));
    const xs = Float32Array.from({ length: BATCH * 13 * 13 * 3 }, (_, i) => Math.sin(i * 0.37) * 2);
    const labels = [1, 3];
    const cpu = await trainStep(model, xs, labels);

    await tf.setBackend('wasm');
    model.setWeights(initial.map((w) => tf.tensor(w.values, w.shape)));
    const wasm = await trainStep(model, xs, labels);

    expect(wasm.names).toEqual(cpu.names);
    expect(cpu.names.length).toBe(model.trainableWeights.length);
    wasm.gradValues.forEach((g, i) => {
      const ref = cpu.gradValues[i] as Float32Array;
      // Every gradient is non-trivial, so agreement means something.
      expect(Math.max(...ref.map(Math.abs)), cpu.names[i]).toBeGreaterThan(0);
      expect(relError(g, ref), cpu.names[i]).toBeLessThan(TOLERANCE);
    });
    wasm.weights.forEach((w, i) =>
      expect(relError(w, cpu.weights[i] as Float32Array)).toBeLessThan(TOLERANCE),
    );
  });

  it('touches only kernels registered for wasm (the audit)', async () => {
    await tf.setBackend('cpu');
    const model = buildNet();
    const xs = Float32Array.from({ length: BATCH * 13 * 13 * 3 }, (_, i) => Math.cos(i));
    const profile = await tf.profile(async () => {
      await trainStep(model, xs, [0, 2]);
      tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.relu6(t)))(tf.tensor1d([-1, 3, 7])));
    });
    // Profiles also list op scopes (e.g. fusedConv2d__op); the kernels are the names with a cpu kernel.
    const kernels = [...new Set(profile.kernelNames)].filter((k) => tf.getKernel(k, 'cpu'));
    expect(kernels).toEqual(
      expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']),
    );
    expect(kernels.filter((k) => !tf.getKernel(k, 'wasm'))).toEqual([]);
  });
});

describe('fused convolutions on wasm', () => {
  const cases = [
    { kind: 'conv2d', activation: 'relu6', strides: 2, pad: 'same' },
    { kind: 'conv2d', activation: 'relu', strides: 1, pad: 'valid' },
    { kind: 'conv2d', activation: 'linear', strides: 1, pad: 'same' },
    { kind: 'depthwise', activation: 'relu6', strides: 2, pad: 'valid' },
    { kind: 'depthwise', activation: 'linear', strides: 1, pad: 'same' },
  ] as const;

  /** Forward output and gradients w.r.t. x, filter and bias (in that order), on `backend`. */
  async function run(backend: string, c: (typeof cases)[number]) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 7 * 7 * 4 }, (_, i) => Math.sin(i)),
      [2, 7, 7, 4],
    );
    const filterShape: [number, number, number, number] = c.kind === 'conv2d' ? [3, 3, 4, 5] : [3, 3, 4, 2];
    const size = filterShape.reduce((p, q) => p * q, 1);
    const filter = tf.tensor4d(
      Array.from({ length: size }, (_, i) => Math.cos(i * 1.3)),
      filterShape,
    );
    const bias = tf.tensor1d(Array.from({ length: c.kind === 'conv2d' ? 5 : 8 }, (_, i) => 0.5 - 0.2 * i));
    const f = (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor) => {
      const args = {
        x: xi as tf.Tensor4D,
        filter: fi as tf.Tensor4D,
        bias: bi,
        strides: c.strides,
        pad: c.pad,
      };
      return c.kind === 'conv2d'
        ? tf.fused.conv2d({ ...args, activation: c.activation })
        : tf.fused.depthwiseConv2d({ ...args, activation: c.activation });
    };
    const forward = f(x, filter, bias);
    const grads = tf.grads((xi, fi, bi) => tf.sum(tf.mul(f(xi, fi, bi), tf.sin(forward))))([x, filter, bias]);
    const out = await Promise.all([forward, ...grads].map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([x, filter, bias, forward, ...grads]);
    return out;
  }

  it.each(cases.map((c) => [`${c.kind} ${c.activation} s${c.strides} ${c.pad}`, c] as const))(
    '%s: forward and gradients match cpu',
    async (_name, c) => {
      const wasm = await run('wasm', c);
      const cpu = await run('cpu', c);
      wasm.forEach((w, i) => expect(relError(w, cpu[i] as Float32Array)).toBeLessThan(TOLERANCE));
    },
  );
});
