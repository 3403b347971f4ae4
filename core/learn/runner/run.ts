import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../base/errors.ts';
import { loadWeightsByName } from '../models/weights.ts';
import { Adam } from '../patchgd/adam.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { checkpointDir, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.ts';
import type { EpochMetrics, TrainEvent } from './events.ts';
import { gdStep } from '../patchgd/gd.ts';
import { fillChunks, planGrid } from '../patchgd/grid.ts';
import {
  checkLabel,
  loadNormalized,
  openPatchBatch,
  sourceBytes,
  toBatchTensor,
  type Sample,
} from '../patchgd/image.ts';
import type { PatchBatch } from '../patchgd/patch-batch.ts';
import {
  chooseGdInputSize,
  choosePatchesPerIteration,
  measureGdPeak,
  profiled,
  measurePatchgdPeak,
  measureParallelPatchgdPeak,
  checkStepPeak,
  updateMargin,
} from './memory.ts';
import { buildModels, disposeModels, trainableVariables, type RunModels } from '../patchgd/models.ts';
import { evaluateModels, readRunConfig } from './predict.ts';
import { Prng } from '../../base/random.ts';
import { learningRate } from '../patchgd/schedule.ts';
import { patchgdStep } from '../patchgd/step.ts';
import { parallelPatchgdStep } from '../parallel/step-parallel.ts';
import { EnginePool } from '../parallel/pool.ts';
import { chooseThreads } from '../parallel/threads.ts';
import * as tf from '@tensorflow/tfjs-core';

/** A metric on the validation set from true and predicted classes (e.g. quadratic weighted kappa). */
export type MetricFn = (labels: number[], predictions: number[], probabilities: number[][]) => number;

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

const MUTABLE_ON_RESUME = new Set(['epochs', 'workers', 'threads']);

async function resolveConfig(input: TrainConfigInput, options: TrainOptions): Promise<TrainConfig> {
  const given = parseTrainConfig(input);
  if (!options.resume) return given;
  const saved = await readRunConfig(options.runDir);
  const differing = (Object.keys(saved) as (keyof TrainConfig)[]).filter(
    (key) => !MUTABLE_ON_RESUME.has(key) && JSON.stringify(saved[key]) !== JSON.stringify(given[key]),
  );
  if (differing.length > 0)
    throw new UsageError(
      path.join(options.runDir, 'config.json'),
      `cannot resume with a different configuration (${differing.join(', ')} changed)`,
    );
  return { ...saved, epochs: given.epochs, workers: given.workers, threads: given.threads };
}

function metricKey(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** Larger is better except for losses. */
function improves(metric: string, value: number, best: number): boolean {
  return /loss/i.test(metric) ? value < best : value > best;
}

/**
 * A training batch: PatchGD opens the samples' patch sources (patches are read chunk by chunk during the step);
 * the GD baseline loads the whole images, normalised.
 */
async function loadBatch(
  samples: readonly Sample[],
  config: TrainConfig,
  firstChunk: readonly number[] | null,
): Promise<PatchBatch | Float32Array[]> {
  if (config.method === 'gd' || !firstChunk) return loadImages(samples, config);
  const batch = await openPatchBatch(
    samples,
    config.imageSize,
    config.patchSize,
    config.normalization,
    config.workers,
  );
  // The step's first chunk is read while the current step computes.
  batch.prefetch(firstChunk);
  return batch;
}

/** Loads samples with at most `workers` loads in flight, normalised. */
async function loadImages(samples: readonly Sample[], config: TrainConfig): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(samples.length);
  let next = 0;
  const worker = async () => {
    while (next < samples.length) {
      const i = next++;
      out[i] = await loadNormalized(samples[i]!, config.imageSize, config.normalization);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.workers, samples.length) }, worker));
  return out;
}

interface Planned {
  models: RunModels;
  patchesPerIteration: number;
  peakBytes: number;
  message: string | null;
  /** The engine threads the plan was measured on (PatchGD with more than one thread). */
  pool: EnginePool | null;
}

/**
 * Builds fresh models and sizes the step to the memory budget; with more than one engine thread, starts them and
 * measures the step as they run it.
 */
