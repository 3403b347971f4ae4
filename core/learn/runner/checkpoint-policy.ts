import type { CheckpointName, TrainState } from './checkpoint.ts';
import type { EpochMetrics } from './events.ts';

export type Best = TrainState['best'];

/** Larger is better except for losses. */
export function improves(metric: string, value: number, best: number): boolean {
  return /loss/i.test(metric) ? value < best : value > best;
}

/**
 * Which checkpoints an epoch's end writes, in order: `best` first when `metrics[metric]` beats the best so far
 * (an epoch without that metric, e.g. no validation set, never does), then always `last`; and the best after it.
 */
export function afterEpoch(
  metric: string,
  metrics: EpochMetrics,
  best: Best,
): { best: Best; save: CheckpointName[] } {
  const value = metrics[metric];
  // A NaN or infinite value is no measure of anything, let alone the best.
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (best !== null && !improves(metric, value, best.value))
  )
    return { best, save: ['last'] };
  return { best: { metric, value, epoch: metrics.epoch }, save: ['best', 'last'] };
}

/** A stopped run keeps where it stopped, so that it resumes there. */
export const ON_STOP: readonly CheckpointName[] = ['last'];
