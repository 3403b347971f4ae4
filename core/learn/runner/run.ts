import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from '../../base/errors.ts';
import { Prng } from '../../base/random.ts';
import type { TrainConfigInput } from '../../shared/train-config.ts';
import { Adam } from '../patchgd/adam.ts';
import { checkLabel, type Sample } from '../patchgd/image.ts';
import { fillChunks } from '../patchgd/grid.ts';
import { disposeModels, trainableVariables } from '../patchgd/models.ts';
import { BatchPrefetch } from './batch-prefetch.ts';
import { CallbackList, History } from './callbacks.ts';
import type { CheckpointName, TrainState } from './checkpoint.ts';
import { afterEpoch, ON_STOP } from './checkpoint-policy.ts';
import { epochMetrics, type MetricFn } from './epoch-metrics.ts';
import type { EpochMetrics, TrainEvent } from './events.ts';
import { loadPretrained, planEvent, planRun, startEngineThreads, stepGrid } from './planner.ts';
import { progressEvents } from './progress-events.ts';
import { resolveRunConfig, resumeThreads, RunFolder } from './run-folder.ts';
import { RunSchedule } from './run-schedule.ts';
import { freshState, nextEpoch, recordStep } from './train-state.ts';
import { trainStep } from './train-step.ts';

export type { MetricFn } from './epoch-metrics.ts';

export interface TrainOptions {
  /** Run folder: config.json, metrics.jsonl, checkpoints/{last,best}. */
  runDir: string;
  onEvent?: (event: TrainEvent) => void;
  /** Stops after the current step, leaving `checkpoints/last` at that point. */
  signal?: AbortSignal;
  /** Continue from `checkpoints/last` of `runDir` (its config.json wins; only `epochs`/`workers`/`threads` may change). */
  resume?: boolean;
  /** Validation metrics by name, reported as `val<Name>` (e.g. `{ qwk }` → `valQwk`). */
  metrics?: Record<string, MetricFn>;
  /** Minimum milliseconds between two step events (default 250). */
  progressIntervalMs?: number;
  /** Files (name → text) written into the run folder once it is known to be usable, e.g. the data split. */
  runFiles?: Record<string, string>;
}

export interface TrainResult {
  runDir: string;
  /** Engine threads the steps ran on. */
  threads: number;
  epochsCompleted: number;
  cancelled: boolean;
  history: EpochMetrics[];
  best: TrainState['best'];
}

/**
 * Trains a PatchGD model (or the GD baseline) on `train`, validating on `val` after every epoch; writes the run
 * folder and checkpoints. Deterministic for a seed on one backend, and a resumed run continues exactly.
 *
 * The loop only sequences its collaborators: the run folder (files, resume), the planner (models, P or input
 * side, engine threads), the schedule (batches, learning rate), the step, the checkpoint policy, and the
 * callbacks (history, metrics log, progress events) — see README.md.
 */
export async function trainRun(
  configInput: TrainConfigInput,
  train: readonly Sample[],
  val: readonly Sample[],
  options: TrainOptions,
): Promise<TrainResult> {
  const resume = options.resume ?? false;
  const resolved = await resolveRunConfig(options.runDir, configInput, resume);
  if (train.length === 0) throw new UsageError(null, 'no training samples');
  for (const s of [...train, ...val]) checkLabel(s, resolved.numClasses);
  const folder = await RunFolder.open(options.runDir, resume, options.runFiles ?? {});
  const config = resumeThreads(resolved, folder.resumed, options.runDir);
  const plan = await planRun(config, folder.resumed, tf.getBackend(), train[0]!);
  const { models } = plan;
  const variables = trainableVariables(models);
  const optimizer = new Adam(variables);
  let pool = plan.pool;
  try {
    if (folder.resumed) optimizer.setState(folder.resumed.optimizer);
    const weightNotes = folder.resumed ? [] : await loadPretrained(config, models);
    const fresh = () => freshState(config.seed, plan.patchesPerIteration, models.inputSize);
    const state = await folder.begin(config, fresh, train.length);
    const prng = Prng.fromState(state.prng);
    const grid = stepGrid(config, state.patchesPerIteration);
    pool = await startEngineThreads(plan);
    state.threads = pool?.size ?? 1;
    if (!folder.resumed) state.planPeakBytes = plan.peakBytes;
    const schedule = new RunSchedule(config, train.length);
    const step = trainStep(config, models, variables, optimizer, grid, pool, prng);
    const history = new History();
    const callbacks = new CallbackList([
      history,
      { onEpochEnd: (metrics) => folder.appendMetrics(metrics) },
      progressEvents(
        options.onEvent ?? (() => {}),
        options.progressIntervalMs ?? 250,
        config.epochs,
        schedule,
      ),
    ]);
    const save = async (names: readonly CheckpointName[]) => {
      state.prng = prng.state;
      for (const name of names) {
        const { backbone, head } = models;
        const at = await folder.saveCheckpoint(name, {
          backbone,
          head,
          optimizer: await optimizer.getState(),
          state,
        });
        await callbacks.onCheckpoint(state.epoch, name, at);
      }
    };

    await callbacks.onTrainBegin(planEvent(config, plan, grid, pool, weightNotes));
    let cancelled = false;
    while (state.epoch < config.epochs && !cancelled) {
      if (state.order.length === 0) state.order = prng.permutation(train.length);
      await callbacks.onEpochBegin(state.epoch);
      const samplesOf = (b: number) => schedule.batch(state.order, b).map((i) => train[i]!);
      const firstChunk = grid ? fillChunks(grid.numPatches, grid.patchesPerIteration)[0]! : null;
      const batches = new BatchPrefetch(samplesOf, schedule.batchesPerEpoch, state.batch, config, firstChunk);
      for (; state.batch < schedule.batchesPerEpoch; state.batch++) {
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const labels = samplesOf(state.batch).map((s) => s.label);
        const batch = await batches.take(state.batch);
        const lr = schedule.lr(state.globalBatch);
        const outcome = await step(batch, labels, lr);
        // The first non-finite loss ends the run: its update already spoiled the weights in memory, so nothing
        // more is saved and the checkpoints on disk stay the last good state.
        if (!Number.isFinite(outcome.loss))
          throw new UsageError(
            folder.dir,
            `training diverged: the loss is ${outcome.loss} at epoch ${state.epoch + 1}, batch ${state.batch + 1} ` +
              `(learning rate ${lr}); stopped without saving, so the checkpoints on disk (if any) hold the last good ` +
              'state; try a lower learning rate',
          );
        recordStep(state, outcome, labels);
        await callbacks.onBatchEnd({
          ...outcome,
          epoch: state.epoch,
          batch: state.batch,
          globalBatch: state.globalBatch,
          lr,
        });
      }
      await batches.close();
      if (cancelled) {
        await save(ON_STOP);
        break;
      }
      const lr = schedule.lr(state.globalBatch - 1);
      const metrics = await epochMetrics(config, models, pool, state, val, options.metrics ?? {}, lr);
      await callbacks.onEpochEnd(metrics, state.globalBatch);
      const chosen = afterEpoch(config.bestMetric, metrics, state.best);
      state.best = chosen.best;
      nextEpoch(state);
      await save(chosen.save);
    }
    await callbacks.onTrainEnd(state.epoch, cancelled, state.best);
    const threads = pool?.size ?? 1;
    return {
      runDir: folder.dir,
      threads,
      epochsCompleted: state.epoch,
      cancelled,
      history: history.epochs,
      best: state.best,
    };
  } finally {
    await pool?.close();
    optimizer.dispose();
    disposeModels(models);
  }
}
