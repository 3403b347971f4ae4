import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, UsageError } from '../../core/base/errors.ts';
import { loadCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import {
  createProgressBar,
  disposeModel,
  embed,
  headLogits,
  loadModel,
  openPatchBatch,
  predict,
  trainRun,
  type TrainConfigInput,
  type TrainEvent,
} from '../../core/learn/runner/index.ts';
import { quadrantSamples } from './synthetic.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-train-');
});
afterAll(async () => {
  await removeDir(root);
});

const dir = (name: string) => path.join(root, name);

/** A tiny PatchGD setup: 16 px images, 8 px patches (k = 2), two inner iterations of two patches. */
const tinyConfig: TrainConfigInput = {
  backbone: 'small',
  imageSize: 16,
  patchSize: 8,
  latentDim: 4,
  numClasses: 4,
  batchSize: 4,
  sampling: 0.5,
  epochs: 2,
  warmupEpochs: 0.5,
  seed: 7,
};

async function weightsOf(runDir: string): Promise<number[][]> {
  const ckpt = await loadCheckpoint(runDir, 'last');
  const values = [...ckpt!.backbone.getWeights(), ...ckpt!.head.getWeights()].map((w) =>
    Array.from(w.dataSync()),
  );
  ckpt!.backbone.dispose();
  ckpt!.head.dispose();
  return values;
}

