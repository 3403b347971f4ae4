import type { TrainConfig } from '../../shared/train-config.ts';
import type { Sample } from '../patchgd/image.ts';
import type { RunModels } from '../patchgd/models.ts';
import type { EnginePool } from '../parallel/pool.ts';
import type { TrainState } from './checkpoint.ts';
import type { EpochMetrics } from './events.ts';
import { evaluateModels } from './predict.ts';

/** A metric on the validation set from true and predicted classes (e.g. quadratic weighted kappa). */
export type MetricFn = (labels: number[], predictions: number[], probabilities: number[][]) => number;

/** `qwk` → `valQwk`. */
export function metricKey(name: string): string {
  return `val${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * The metrics of the epoch `state` has just finished: training sums, then (with a validation set) its loss,
 * accuracy and each of `metricFns` on it.
 */
export async function epochMetrics(
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
