/**
 * SyncBatchNorm in one process (no replica group installed, and a group of one) against tfjs-layers' BatchNormalization on the wasm
 * backend: training and inference outputs, gradients of input, gamma and beta, and the moving statistics; a
 * model using it saves and loads through the checkpoint format; and replicas built from a topology saved with
 * BatchNormalization get SyncBatchNorm with the same results.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { setBatchNormGroup, SyncBatchNorm } from '../../core/learn/models/sync-batch-norm.ts';
import { createSyncBuffers, groupCollectives } from '../../core/learn/parallel/all-reduce.ts';
import { syncTopology } from '../../core/learn/parallel/replica.ts';
import { layersModelFiles, loadLayersModelDir } from '../../core/learn/models/weights.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';

function random(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(uniformValues(tf.util.sizeFromShape(shape), seed, lo, hi), shape);
}

const ARGS = { momentum: 0.9, epsilon: 1e-5 };

/** A stock and a synchronised layer built for `shape`, with the same (random) weights. */
function pair(shape: number[], seed: number): [tfl.layers.Layer, SyncBatchNorm] {
  const stock = tfl.layers.batchNormalization({ axis: -1, ...ARGS });
  const ours = new SyncBatchNorm(ARGS);
  const c = shape[shape.length - 1]!;
  stock.build(shape);
  ours.build(shape);
  const weights = [
    random([c], seed, 0.5, 1.5),
    random([c], seed + 1),
    random([c], seed + 2),
    random([c], seed + 3, 0.5, 2),
  ];
  stock.setWeights(weights);
  ours.setWeights(weights);
  tf.dispose(weights);
  return [stock, ours];
}

/** Output, dL/dx, dL/dgamma, dL/dbeta of L = Σ y·w in training mode (updating the moving statistics). */
function trainingPass(layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor): Float32Array[] {
  const variables = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
    return tf.sum(tf.mul(y, w)) as tf.Scalar;
  }, variables);
  // A second, tape-free pass for dL/dx would update the moving statistics again: differentiate x in one go.
  const dx = tf.grad((input: tf.Tensor) =>
    tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, w)),
  )(x);
  const out = [y!, dx, ...variables.map((v) => grads[v.name]!)].map((t) => t.dataSync() as Float32Array);
  tf.dispose([value, y!, dx, ...Object.values(grads)]);
  return out;
}

/** Frees a layer used outside a model (Layer.dispose only accepts layers applied to symbolic inputs). */
function disposeLayer(layer: tfl.layers.Layer): void {
  layer.weights.forEach((w) => w.dispose());
}

let root: string;
beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
  root = await makeTempDir('patchgd-syncbn-');
});
afterAll(async () => {
  await removeDir(root);
});