async function planRun(
  config: TrainConfig,
  threads: number,
  backend: string,
  first: Sample,
): Promise<Planned> {
  if (config.method === 'gd') {
    const step = config.backbone === 'small' ? 4 : 32;
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
      step,
    );
    return {
      models: buildModels(config, result.inputSize),
      patchesPerIteration: 1,
      peakBytes: result.peakBytes,
      message: result.message,
      pool: null,
    };
  }
  const models = buildModels(config);
  const variables = trainableVariables(models);
  const probeOptimizer = new Adam(variables);
  let pool: EnginePool | null = null;
  try {
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

function freshState(config: TrainConfig, planned: Planned): TrainState {
  return {
    epoch: 0,
    batch: 0,
    globalBatch: 0,
    prng: Prng.fromSeed(config.seed).state,
    order: [],
    partial: { lossSum: 0, correct: 0, seen: 0, patches: 0, seconds: 0 },
    best: null,
    patchesPerIteration: planned.patchesPerIteration,
    inputSize: planned.models.inputSize,
  };
}

/** Drops metrics lines of epochs a resumed run will train again (written after the checkpoint it resumes). */
async function trimMetrics(file: string, fromEpoch: number): Promise<void> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  // A kill during an append can leave a torn last line: it is dropped with the epochs to redo.
  const kept = text
    .split('\n')
    .filter((line) => {
      try {
        return (JSON.parse(line) as EpochMetrics).epoch < fromEpoch;
      } catch {
        return false;
      }
    })
    .map((line) => `${line}\n`)
    .join('');
  await writeFileAtomic(file, kept);
}

/**
 * Trains a PatchGD model (or the GD baseline) on `train`, validating on `val` after every epoch; writes the run
 * folder and checkpoints. Deterministic for a seed on one backend, and a resumed run continues exactly.
 */