describe('trainRun', () => {
  it('learns the quadrant task (64 px images, 16 px patches) to high accuracy', async () => {
    const train = quadrantSamples(48, 64, 1);
    const val = quadrantSamples(24, 64, 2);
    const events: TrainEvent[] = [];
    const result = await trainRun(
      {
        backbone: 'small',
        imageSize: 64,
        patchSize: 16,
        latentDim: 8,
        numClasses: 4,
        batchSize: 8,
        sampling: 0.25,
        epochs: 4,
        warmupEpochs: 0.5,
        lr: 5e-3,
        seed: 3,
      },
      train,
      val,
      { runDir: dir('learn'), onEvent: (e) => events.push(e), metrics: { balanced: balancedAccuracy } },
    );
    const last = result.history[result.history.length - 1]!;
    expect(last.valAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(last.valBalanced).toBeGreaterThanOrEqual(0.9);
    expect(result.history[0]!.loss).toBeGreaterThan(last.loss);
    // Run folder: config, one metrics line per epoch, best and last checkpoints in the tfjs layers format.
    const lines = (await fs.readFile(path.join(dir('learn'), 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!)).toMatchObject({ epoch: 3, valAccuracy: last.valAccuracy });
    for (const name of ['best', 'last'])
      for (const part of [
        'backbone/model.json',
        'backbone/weights.bin',
        'head/model.json',
        'optimizer.bin',
        'state.json',
      ])
        await expect(fs.access(path.join(dir('learn'), 'checkpoints', name, part))).resolves.toBeUndefined();
    const modelJson = JSON.parse(
      await fs.readFile(path.join(dir('learn'), 'checkpoints/best/head/model.json'), 'utf8'),
    );
    expect(modelJson.format).toBe('layers-model');
    // Events: plan, epochs, steps with throughput and measured peak, checkpoints, done.
    expect(events[0]).toMatchObject({
      type: 'plan',
      method: 'patchgd',
      patchesPerIteration: 4,
      innerIterations: 4,
    });
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.every((e) => e.patchesPerSecond > 0 && e.peakBytes > 0 && e.eta >= 0)).toBe(true);
    expect(events.filter((e) => e.type === 'epoch-end')).toHaveLength(4);
    expect(events[events.length - 1]).toMatchObject({ type: 'done', cancelled: false, epochs: 4 });

    // Inference from the run folder: probabilities per image, and Z + head for attention maps.
    const model = await loadModel(dir('learn'));
    const predictions = await predict(model, val);
    expect(predictions).toHaveLength(24);
    expect(predictions.every((p) => Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5)).toBe(
      true,
    );
    const correct = predictions.filter((p, i) => p.predicted === val[i]!.label).length;
    expect(correct / val.length).toBe(result.best!.value);
    const z = await embed(model, await openPatchBatch(val.slice(0, 2), 64, 16, model.config.normalization));
    expect(z.shape).toEqual([2, 4, 4, 8]);
    expect(headLogits(model, z).shape).toEqual([2, 4]);
    // Z of a real image matches what predict saw: the head on it gives the same probabilities.
    const batch = await openPatchBatch([val[0]!], 64, 16, model.config.normalization);
    const probs = tf.softmax(headLogits(model, await embed(model, batch))).dataSync();
    predictions[0]!.probabilities.forEach((p, c) => expect(probs[c]).toBeCloseTo(p, 5));
    disposeModel(model);
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const train = quadrantSamples(8, 16, 4);
    const tensors = tf.memory().numTensors;
    await trainRun(tinyConfig, train, [], { runDir: dir('det-a') });
    // Everything a run allocates (probes, steps, optimizer, models) is freed again.
    expect(tf.memory().numTensors).toBe(tensors);
    await trainRun(tinyConfig, train, [], { runDir: dir('det-b') });
    await trainRun({ ...tinyConfig, seed: 8 }, train, [], { runDir: dir('det-c') });
    const [a, b, c] = await Promise.all(['det-a', 'det-b', 'det-c'].map((d) => weightsOf(dir(d))));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('cancel + resume reproduces the uninterrupted run (mid-epoch and at an epoch boundary)', async () => {
    const train = quadrantSamples(12, 16, 5);
    const val = quadrantSamples(4, 16, 6);
    await trainRun(tinyConfig, train, val, { runDir: dir('straight') });
    const straight = await weightsOf(dir('straight'));
    const straightMetrics = await fs.readFile(path.join(dir('straight'), 'metrics.jsonl'), 'utf8');

    for (const [name, stopAt] of [
      ['mid', { epoch: 0, batch: 1 }],
      ['boundary', { epoch: 0, batch: 2 }],
    ] as const) {
      const controller = new AbortController();
      const events: TrainEvent[] = [];
      const first = await trainRun(tinyConfig, train, val, {
        runDir: dir(name),
        signal: controller.signal,
        progressIntervalMs: 0,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step' && e.epoch === stopAt.epoch && e.batch === stopAt.batch) controller.abort();
        },
      });
      expect(first.cancelled).toBe(true);
      expect(events.some((e) => e.type === 'checkpoint' && e.name === 'last')).toBe(true);
      const second = await trainRun(tinyConfig, train, val, { runDir: dir(name), resume: true });
      expect(second.cancelled).toBe(false);
      const resumed = await weightsOf(dir(name));
      resumed.forEach((w, i) =>
        w.forEach((v, j) => expect(Math.abs(v - straight[i]![j]!)).toBeLessThan(1e-6)),
      );
      const metrics = (await fs.readFile(path.join(dir(name), 'metrics.jsonl'), 'utf8')).trim().split('\n');
      const reference = straightMetrics.trim().split('\n');
      expect(metrics).toHaveLength(2);
      metrics.forEach((line, i) =>
        expect(JSON.parse(line).valLoss).toBeCloseTo(JSON.parse(reference[i]!).valLoss, 5),
      );
    }
  });

  it('refuses to resume with a changed configuration, and to overwrite a run', async () => {
    const train = quadrantSamples(4, 16, 5);
    await trainRun({ ...tinyConfig, epochs: 1 }, train, [], { runDir: dir('changed') });
    await expect(
      trainRun({ ...tinyConfig, latentDim: 8 }, train, [], { runDir: dir('changed'), resume: true }),
    ).rejects.toThrow(/latentDim changed/);
    await expect(trainRun(tinyConfig, train, [], { runDir: dir('changed') })).rejects.toThrow(
      /already holds a trained run/,
    );
  });

  it('GD baseline trains on a smaller image under a tight budget and stays under it', async () => {
    const train = quadrantSamples(4, 32, 8);
    const gd = { ...tinyConfig, method: 'gd' as const, imageSize: 32, epochs: 1 };
    const roomy: TrainEvent[] = [];
    await trainRun(gd, train, [], { runDir: dir('gd-roomy'), onEvent: (e) => roomy.push(e) });
    const plan = roomy[0] as Extract<TrainEvent, { type: 'plan' }>;
    expect(plan.inputSize).toBe(32);
    const budget = Math.round(plan.peakBytes * 0.6);
    const tight: TrainEvent[] = [];
    const result = await trainRun({ ...gd, memoryBudgetBytes: budget }, train, [], {
      runDir: dir('gd-tight'),
      progressIntervalMs: 0,
      onEvent: (e) => tight.push(e),
    });
    expect(result.epochsCompleted).toBe(1);
    const tightPlan = tight.filter((e) => e.type === 'plan').pop() as Extract<TrainEvent, { type: 'plan' }>;
    expect(tightPlan.inputSize).toBeLessThan(32);
    expect(tightPlan.message).toMatch(/downscaled to \d+ px/);
    const steps = tight.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(steps.slice(-1)[0]!.peakBytes).toBeLessThanOrEqual(budget);
  });

  it('PatchGD under a tight budget uses fewer patches per inner iteration and stays under it', async () => {
    const train = quadrantSamples(4, 32, 9);
    const config = { ...tinyConfig, imageSize: 32, sampling: 1, epochs: 1 };
    const roomy: TrainEvent[] = [];
    await trainRun(config, train, [], { runDir: dir('pgd-roomy'), onEvent: (e) => roomy.push(e) });
    const plan = roomy[0] as Extract<TrainEvent, { type: 'plan' }>;
    expect(plan.patchesPerIteration).toBe(16);
    const budget = Math.round(plan.peakBytes * 0.85);
    const tight: TrainEvent[] = [];
    await trainRun({ ...config, memoryBudgetBytes: budget }, train, [], {
      runDir: dir('pgd-tight'),
      progressIntervalMs: 0,
      onEvent: (e) => tight.push(e),
    });
    const tightPlan = tight[0] as Extract<TrainEvent, { type: 'plan' }>;
    expect(tightPlan.patchesPerIteration).toBeLessThan(16);
    expect(tightPlan.innerIterations).toBe(Math.ceil(16 / tightPlan.patchesPerIteration));
    const steps = tight.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(steps.every((e) => e.peakBytes <= budget)).toBe(true);
  });

  it('bad samples fail with the sample and the problem named', async () => {
    const wrongSize = [
      { id: 'slide-7', label: 1, load: async () => ({ width: 8, height: 8, data: new Uint8Array(192) }) },
    ];
    await expect(trainRun(tinyConfig, wrongSize, [], { runDir: dir('bad-size') })).rejects.toThrow(
      DatasetError,
    );
    await expect(trainRun(tinyConfig, wrongSize, [], { runDir: dir('bad-size') })).rejects.toThrow(
      /slide-7.*8×8, expected 16×16/,
    );
    const badLabel = [{ id: 'slide-8', label: 9, load: async () => new Float32Array(16 * 16 * 3) }];
    await expect(trainRun(tinyConfig, badLabel, [], { runDir: dir('bad-label') })).rejects.toThrow(
      /slide-8.*label 9/,
    );
    await expect(trainRun(tinyConfig, [], [], { runDir: dir('empty') })).rejects.toThrow(UsageError);
    const failing = [
      {
        id: 'slide-9',
        label: 0,
        load: async (): Promise<Float32Array> => {
          throw new Error('disk gone');
        },
      },
    ];
    await expect(trainRun(tinyConfig, failing, [], { runDir: dir('bad-load') })).rejects.toThrow(
      /slide-9: cannot load image: disk gone/,
    );
  });
});

describe('progress bar', () => {
  const step: TrainEvent = {
    type: 'step',
    epoch: 0,
    epochs: 2,
    batch: 4,
    batches: 10,
    loss: 0.6931,
    lr: 1e-3,
    patchesPerSecond: 812,
    peakBytes: 3 * 1024 ** 2,
    patchWait: 0,
    eta: 75,
  };

  it('prints plain lines when not a TTY', () => {
    let text = '';
    const render = createProgressBar({ write: (s: string) => (text += s), isTTY: false });
    render(step);
    render({ type: 'checkpoint', epoch: 0, name: 'last', path: '/x' });
    expect(text).toBe(
      'epoch 1/2 batch 5/10 loss 0.6931 812 patches/s peak 3.0 MiB ETA 01:15\nsaved last checkpoint (epoch 0)\n',
    );
    text = '';
    render({ ...step, patchWait: 0.234 });
    expect(text).toContain('peak 3.0 MiB waiting for patches 23% ETA 01:15');
  });

  it('redraws one line with a bar on a TTY', () => {
    let text = '';
    const render = createProgressBar({ write: (s: string) => (text += s), isTTY: true, columns: 120 });
    render(step);
    render({ ...step, batch: 5 });
    expect(text).toContain('\r\x1b[2K');
    expect(text).toMatch(/\[#+\.+\] epoch 1\/2 batch 6\/10/);
    expect(text.includes('\n')).toBe(false);
    const metrics = {
      epoch: 0,
      loss: 0.5,
      trainAccuracy: 0.8,
      valLoss: 0.6,
      valAccuracy: 0.75,
      seconds: 1,
      patchesPerSecond: 9,
      lr: 1e-3,
    };
    render({ type: 'epoch-end', epoch: 0, epochs: 2, metrics, eta: 10 });
    expect(text).toContain('epoch 1/2 done: loss 0.5000, train acc 0.800, val acc 0.750, ETA 00:10\n');
    render({ ...step, epoch: 1 });
    expect(text.split('\n').pop()).toMatch(/epoch 2\/2 .* valAccuracy 0\.750$/);
    let plain = '';
    const withQwk = createProgressBar({ write: (s: string) => (plain += s) }, { metric: 'valQwk' });
    withQwk({ type: 'epoch-end', epoch: 0, epochs: 2, metrics: { ...metrics, valQwk: 0.8123 }, eta: 10 });
    expect(plain).toBe(
      'epoch 1/2 done: loss 0.5000, train acc 0.800, val acc 0.750, valQwk 0.812, ETA 00:10\n',
    );
  });
});

function balancedAccuracy(labels: number[], predictions: number[]): number {
  const classes = [...new Set(labels)];
  const recall = classes.map((c) => {
    const idx = labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
    return idx.filter((i) => predictions[i] === c).length / idx.length;
  });
  return recall.reduce((a, b) => a + b, 0) / classes.length;
}
