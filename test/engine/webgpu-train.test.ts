/**
 * The engine's paths on the software WebGPU adapter against wasm (one engine thread, same seeds): one PatchGD
 * step and one GD-baseline step (loss, every gradient, the weights after the Adam update); a short training run
 * (same losses and metrics within float32 noise), its checkpoints, a cancelled and resumed run, predictions and
 * Grad-CAM of the trained model. The small backbone keeps SwiftShader's share of the test time to seconds;
 * test/engine/webgpu-layers.test.ts covers every layer of ResNet50 and MobileNetV2.
 */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from '../../core/learn/backend/backend.ts';
import { bufferLimit, profiled } from '../../core/learn/runner/memory.ts';
import { gradCam } from '../../core/learn/grading/attention.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../core/shared/train-config.ts';
import { downscale, gdGradients, gdStep } from '../../core/learn/patchgd/gd.ts';
import { planGrid } from '../../core/learn/patchgd/grid.ts';
import {
  disposeModel,
  embed,
  loadModel,
  predict,
  openPatchBatch,
  trainRun,
} from '../../core/learn/runner/index.ts';
import {
  buildModels,
  disposeModels,
  trainableVariables,
  type RunModels,
} from '../../core/learn/patchgd/models.ts';
import { fillZ, innerIteration, oneHotLabels, patchgdStep } from '../../core/learn/patchgd/step.ts';
import { hostBatch } from '../helpers/patch-batch.ts';
import { quadrantSamples } from '../patchgd/synthetic.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';
import { startSoftwareWebgpu, webgpuSuite } from '../helpers/webgpu.ts';

const TOLERANCE = 1e-4;

const stepConfig = (method: 'patchgd' | 'gd') =>
  parseTrainConfig({
    method,
    backbone: 'small',
    imageSize: 32,
    patchSize: 16,
    latentDim: 8,
    numClasses: 3,
    sampling: 0.5,
    seed: 5,
  });

/** Weights as host arrays, to carry a model from one backend to the other. */
async function hostWeights(models: RunModels): Promise<Float32Array[]> {
  const all = [...models.backbone.weights, ...models.head.weights];
  return Promise.all(all.map(async (w) => (await w.read().data()) as Float32Array));
}

function setWeights(models: RunModels, values: Float32Array[]): void {
  [...models.backbone.weights, ...models.head.weights].forEach((w, i) =>
    w.write(tf.tensor(values[i]!, w.shape as number[])),
  );
}

interface StepOutcome {
  weights: Float32Array[];
  loss: number;
  grads: Float32Array[];
  after: Float32Array[];
}

const pixels = () => uniformValues(2 * 32 * 32 * 3, 17);
const images = () => tf.tensor4d(pixels(), [2, 32, 32, 3]);