export async function trainRun(
  configInput: TrainConfigInput,
  train: readonly Sample[],
  val: readonly Sample[],
  options: TrainOptions,
): Promise<TrainResult> {
  const config = await resolveConfig(configInput, options);
  if (train.length === 0) throw new UsageError(null, 'no training samples');
  train.forEach((s) => checkLabel(s, config.numClasses));
  val.forEach((s) => checkLabel(s, config.numClasses));
  const runDir = options.runDir;
  await fs.mkdir(runDir, { recursive: true });
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const emit = options.onEvent ?? (() => {});

  if (!options.resume && ((await checkpointDir(runDir, 'last')) || (await checkpointDir(runDir, 'best'))))
    throw new UsageError(runDir, 'this folder already holds a trained run: resume it or choose a new folder');
  const ckpt = options.resume ? await loadCheckpoint(runDir, 'last') : null;
  if (options.resume && !ckpt)
    throw new UsageError(path.join(runDir, 'checkpoints', 'last'), 'no checkpoint to resume from');
  for (const [name, text] of Object.entries(options.runFiles ?? {}))
    await writeFileAtomic(path.join(runDir, name), text);
  const backend = tf.getBackend();
  // The GD baseline runs on the calling thread (its batch of whole images is not split).
  const threadChoice =
    config.method === 'patchgd'
      ? chooseThreads(config.threads, backend)
      : {
          threads: 1,
          note: (config.threads ?? 1) > 1 ? 'the GD baseline trains on one engine thread' : null,
        };
  const planned: Planned = ckpt
    ? {
        // A resumed run keeps what its plan chose, so it repeats the uninterrupted run exactly.
        models: {
          method: config.method,
          backbone: ckpt.backbone,
          head: ckpt.head,
          inputSize: ckpt.state.inputSize,
        },
        patchesPerIteration: ckpt.state.patchesPerIteration,
        peakBytes: 0,
        message: null,
        pool: null,
      }
    : await planRun(config, threadChoice.threads, backend, train[0]!);
  const models = planned.models;
  const variables = trainableVariables(models);
  const optimizer = new Adam(variables);
  let pool = planned.pool;
  try {
    if (!ckpt && config.backboneWeights) {
      const copied = await loadWeightsByName(models.backbone, config.backboneWeights);
      if (copied.length === 0)
        throw new UsageError(config.backboneWeights, 'no layer of these weights matches the backbone');
    }
    if (ckpt) optimizer.setState(ckpt.optimizer);
    const state: TrainState = ckpt ? ckpt.state : freshState(config, planned);
    if (state.order.length > 0 && state.order.length !== train.length)
      throw new UsageError(
        path.join(runDir, 'checkpoints', 'last'),
        `the run was stopped with ${state.order.length} training samples, now there are ${train.length}`,
      );
    const prng = Prng.fromState(state.prng);
    if (!ckpt) {
      await writeFileAtomic(path.join(runDir, 'config.json'), JSON.stringify(config, null, 2));
      await writeFileAtomic(metricsFile, '');
    } else await trimMetrics(metricsFile, state.epoch);

    const grid =
      config.method === 'patchgd'
        ? planGrid(
            config.imageSize,
            config.patchSize,
            config.sampling,
            config.gradAccumulation,
            state.patchesPerIteration,
          )
        : null;
    // The planning probes' pool carries on; a resumed run starts one. Either way the replicas get the weights
    // training starts from (a fresh run may just have loaded pretrained ones).
    if (pool) pool.pushWeights(models.backbone, 'all');
    else if (threadChoice.threads > 1) pool = await startPool(models.backbone, threadChoice.threads, backend);
    emit({
      type: 'plan',
      method: config.method,
      patchesPerIteration: grid?.patchesPerIteration ?? 0,
      innerIterations: grid?.innerIterations ?? 1,
      inputSize: models.inputSize,
      peakBytes: planned.peakBytes,
      budgetBytes: config.memoryBudgetBytes,
      message: [planned.message, threadChoice.note].filter((m) => m !== null).join('; ') || null,
      backend,
      threads: pool?.size ?? 1,
    });

    const batchesPerEpoch = Math.ceil(train.length / config.batchSize);
    const totalBatches = batchesPerEpoch * config.epochs;
    const warmupBatches = Math.round(config.warmupEpochs * batchesPerEpoch);
    const history: EpochMetrics[] = [];
    const interval = options.progressIntervalMs ?? 250;
    let lastEmit = -Infinity;
    let sessionSeconds = 0;
    let sessionBatches = 0;
    let cancelled = false;
    const eta = () =>
      sessionBatches > 0 ? (sessionSeconds / sessionBatches) * (totalBatches - state.globalBatch) : 0;
    const checkpoint = async (name: 'last' | 'best') => {
      state.prng = prng.state;
      await saveCheckpoint(runDir, name, {
        backbone: models.backbone,
        head: models.head,
        optimizer: await optimizer.getState(),
        state,
      });
      emit({ type: 'checkpoint', epoch: state.epoch, name, path: path.join(runDir, 'checkpoints', name) });
    };

    while (state.epoch < config.epochs && !cancelled) {
      if (state.order.length === 0) state.order = prng.permutation(train.length);
      emit({ type: 'epoch-start', epoch: state.epoch, epochs: config.epochs, batches: batchesPerEpoch });
      const batchSamples = (b: number) =>
        state.order.slice(b * config.batchSize, (b + 1) * config.batchSize).map((i) => train[i]!);
      // Loads run ahead of the step; a failure surfaces when the batch is awaited (or never, if training stops).
      const prefetch = (b: number) => {
        const p = loadBatch(
          batchSamples(b),
          config,
          grid ? fillChunks(grid.numPatches, grid.patchesPerIteration)[0]! : null,
        );
        p.catch(() => undefined);
        return p;
      };
      let pending: Promise<PatchBatch | Float32Array[]> | null = prefetch(state.batch);
      for (; state.batch < batchesPerEpoch; state.batch++) {
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
        const samples = batchSamples(state.batch);
        const loaded = await pending!;
        pending = state.batch + 1 < batchesPerEpoch ? prefetch(state.batch + 1) : null;
        const labels = samples.map((s) => s.label);
        const lr = learningRate(
          state.globalBatch,
          totalBatches,
          warmupBatches,
          config.lr,
          config.finalLrFraction,
        );
        const started = performance.now();
        const { value: r, peakBytes: mainPeak } = await profiled<{
          loss: number;
          predictions: number[];
          patchesEncoded: number;
          workerPeakBytes: number[];
          patchWaitSeconds: number;
        }>(async () => {
          if (Array.isArray(loaded))
            return {
              ...gdStep(
                models,
                variables,
                optimizer,
                toBatchTensor(loaded, config.imageSize),
                labels,
                config.numClasses,
                lr,
              ),
              patchesEncoded: 0,
              workerPeakBytes: [],
              patchWaitSeconds: 0,
            };
          const args = [grid!, loaded, labels, config.numClasses, drawStep(prng, grid!), lr] as const;
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
        const patches = r.patchesEncoded;
        state.partial.lossSum += r.loss * labels.length;
        state.partial.correct += r.predictions.filter((p, i) => p === labels[i]).length;
        state.partial.seen += labels.length;
        state.partial.patches += patches;
        state.partial.seconds += seconds;
        state.globalBatch++;
        sessionSeconds += seconds;
        sessionBatches++;
        const now = performance.now();
        if (now - lastEmit >= interval || state.batch === batchesPerEpoch - 1) {
          lastEmit = now;
          emit({
            type: 'step',
            epoch: state.epoch,
            epochs: config.epochs,
            batch: state.batch,
            batches: batchesPerEpoch,
            loss: r.loss,
            lr,
            patchesPerSecond: patches / Math.max(seconds, 1e-9),
            peakBytes,
            patchWait: Math.min(1, r.patchWaitSeconds / Math.max(seconds, 1e-9)),
            eta: eta(),
          });
        }
      }
      // A batch read ahead and never trained on (the run stopped) hands its sources back.
      if (pending)
        void pending.then((b) => (Array.isArray(b) ? undefined : b.close())).catch(() => undefined);
      if (cancelled) {
        await checkpoint('last');
        break;
      }
      const epochMetrics = await finishEpoch(
        config,
        models,
        pool,
        state,
        val,
        options.metrics ?? {},
        learningRate(state.globalBatch - 1, totalBatches, warmupBatches, config.lr, config.finalLrFraction),
      );
      history.push(epochMetrics);
      await fs.appendFile(metricsFile, `${JSON.stringify(epochMetrics)}\n`);
      emit({
        type: 'epoch-end',
        epoch: state.epoch,
        epochs: config.epochs,
        metrics: epochMetrics,
        eta: eta(),
      });
      const chosen = epochMetrics[config.bestMetric];
      const improved =
        typeof chosen === 'number' &&
        (state.best === null || improves(config.bestMetric, chosen, state.best.value));
      if (improved) state.best = { metric: config.bestMetric, value: chosen, epoch: state.epoch };
      state.epoch++;
      state.batch = 0;
      state.order = [];
      state.partial = { lossSum: 0, correct: 0, seen: 0, patches: 0, seconds: 0 };
      if (improved) await checkpoint('best');
      await checkpoint('last');
    }
    emit({ type: 'done', epochs: state.epoch, cancelled, best: state.best });
    return {
      runDir,
      threads: pool?.size ?? 1,
      epochsCompleted: state.epoch,
      cancelled,
      history,
      best: state.best,
    };
  } finally {
    await pool?.close();
    optimizer.dispose();
    disposeModels(models);
  }
}

/** Per-batch random draws, from the run's PRNG so that a resumed run repeats them. */
function drawStep(prng: Prng, grid: NonNullable<ReturnType<typeof planGrid>>) {
  return {
    permutation: prng.permutation(grid.numPatches),
    dropoutSeeds: Array.from({ length: grid.innerIterations }, () => prng.nextUint32()),
  };
}

async function finishEpoch(
  config: TrainConfig,
  models: RunModels,
  pool: EnginePool | null,
  state: TrainState,
  val: readonly Sample[],
  metricFns: Record<string, MetricFn>,
  lr: number,
): Promise<EpochMetrics> {
  const p = state.partial;
  const metrics: EpochMetrics = {
    epoch: state.epoch,
    loss: p.lossSum / Math.max(1, p.seen),
    trainAccuracy: p.correct / Math.max(1, p.seen),
    valLoss: null,
    valAccuracy: null,
    seconds: p.seconds,
    patchesPerSecond: p.patches / Math.max(p.seconds, 1e-9),
    lr,
  };
  if (val.length > 0) {
    const evaluation = await evaluateModels(models, config, state.patchesPerIteration, val, true, pool);
    metrics.valLoss = evaluation.loss;
    metrics.valAccuracy = evaluation.accuracy;
    const predicted = evaluation.predictions.map((x) => x.predicted);
    const probabilities = evaluation.predictions.map((x) => x.probabilities);
    for (const [name, fn] of Object.entries(metricFns))
      metrics[metricKey(name)] = fn(evaluation.labels, predicted, probabilities);
  }
  return metrics;
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
