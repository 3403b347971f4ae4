import type { EpochMetrics } from '../../core/learn/runner/events.ts';

/** An epoch's metrics line for tests of what consumes them: fixed training figures, `values` on top. */
export function epochMetrics(epoch: number, values: Partial<EpochMetrics> = {}): EpochMetrics {
  return {
    epoch,
    loss: 1,
    trainAccuracy: 0.5,
    valLoss: null,
    valAccuracy: null,
    seconds: 3,
    patchesPerSecond: 10,
    lr: 1e-3,
    ...values,
  };
}