describe('SyncBatchNorm (one process)', () => {
  for (const shape of [
    [4, 5, 5, 8],
    [3, 7, 2, 16],
    [6, 24],
  ]) {
    it(`matches BatchNormalization on ${shape.join('×')}: outputs, gradients, moving statistics`, () => {
      const [stock, ours] = pair(shape, shape.length * 100 + shape[0]!);
      // An offset mean: the statistics must stay accurate when |µ| dominates σ.
      const x = tf.add(random(shape, 7, -2, 2), 3);
      const w = random(shape, 9);
      const a = trainingPass(stock, x, w);
      const b = trainingPass(ours, x, w);
      expect(b).toHaveLength(4);
      a.forEach((ref, i) => expect(relError(b[i]!, ref)).toBeLessThan(2e-5));
      // Two training calls each (variableGrads, grad) moved the statistics the same way.
      const stockStats = stock.getWeights().slice(2);
      const ourStats = ours.getWeights().slice(2);
      stockStats.forEach((ref, i) => {
        expect(
          relError(ourStats[i]!.dataSync() as Float32Array, ref.dataSync() as Float32Array),
        ).toBeLessThan(1e-5);
      });
      // Inference normalises with the moving statistics.
      const yStock = stock.apply(x, { training: false }) as tf.Tensor;
      const yOurs = ours.apply(x, { training: false }) as tf.Tensor;
      expect(relError(yOurs.dataSync() as Float32Array, yStock.dataSync() as Float32Array)).toBeLessThan(
        1e-6,
      );
      tf.dispose([x, w, yStock, yOurs]);
      [stock, ours].forEach(disposeLayer);
    });
  }

  it('stays accurate when the mean is ~1000 standard deviations from zero (float64 reference)', () => {
    const shape = [3, 6, 5, 8];
    const c = 8;
    const [, ours] = pair(shape, 11);
    const x = tf.add(random(shape, 12, -1, 1), 1000);
    // Inside a gradient scope the layer normalises its centred values; outside one (a Z fill) it scales and
    // shifts x itself, whose rounding grows with |µ|/σ (as in any folded batch norm): ≈ 1e-4 at |µ|/σ ≈ 1700.
    let taped: Float32Array | null = null;
    tf.grad((input: tf.Tensor) => {
      const out = ours.apply(input, { training: true }) as tf.Tensor;
      taped = out.dataSync() as Float32Array;
      return tf.sum(out);
    })(x).dispose();
    const free = (ours.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
    const values = x.dataSync();
    const [gamma, beta] = ours.getWeights().map((w) => w.dataSync());
    const rows = values.length / c;
    const mean = new Float64Array(c);
    const m2 = new Float64Array(c);
    for (let i = 0; i < values.length; i++) mean[i % c]! += values[i]! / rows;
    for (let i = 0; i < values.length; i++) m2[i % c]! += (values[i]! - mean[i % c]!) ** 2;
    const ref = Float32Array.from(values, (v, i) => {
      const k = i % c;
      return ((v - mean[k]!) / Math.sqrt(m2[k]! / rows + ARGS.epsilon)) * gamma![k]! + beta![k]!;
    });
    expect(relError(taped!, ref)).toBeLessThan(1e-5);
    expect(relError(free, ref)).toBeLessThan(3e-4);
    x.dispose();
    disposeLayer(ours);
  });

  it('gives the same results through a one-replica group of the shared-memory collectives', () => {
    const shape = [4, 5, 5, 8];
    const x = tf.add(random(shape, 21, -2, 2), 3);
    const w = random(shape, 22);
    const [, alone] = pair(shape, 23);
    const [, grouped] = pair(shape, 23);
    const a = trainingPass(alone, x, w);
    setBatchNormGroup(groupCollectives(createSyncBuffers(1, 2 * 8 + 1), 0, 1));
    try {
      const b = trainingPass(grouped, x, w);
      a.forEach((ref, i) => expect(relError(b[i]!, ref)).toBeLessThan(1e-6));
    } finally {
      setBatchNormGroup(null);
    }
    tf.dispose([x, w]);
    [alone, grouped].forEach(disposeLayer);
  });

  for (const activation of ['relu', 'relu6'] as const)
    it(`with a residual and ${activation}: what BatchNormalization, Add and the activation compute`, () => {
      const shape = [3, 4, 5, 8];
      const [stock, ours] = pair(shape, 31);
      const fused = new SyncBatchNorm({ ...ARGS, activation });
      fused.build([shape, shape]);
      fused.setWeights(ours.getWeights());
      const x = random(shape, 32, -2, 4);
      const residual = random(shape, 33, -3, 3);
      const w = random(shape, 34);
      const act = (t: tf.Tensor) => (activation === 'relu' ? tf.relu(t) : tf.relu6(t));
      const composed = (input: tf.Tensor, r: tf.Tensor, training: boolean) =>
        act(tf.add(stock.apply(input, { training }) as tf.Tensor, r));
      const fusedOut = (input: tf.Tensor, r: tf.Tensor, training: boolean) =>
        fused.apply([input, r], { training }) as tf.Tensor;
      // Gradients of Σ y·w with respect to x, the residual, gamma and beta.
      const grads = (f: typeof composed, layer: tfl.layers.Layer) => {
        const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
        const { grads: g } = tf.variableGrads(
          () => tf.sum(tf.mul(f(x, residual, true), w)) as tf.Scalar,
          [gamma!, beta!],
        );
        const [dx, dr] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b, true), w)))([
          x,
          residual,
        ]);
        return [dx!, dr!, g[gamma!.name]!, g[beta!.name]!].map((t) => t.dataSync() as Float32Array);
      };
      const expected = grads(composed, stock);
      grads(fusedOut, fused).forEach((v, i) => expect(relError(v, expected[i]!)).toBeLessThan(2e-5));
      // Outside a gradient scope (the Z fill's one pass), and in inference mode.
      for (const training of [true, false]) {
        const a = composed(x, residual, training).dataSync() as Float32Array;
        const b = fusedOut(x, residual, training).dataSync() as Float32Array;
        expect(relError(b, a)).toBeLessThan(2e-5);
      }
      expect(fused.getConfig()['activation']).toBe(activation);
      tf.dispose([x, residual, w]);
      [stock, ours, fused].forEach(disposeLayer);
    });

  it('keeps the weight names and order of BatchNormalization', () => {
    const [stock, ours] = pair([2, 3, 3, 4], 1);
    const names = (l: tfl.layers.Layer) => l.weights.map((w) => w.originalName.split('/').pop());
    expect(names(ours)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(names(ours)).toEqual(names(stock));
    expect(ours.trainableWeights).toHaveLength(2);
    [stock, ours].forEach(disposeLayer);
  });

  it('replaces BatchNormalization in a saved topology (checkpoints from before it) with the same results', async () => {
    const input = tfl.input({ shape: [3, 3, 4] });
    const output = tfl.layers
      .batchNormalization({ axis: -1, ...ARGS, name: 'bn' })
      .apply(input) as tfl.SymbolicTensor;
    const stock = tfl.model({ inputs: input, outputs: output });
    stock.layers[1]!.setWeights([
      random([4], 1, 0.5, 1.5),
      random([4], 2),
      random([4], 3),
      random([4], 4, 0.5, 2),
    ]);
    const synced = await tfl.models.modelFromJSON({
      modelTopology: syncTopology(stock.toJSON(null, true) as string),
    });
    expect(synced.layers[1]).toBeInstanceOf(SyncBatchNorm);
    synced.setWeights(stock.getWeights());
    const x = random([2, 3, 3, 4], 5, 0, 3);
    for (const training of [false, true]) {
      const [a, b] = [stock, synced].map((m) => m.apply(x, { training }) as tf.Tensor);
      expect(relError(b!.dataSync() as Float32Array, a!.dataSync() as Float32Array)).toBeLessThan(2e-5);
      tf.dispose([a!, b!]);
    }
    x.dispose();
    stock.dispose();
    synced.dispose();
  });

  it('saves and loads with a model (checkpoint format)', async () => {
    const input = tfl.input({ shape: [4, 4, 3] });
    const output = new SyncBatchNorm({ ...ARGS, name: 'bn' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const x = random([2, 4, 4, 3], 3, 0, 4);
    model.apply(x, { training: true });
    const files = new Map<string, Uint8Array | string>();
    await layersModelFiles(model, 'm', files);
    await fs.mkdir(path.join(root, 'm'));
    for (const [name, data] of files) await fs.writeFile(path.join(root, name), data);
    const loaded = await loadLayersModelDir(path.join(root, 'm'));
    expect(loaded.layers[1]).toBeInstanceOf(SyncBatchNorm);
    const [a, b] = [model, loaded].map((m) => (m.predict(x) as tf.Tensor).dataSync());
    expect(Array.from(b!)).toEqual(Array.from(a!));
    model.dispose();
    loaded.dispose();
    x.dispose();
  });
});
