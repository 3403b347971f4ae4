/**
 * Whole training runs on the wasm backend with 1 and 2 engine threads: the same losses, validation metrics and
 * final weights (batch-norm moving statistics included) within float tolerance; the plan reports the threads;
 * and a model loaded with 2 threads predicts what it predicts with 1.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { loadCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import * as tf from '@tensorflow/tfjs-core';
import {
  disposeModel,
  embed,
  loadModel,
  openPatchBatch,
  predict,
  trainRun,
  type EpochMetrics,
  type TrainConfigInput,
  type TrainEvent,
} from '../../core/learn/runner/index.ts';
import { quadrantSamples } from '../patchgd/synthetic.ts';
import { relError } from '../helpers/tensors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

/** 24 px images, 8 px patches (nine), three of them per inner iteration: chunks split 2 + 1 over two threads. */
const config: TrainConfigInput = {
  backbone: 'small',
  imageSize: 24,
  patchSize: 8,
  latentDim: 6,
  numClasses: 4,
  batchSize: 2,
  sampling: 1 / 3,
  epochs: 2,
  warmupEpochs: 0.5,
  lr: 1e-2,
  seed: 3,
};

let root: string;
beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
  root = await makeTempDir('patchgd-parallel-train-');
});
afterAll(async () => {
  await removeDir(root);
});

async function run(threads: number): Promise<{ events: TrainEvent[]; metrics: EpochMetrics[] }> {
  const events: TrainEvent[] = [];
  await trainRun({ ...config, threads }, quadrantSamples(6, 24, 1), quadrantSamples(3, 24, 2), {
    runDir: path.join(root, `t${threads}`),
    onEvent: (e) => events.push(e),
  });
  const lines = (await fs.readFile(path.join(root, `t${threads}`, 'metrics.jsonl'), 'utf8')).trim();
  return { events, metrics: lines.split('\n').map((l) => JSON.parse(l) as EpochMetrics) };
}

async function finalWeights(threads: number): Promise<Float32Array[]> {
  const ckpt = (await loadCheckpoint(path.join(root, `t${threads}`), 'last'))!;
  const values = [...ckpt.backbone.getWeights(), ...ckpt.head.getWeights()].map(
    (w) => w.dataSync() as Float32Array,
  );
  ckpt.backbone.dispose();
  ckpt.head.dispose();
  return values;
}

describe('trainRun with engine threads', () => {
  it('2 threads train what 1 thread trains (losses, validation, weights, moving statistics)', async () => {
    const one = await run(1);
    const two = await run(2);
    const plan = (r: { events: TrainEvent[] }) =>
      r.events.find((e): e is Extract<TrainEvent, { type: 'plan' }> => e.type === 'plan')!;
    expect(plan(one)).toMatchObject({ backend: 'wasm', threads: 1, patchesPerIteration: 3 });
    expect(plan(two)).toMatchObject({ backend: 'wasm', threads: 2, patchesPerIteration: 3 });
    expect(two.metrics).toHaveLength(2);
    two.metrics.forEach((m, i) => {
      const ref = one.metrics[i]!;
      expect(m.loss).toBeCloseTo(ref.loss, 4);
      expect(m.valLoss!).toBeCloseTo(ref.valLoss!, 4);
      expect(m.trainAccuracy).toBe(ref.trainAccuracy);
      expect(m.valAccuracy).toBe(ref.valAccuracy);
    });
    const [a, b] = [await finalWeights(1), await finalWeights(2)];
    expect(b).toHaveLength(a.length);
    a.forEach((w, i) => expect(relError(b[i]!, w)).toBeLessThan(1e-4));
  });

  it('a model loaded with 2 threads predicts as with 1', async () => {
    const samples = quadrantSamples(3, 24, 4);
    const serial = await loadModel(path.join(root, 't1'), 'last');
    const parallel = await loadModel(path.join(root, 't1'), 'last', { threads: 2 });
    try {
      expect(serial.pool ?? null).toBeNull();
      expect(parallel.pool?.size).toBe(2);
      const [p, q] = [await predict(serial, samples), await predict(parallel, samples)];
      q.forEach((x, i) => {
        expect(x.predicted).toBe(p[i]!.predicted);
        const probs = Float32Array.from(x.probabilities);
        expect(relError(probs, Float32Array.from(p[i]!.probabilities))).toBeLessThan(1e-5);
      });
      // Grading's Z: the pool fills the same latent grid from the samples' patch sources.
      const batch = () => openPatchBatch(samples, 24, 8, serial.config.normalization);
      const [zs, zp] = [await embed(serial, await batch()), await embed(parallel, await batch())];
      expect(zp.shape).toEqual([3, 3, 3, 6]);
      expect(relError(zp.dataSync() as Float32Array, zs.dataSync() as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([zs, zp]);
    } finally {
      disposeModel(serial);
      disposeModel(parallel);
    }
  });
});
