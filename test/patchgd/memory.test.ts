import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { planGrid } from '../../core/learn/patchgd/grid.ts';
import {
  BufferTooLarge,
  chooseGdInputSize,
  choosePatchesPerIteration,
  largestTensorBytes,
  measurePatchgdPeak,
  profiled,
  updateMargin,
} from '../../core/learn/runner/memory.ts';
import { foldProfile } from '../../core/learn/patchgd/profile-fold.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/learn/patchgd/models.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const F32 = 4;

/** Models for a given image size (the head depends on k) and a function measuring a step's peak at P. */
function setup(imageSize: number, batchSize = 2) {
  const config = parseTrainConfig({
    backbone: 'small',
    imageSize,
    patchSize: 16,
    latentDim: 4,
    numClasses: 3,
    batchSize,
  });
  const models = buildModels(config);
  const variables = trainableVariables(models);
  const optimizer = new Adam(variables);
  return {
    config,
    models,
    variables,
    measure: (p: number) => measurePatchgdPeak(models, variables, imageSize, batchSize, p, 3),
    dispose: () => {
      optimizer.dispose();
      disposeModels(models);
    },
  };
}

describe('memory budget', () => {
  it('at fixed P the step peak grows only by Z-sized tensors when the image doubles: no image is held', async () => {
    const P = 4;
    const small = setup(64);
    const large = setup(128);
    const peakSmall = await small.measure(P);
    const peakLarge = await large.measure(P);
    // The bigger image also has a bigger head (k = 8 vs 4: one more block), so take out what scales with the
    // parameters: weights, two Adam moments and the two gradient sets alive during accumulation.
    const weights = (s: ReturnType<typeof setup>) => s.variables.reduce((n, v) => n + v.size * F32 * 5, 0);
    const growth = peakLarge - weights(large) - (peakSmall - weights(small));
    const B = 2;
    const imageGrowth = B * (128 * 128 - 64 * 64) * 3 * F32;
    const zGrowth = B * (64 - 16) * 4 * F32;
    // Patches are read chunk by chunk from the sources: only Z-sized tensors grow (Z, its update and the head's
    // training activations and their gradients, about 40 Z-sized maps with this head), far less than the image.
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThanOrEqual(64 * zGrowth);
    expect(growth).toBeLessThan(imageGrowth / 2);
    // What the sources hold counts too: a uint8 image per sample is added as given.
    expect(await measurePatchgdPeak(large.models, large.variables, 128, B, P, 3, 1000)).toBe(
      peakLarge + 1000,
    );
    // Whereas P drives the backbone activations: doubling P adds more than all of that.
    const peakLargeP2 = await large.measure(2 * P);
    expect(peakLargeP2 - peakLarge).toBeGreaterThan(imageGrowth + 64 * zGrowth);
    small.dispose();
    large.dispose();
  });

  it('lowers P to fit a tight budget, with a message, and refuses an impossible one', async () => {
    const s = setup(64, 4);
    const plan = planGrid(64, 16, 1, true); // nominal P = 16
    const margin = updateMargin(s.variables);
    const atOne = (await s.measure(1)) + margin;
    const atFull = (await s.measure(16)) + margin;
    expect(atFull).toBeGreaterThan(atOne);
    const budget = Math.round((atOne + atFull) / 2);
    const chosen = await choosePatchesPerIteration(s.measure, plan, budget, margin);
    expect(chosen.patchesPerIteration).toBeGreaterThan(1);
    expect(chosen.patchesPerIteration).toBeLessThan(16);
    expect(chosen.peakBytes).toBeLessThanOrEqual(budget);
    expect(chosen.message).toMatch(/patches per inner iteration instead of 16/);
    const roomy = await choosePatchesPerIteration(s.measure, plan, 10 * atFull, margin);
    expect(roomy).toMatchObject({ patchesPerIteration: 16, message: null });
    const refusal = choosePatchesPerIteration(s.measure, plan, Math.round(atOne / 2), margin);
    await expect(refusal).rejects.toThrow(UsageError);
    await expect(choosePatchesPerIteration(s.measure, plan, Math.round(atOne / 2), margin)).rejects.toThrow(
      /memory budget .* too small: one patch per inner iteration needs/,
    );
    s.dispose();
  });

  it('a P (or GD size) whose tensors exceed a GPU buffer does not fit: shrunk with the reason, or refused at 1', async () => {
    // A GPU whose largest buffer holds the tensors of up to 5 patches (webgpu's adapter limit; bufferLimit()).
    const over = new BufferTooLarge(
      null,
      "a 2.0 GiB tensor does not fit the GPU's largest buffer, 1.0 GiB on gpu",
    );
    const measure = async (p: number) => {
      if (p > 5) throw over;
      return 1000 * p;
    };
    const plan = planGrid(64, 16, 1, true); // nominal P = 16
    const chosen = await choosePatchesPerIteration(measure, plan, 0, 0);
    expect(chosen.patchesPerIteration).toBeLessThanOrEqual(5);
    expect(chosen.patchesPerIteration).toBeGreaterThanOrEqual(4);
    expect(chosen.message).toMatch(
      /^a 2.0 GiB tensor does not fit the GPU's largest buffer, 1.0 GiB on gpu at more: \d patches per inner iteration instead of 16/,
    );
    await expect(choosePatchesPerIteration(async () => Promise.reject(over), plan, 0, 0)).rejects.toBe(over);
    const gd = await chooseGdInputSize(
      async (side) => {
        if (side > 96) throw over;
        return side * side;
      },
      256,
      0,
      32,
    );
    expect(gd.inputSize).toBe(96);
    expect(gd.message).toMatch(/at larger sizes: GD baseline trains on images downscaled to 96 px/);
  });

  it('the largest tensor of a profile is the largest kernel input or output', () => {
    expect(
      largestTensorBytes([
        { inputShapes: [[2, 8, 8, 3]], outputShapes: [[2, 8, 8, 16]] },
        { inputShapes: [[2, 8, 8, 16], [16]], outputShapes: [[2, 16]] },
      ]),
    ).toBe(2 * 8 * 8 * 16 * F32);
  });

  it('measuring leaves batch-norm statistics and weights untouched', async () => {
    const s = setup(64);
    const before = s.models.backbone.getWeights().map((w) => Array.from(w.dataSync()));
    await s.measure(3);
    const after = s.models.backbone.getWeights().map((w) => Array.from(w.dataSync()));
    expect(after).toEqual(before);
    s.dispose();
  });

  it('folding the profile record as a step goes keeps the peak and forgets the kernels', async () => {
    // The peak (a 4 MB sum) comes first, then many small kernels: folded in between, the peak must survive.
    const work = (fold: boolean) => {
      const big = tf.ones([1024, 1024]);
      tf.sum(big).dispose();
      big.dispose();
      if (fold) {
        foldProfile();
        expect(tf.engine().state.activeProfile.kernels).toHaveLength(0);
      }
      for (let i = 0; i < 50; i++) tf.tidy(() => tf.add(tf.scalar(i), 1));
    };
    const plain = await profiled(() => work(false));
    const folded = await profiled(() => work(true));
    // Equal up to the few scalars tfjs keeps alive between the two runs.
    expect(Math.abs(folded.peakBytes - plain.peakBytes)).toBeLessThanOrEqual(1024);
    expect(folded.peakBytes).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });
});
