import { UsageError } from '../../base/errors.ts';
import type { TrainConfig } from '../../shared/train-config.ts';
import { loadBackboneWeights } from '../models/pytorch-weights.ts';
import { Adam } from '../patchgd/adam.ts';
import { planGrid, type GridPlan } from '../patchgd/grid.ts';
import { sourceBytes, type Sample } from '../patchgd/image.ts';
import { buildModels, disposeModels, trainableVariables, type RunModels } from '../patchgd/models.ts';
import { EnginePool } from '../parallel/pool.ts';
import { chooseThreads } from '../parallel/threads.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { TrainEvent } from './events.ts';
import {
  chooseGdInputSize,
  choosePatchesPerIteration,
  measureGdPeak,
  measureParallelPatchgdPeak,
  checkStepFloor,
  measurePatchgdPeak,
  updateMargin,
} from './memory.ts';

/** What a run trains with: its models, sized to the memory budget, and the engine threads to share the steps. */
export interface RunPlan {
  models: RunModels;
  patchesPerIteration: number;
  /** Step peak the probes measured (0 when resuming: the plan is the checkpoint's). */
  peakBytes: number;
  /** What the plan gave up (a smaller P or input side, fewer threads), if anything. */
  message: string | null;
  backend: string;
  /** Engine threads wanted, and the pool the planning probes ran on (PatchGD with more than one thread). */
  threads: number;
  pool: EnginePool | null;
}

/**
 * Plans a run on `backend`: a resumed run keeps what its checkpoint's plan chose, so it repeats the
 * uninterrupted run exactly; a fresh one builds models and sizes the step to the memory budget, measured on the
 * engine threads when there are several.
 */
export async function planRun(
  config: TrainConfig,
  resumed: Checkpoint | null,
  backend: string,
  first: Sample,
): Promise<RunPlan> {
  // The GD baseline runs on the calling thread (its batch of whole images is not split).
  const choice =
    config.method === 'patchgd'
      ? chooseThreads(config.threads, backend)
      : {
          threads: 1,
          note: (config.threads ?? 1) > 1 ? 'the GD baseline trains on one engine thread' : null,
        };
  const sized = resumed
    ? {
        models: {
          method: config.method,
          backbone: resumed.backbone,
          head: resumed.head,
          inputSize: resumed.state.inputSize,
        },
        patchesPerIteration: resumed.state.patchesPerIteration,
        peakBytes: resumed.state.planPeakBytes ?? 0,
        message: null,
        pool: null,
      }
    : config.method === 'gd'
      ? await sizeGd(config)
      : await sizePatchgd(config, choice.threads, backend, first);
  const message = [sized.message, choice.note].filter((m) => m !== null).join('; ') || null;
  return { ...sized, message, backend, threads: choice.threads };
}

type Sized = Pick<RunPlan, 'models' | 'patchesPerIteration' | 'peakBytes' | 'message' | 'pool'>;

/** The GD baseline: the largest input side (a multiple of 32; 4 for the small CNN) whose step fits. */
async function sizeGd(config: TrainConfig): Promise<Sized> {
  // Every probe makes the batch at full size before downscaling it: refuse by arithmetic first.
  checkStepFloor(config, 0);
  const result = await chooseGdInputSize(
    async (side) => {
      const models = buildModels(config, side);
      const variables = trainableVariables(models);
      const optimizer = new Adam(variables);
      try {
        return (
          (await measureGdPeak(models, variables, config.imageSize, config.batchSize, config.numClasses)) +
          updateMargin(variables)
        );
      } finally {
        optimizer.dispose();
        disposeModels(models);
      }
    },
    config.imageSize,
    config.memoryBudgetBytes,
    config.backbone === 'small' ? 4 : 32,
  );
  return {
    models: buildModels(config, result.inputSize),
    patchesPerIteration: 1,
    peakBytes: result.peakBytes,
    message: result.message,
    pool: null,
  };
}

/**
 * PatchGD: the largest P whose step fits, measured on the engine threads when there are several, with what the
 * batches' patch sources hold (judged from the first sample) counted next to the tensors.
 */
