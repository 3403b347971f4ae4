import type * as tf from '@tensorflow/tfjs-core';
import type { Prng } from '../../base/random.ts';
import type { TrainConfig } from '../../shared/train-config.ts';
import type { Adam } from '../patchgd/adam.ts';
import { gdStep } from '../patchgd/gd.ts';
import type { GridPlan } from '../patchgd/grid.ts';
import { toBatchTensor } from '../patchgd/image.ts';
import type { RunModels } from '../patchgd/models.ts';
import { patchgdStep, type StepDraws } from '../patchgd/step.ts';
import type { EnginePool } from '../parallel/pool.ts';
import { parallelPatchgdStep } from '../parallel/step-parallel.ts';
import type { LoadedBatch } from './batch-prefetch.ts';
import { checkStepPeak, profiled } from './memory.ts';

/** One trained batch, measured. */
export interface StepOutcome {
  loss: number;
  predictions: number[];
  /** Patches the backbone encoded (0 for the GD baseline). */
  patches: number;
  seconds: number;
  /** Tensor peak summed over the engine threads, within the memory budget. */
  peakBytes: number;
  /** Seconds of the step spent waiting for patches from the batch's sources (0 for the GD baseline). */
  patchWaitSeconds: number;
}

/** Trains one batch (taking it: a PatchGD batch's sources are closed after the step). */
export type TrainStep = (batch: LoadedBatch, labels: number[], lr: number) => Promise<StepOutcome>;

/**
 * The update of one batch of a run: the GD baseline on its whole images, PatchGD on this thread, or PatchGD on
 * the engine threads (`pool`), both reading the batch's patches from its sources. Each step is profiled; one over the memory budget stops the run with a UsageError.
 */
export function trainStep(
  config: TrainConfig,
  models: RunModels,
  variables: readonly tf.Variable[],
  optimizer: Adam,
  grid: GridPlan | null,
  pool: EnginePool | null,
  prng: Prng,
): TrainStep {
  return async (loaded, labels, lr) => {
    const started = performance.now();
    const { value: r, peakBytes: mainPeak } = await profiled<{
      loss: number;
      predictions: number[];
      patchesEncoded: number;
      workerPeakBytes: number[];
      patchWaitSeconds: number;
    }>(async () => {
      if (Array.isArray(loaded)) {
        const images = toBatchTensor(loaded, config.imageSize);
        const r = await gdStep(models, variables, optimizer, images, labels, config.numClasses, lr);
        return { ...r, patchesEncoded: 0, workerPeakBytes: [], patchWaitSeconds: 0 };
      }
      if (grid === null) throw new Error('a PatchGD batch needs the run grid');
      const args = [grid, loaded, labels, config.numClasses, drawStep(prng, grid), lr] as const;
      try {
        return pool
          ? await parallelPatchgdStep(pool, models, variables, optimizer, ...args)
          : { ...(await patchgdStep(models, variables, optimizer, ...args)), workerPeakBytes: [] };
      } finally {
        await loaded.close();
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const peakBytes = checkStepPeak([mainPeak, ...r.workerPeakBytes], config.memoryBudgetBytes);
    return {
      loss: r.loss,
      predictions: r.predictions,
      patches: r.patchesEncoded,
      seconds,
      peakBytes,
      patchWaitSeconds: r.patchWaitSeconds,
    };
  };
}

/** Per-batch random draws, from the run's PRNG so that a resumed run repeats them. */
function drawStep(prng: Prng, grid: GridPlan): StepDraws {
  return {
    permutation: prng.permutation(grid.numPatches),
    dropoutSeeds: Array.from({ length: grid.innerIterations }, () => prng.nextUint32()),
    fillOrder: prng.permutation(grid.numPatches),
  };
}