/** One inner iteration's (or the GD step's) loss and gradients, then a whole step with Adam, on the running backend. */
async function oneStep(method: 'patchgd' | 'gd', weights: Float32Array[] | null): Promise<StepOutcome> {
  const config = stepConfig(method);
  const models = buildModels(config, method === 'gd' ? 16 : undefined);
  if (weights) setWeights(models, weights);
  const initial = await hostWeights(models);
  const variables = trainableVariables(models);
  const oneHot = oneHotLabels([0, 2], 3);
  let r: { loss: tf.Scalar; grads: tf.Tensor[]; logits: tf.Tensor };
  const x = images();
  if (method === 'patchgd') {
    const batch = hostBatch(pixels(), 2, 16);
    const z = await fillZ(models.backbone, batch, 2, true);
    const patches = tf.tensor5d(await batch.read([1, 2]), [2, 2, 16, 16, 3]);
    const inner = innerIteration(models, variables, z, patches, [1, 2], oneHot, 1, 9);
    r = inner;
    tf.dispose([patches, z, inner.z]);
  } else {
    const small = downscale(x, 16);
    r = gdGradients(models, variables, small, oneHot);
    small.dispose();
  }
  const loss = (await r.loss.data())[0]!;
  const grads = await Promise.all(r.grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([r.loss, r.logits, ...r.grads, oneHot, x]);
  const optimizer = new Adam(variables);
  if (method === 'patchgd') {
    const plan = planGrid(32, 16, 0.5, true);
    await patchgdStep(
      models,
      variables,
      optimizer,
      plan,
      hostBatch(pixels(), 2, 16),
      [0, 2],
      3,
      { permutation: [3, 1, 0, 2], dropoutSeeds: [4, 5] },
      1e-2,
    );
  } else {
    await gdStep(models, variables, optimizer, images(), [0, 2], 3, 1e-2);
  }
  const after = await hostWeights(models);
  optimizer.dispose();
  disposeModels(models);
  return { weights: initial, loss, grads, after };
}

const tiny: TrainConfigInput = {
  backbone: 'small',
  imageSize: 32,
  patchSize: 16,
  latentDim: 8,
  numClasses: 4,
  batchSize: 4,
  sampling: 0.5,
  epochs: 2,
  warmupEpochs: 0.5,
  lr: 5e-3,
  seed: 7,
};

const unavailable = await startSoftwareWebgpu();

describe.skipIf(unavailable !== null)(webgpuSuite('the engine on webgpu against wasm', unavailable), () => {
  let root = '';
  const train = quadrantSamples(8, 32, 5);
  const val = quadrantSamples(4, 32, 6);
  const reference: Partial<Record<'patchgd' | 'gd', StepOutcome>> = {};
  let wasmRun: Awaited<ReturnType<typeof trainRun>>;
  let wasmPredictions: Awaited<ReturnType<typeof predict>>;
  let wasmCam: Float32Array;

  beforeAll(async () => {
    root = await makeTempDir('patchgd-webgpu-');
    await selectBackend({ prefer: 'wasm', env: {} });
    for (const method of ['patchgd', 'gd'] as const) reference[method] = await oneStep(method, null);
    wasmRun = await trainRun(tiny, train, val, { runDir: path.join(root, 'wasm') });
    const model = await loadModel(path.join(root, 'wasm'));
    wasmPredictions = await predict(model, val);
    const z = await embed(model, await openPatchBatch([val[1]!], 32, 16, model.config.normalization));
    wasmCam = await gradCam(model, z, 1);
    tf.dispose(z);
    disposeModel(model);
    // From here on, webgpu (its tensors cannot move back: webgpu has no synchronous read in Node).
    await tf.setBackend('webgpu');
  });
  afterAll(async () => {
    await removeDir(root);
  });

  for (const method of ['patchgd', 'gd'] as const)
    it(`one ${method} step: the same loss, gradients and updated weights`, async () => {
      const ref = reference[method]!;
      const gpu = await oneStep(method, ref.weights);
      expect(tf.getBackend()).toBe('webgpu');
      expect(Math.abs(gpu.loss - ref.loss)).toBeLessThan(TOLERANCE * Math.max(1, ref.loss));
      expect(gpu.grads).toHaveLength(ref.grads.length);
      gpu.grads.forEach((g, i) =>
        expect(relError(g, ref.grads[i]!), `gradient ${i}`).toBeLessThan(TOLERANCE),
      );
      gpu.after.forEach((w, i) => expect(relError(w, ref.after[i]!), `weight ${i}`).toBeLessThan(TOLERANCE));
    });

  it('memory: a probe counts the GPU buffers held and its largest tensor; buffers are capped by the adapter', async () => {
    const limit = bufferLimit()!;
    const adapter = describeBackend().webgpu!;
    expect(limit).toEqual({
      bytes: Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize),
      adapter: expect.stringMatching(/^google swiftshader/),
    });
    const x = tf.zeros([4, 32, 32, 8]);
    const { peakBytes, largestBytes } = await profiled(async () => {
      const y = tf.relu(tf.add(x, 1));
      await tf.sum(y).data();
      y.dispose();
    });
    expect(largestBytes).toBe(4 * 32 * 32 * 8 * 4);
    const held = (tf.memory() as unknown as { numBytesAllocatedInGPU: number }).numBytesAllocatedInGPU;
    expect(peakBytes).toBeGreaterThanOrEqual(Math.max(held, 2 * largestBytes));
    x.dispose();
  });

  it('a short run: the same losses and metrics, checkpoints, resume, predictions and Grad-CAM', async () => {
    const gpuDir = path.join(root, 'webgpu');
    const gpuRun = await trainRun(tiny, train, val, { runDir: gpuDir });
    expect(tf.getBackend()).toBe('webgpu');
    expect(gpuRun.threads).toBe(1);
    gpuRun.history.forEach((h, i) => {
      const w = wasmRun.history[i]!;
      expect(Math.abs(h.loss - w.loss), `epoch ${i} loss`).toBeLessThan(1e-3 * Math.max(1, w.loss));
      expect(Math.abs(h.valLoss! - w.valLoss!), `epoch ${i} valLoss`).toBeLessThan(
        1e-3 * Math.max(1, w.valLoss!),
      );
      expect(h.trainAccuracy).toBe(w.trainAccuracy);
      expect(h.valAccuracy).toBe(w.valAccuracy);
    });

    // Cancelled after the first of epoch 1's two batches and resumed: the uninterrupted run's metrics.
    const controller = new AbortController();
    const resumedDir = path.join(root, 'resumed');
    const first = await trainRun(tiny, train, val, {
      runDir: resumedDir,
      signal: controller.signal,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type === 'step' && e.epoch === 1 && e.batch === 0) controller.abort();
      },
    });
    expect(first.cancelled).toBe(true);
    const second = await trainRun(tiny, train, val, { runDir: resumedDir, resume: true });
    expect(second.history.at(-1)!.valLoss).toBeCloseTo(gpuRun.history.at(-1)!.valLoss!, 5);

    const model = await loadModel(gpuDir);
    const predictions = await predict(model, val);
    predictions.forEach((p, i) => {
      expect(p.predicted).toBe(wasmPredictions[i]!.predicted);
      expect(
        relError(Float32Array.from(p.probabilities), Float32Array.from(wasmPredictions[i]!.probabilities)),
      ).toBeLessThan(1e-3);
    });
    const z = await embed(model, await openPatchBatch([val[1]!], 32, 16, model.config.normalization));
    expect(relError(await gradCam(model, z, 1), wasmCam)).toBeLessThan(1e-3);
    tf.dispose(z);
    disposeModel(model);
  });
});