async function sizePatchgd(
  config: TrainConfig,
  threads: number,
  backend: string,
  first: Sample,
): Promise<Sized> {
  const models = buildModels(config);
  const variables = trainableVariables(models);
  const probeOptimizer = new Adam(variables);
  let pool: EnginePool | null = null;
  try {
    checkStepFloor(config, 4 * variables.reduce((n, v) => n + v.size, 0), threads);
    pool = threads > 1 ? await startPool(models.backbone, threads, backend) : null;
    const probe = {
      imageSize: config.imageSize,
      batchSize: config.batchSize,
      numClasses: config.numClasses,
      sourceBytes: await sourceBytes(first, config.imageSize, config.patchSize, config.batchSize),
    };
    const result = await choosePatchesPerIteration(
      (p) =>
        pool
          ? measureParallelPatchgdPeak(pool, models, variables, { ...probe, patchesPerIteration: p })
          : measurePatchgdPeak(
              models,
              variables,
              probe.imageSize,
              probe.batchSize,
              p,
              probe.numClasses,
              probe.sourceBytes,
            ),
      planGrid(config.imageSize, config.patchSize, config.sampling, config.gradAccumulation),
      config.memoryBudgetBytes,
      updateMargin(variables),
      pool?.size ?? 1,
    );
    return {
      models,
      patchesPerIteration: result.patchesPerIteration,
      peakBytes: result.peakBytes,
      message: result.message,
      pool,
    };
  } catch (err) {
    await pool?.close();
    disposeModels(models);
    throw err;
  } finally {
    probeOptimizer.dispose();
  }
}

/**
 * Gives a fresh run's backbone the pretrained weights of config `backboneWeights` (a PyTorch state_dict or a
 * `weights import` folder); returns what the plan event should say about them (e.g. a fresh latent layer).
 */
export async function loadPretrained(config: TrainConfig, models: RunModels): Promise<string[]> {
  if (!config.backboneWeights) return [];
  return (await loadBackboneWeights(models.backbone, config.backbone, config.backboneWeights)).notes;
}

/**
 * The engine threads training runs on: the planning probes' pool carries on, a resumed run starts one. Either
 * way the replicas get the weights training starts from (a fresh run may just have loaded pretrained ones).
 */
export async function startEngineThreads(plan: RunPlan): Promise<EnginePool | null> {
  if (plan.pool) {
    plan.pool.pushWeights(plan.models.backbone, 'all');
    return plan.pool;
  }
  return plan.threads > 1 ? startPool(plan.models.backbone, plan.threads, plan.backend) : null;
}

/** The PatchGD grid of a run's steps at the planned P; null for the GD baseline. */
export function stepGrid(config: TrainConfig, patchesPerIteration: number): GridPlan | null {
  return config.method === 'patchgd'
    ? planGrid(
        config.imageSize,
        config.patchSize,
        config.sampling,
        config.gradAccumulation,
        patchesPerIteration,
      )
    : null;
}

/** The `plan` event: what the run trains with, once its engine threads run. */
export function planEvent(
  config: TrainConfig,
  plan: RunPlan,
  grid: GridPlan | null,
  pool: EnginePool | null,
  notes: readonly string[] = [],
): Extract<TrainEvent, { type: 'plan' }> {
  return {
    type: 'plan',
    method: config.method,
    patchesPerIteration: grid?.patchesPerIteration ?? 0,
    innerIterations: grid?.innerIterations ?? 1,
    inputSize: plan.models.inputSize,
    peakBytes: plan.peakBytes,
    budgetBytes: config.memoryBudgetBytes,
    message: [plan.message, ...notes].filter((m) => m !== null).join('; ') || null,
    backend: plan.backend,
    threads: pool?.size ?? 1,
  };
}

/** Starts the engine threads with a replica of `backbone`; a failure names the way out. */
async function startPool(
  backbone: RunModels['backbone'],
  threads: number,
  backend: string,
): Promise<EnginePool> {
  try {
    return await EnginePool.start(backbone, threads, backend);
  } catch (err) {
    throw new UsageError(
      null,
      `cannot start ${threads} engine threads (${err instanceof Error ? err.message : String(err)}); try threads 1`,
      { cause: err },
    );
  }
}
