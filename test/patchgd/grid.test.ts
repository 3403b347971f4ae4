import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { chunkIndices, gridSize, planGrid } from '../../core/learn/patchgd/grid.ts';
import { Prng } from '../../core/base/random.ts';
import { learningRate } from '../../core/learn/patchgd/schedule.ts';

describe('grid plan', () => {
  it.each([
    // image, patch, s, k, P, inner iterations
    [512, 32, 1 / 8, 16, 32, 8],
    [512, 128, 1 / 8, 4, 2, 8],
    // 3×3 patches, P = 2: ⌈9/2⌉ = 5 iterations, not ⌈1/s⌉ = 8 (the reference's slices end with one patch).
    [96, 32, 1 / 8, 3, 2, 5],
    [160, 32, 1 / 4, 5, 7, 4],
    [224, 32, 0.5, 7, 25, 2],
    [384, 32, 1 / 3, 12, 48, 3],
    [64, 16, 1, 4, 16, 1],
  ])(
    '%i px / %i px patches, s = %f → k = %i, P = %i, %i inner iterations',
    (image, patch, s, k, p, inner) => {
      const plan = planGrid(image, patch, s, true);
      expect(plan).toEqual({
        k,
        numPatches: k * k,
        patchesPerIteration: p,
        innerIterations: inner,
        accumulationSteps: inner,
      });
      expect(planGrid(image, patch, s, false).accumulationSteps).toBe(1);
    },
  );

  it('a budget-lowered P keeps every patch covered with more inner iterations', () => {
    const plan = planGrid(512, 32, 1 / 8, true, 10);
    expect(plan.patchesPerIteration).toBe(10);
    expect(plan.innerIterations).toBe(Math.ceil(256 / 10));
    expect(plan.accumulationSteps).toBe(plan.innerIterations);
  });

  it('chunks of one permutation cover every patch exactly once with the defaults', () => {
    const plan = planGrid(512, 32, 1 / 8, true);
    const perm = Prng.fromSeed(5).permutation(plan.numPatches);
    const chunks = chunkIndices(perm, plan);
    expect(chunks).toHaveLength(8);
    expect(chunks.every((c) => c.length === 32)).toBe(true);
    expect(new Set(chunks.flat()).size).toBe(256);
  });

  it('ends with a shorter chunk instead of wrapping around when P·⌈1/s⌉ > k², as the reference slices', () => {
    for (const [image, s, lengths] of [
      [160, 1 / 4, [7, 7, 7, 4]],
      [96, 1 / 8, [2, 2, 2, 2, 1]],
    ] as const) {
      const plan = planGrid(image, 32, s, true);
      const perm = Prng.fromSeed(2).permutation(plan.numPatches);
      const chunks = chunkIndices(perm, plan);
      expect(chunks.map((c) => c.length)).toEqual(lengths);
      expect(chunks.flat()).toEqual(perm);
      expect(plan.accumulationSteps).toBe(lengths.length);
    }
  });

  it('rejects images that are not a whole number of patches, naming both sizes', () => {
    expect(() => gridSize(500, 32)).toThrow(UsageError);
    expect(() => gridSize(500, 32)).toThrow(/500.*32/);
    expect(() => parseTrainConfig({ imageSize: 500, patchSize: 32 })).toThrow(/not a multiple/);
  });
});

describe('configuration', () => {
  it("has the paper's defaults", () => {
    const c = parseTrainConfig({});
    expect(c).toMatchObject({
      method: 'patchgd',
      backbone: 'resnet50',
      imageSize: 512,
      patchSize: 32,
      sampling: 1 / 8,
      latentDim: 256,
      lr: 1e-3,
      warmupEpochs: 2,
      gradAccumulation: true,
      seed: 42,
      numClasses: 6,
    });
    expect(c.normalization.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it('names the bad fields', () => {
    expect(() => parseTrainConfig({ sampling: 2, backbone: 'vgg' })).toThrow(
      /sampling.*backbone|backbone.*sampling/,
    );
  });
});

describe('schedule', () => {
  it('follows the reference: warm-up over 2 epochs, then linear decay toward 0 at 2·E epochs', () => {
    // E = 100 epochs of 10 batches: warm-up 20 batches; lr(step) = lr·(2000 − step)/(2000 − 20) after it.
    const lr = (step: number) => learningRate(step, 1000, 20, 1e-3);
    expect(lr(0)).toBeCloseTo(5e-5, 12);
    expect(lr(19)).toBeCloseTo(1e-3, 12);
    expect(lr(20)).toBeCloseTo(1e-3, 12);
    expect(lr(500)).toBeCloseTo((1e-3 * 1500) / 1980, 12);
    // The last batch ends near E/(2E − 2) of the peak.
    expect(lr(999) / 1e-3).toBeCloseTo(100 / 198, 2);
  });

  it('warms up linearly, then decays linearly to the final fraction', () => {
    const lr = (step: number) => learningRate(step, 100, 10, 1e-3, 0.5);
    expect(lr(0)).toBeCloseTo(1e-4);
    expect(lr(9)).toBeCloseTo(1e-3);
    expect(lr(10)).toBeCloseTo(1e-3);
    expect(lr(99)).toBeCloseTo(5e-4);
    expect(lr(50)).toBeLessThan(lr(20));
  });
});
