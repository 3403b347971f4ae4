/**
 * Learning rate for image batch `step` (0-based) of `totalSteps`: linear warm-up over `warmupSteps` batches to
 * `lr`, then the reference's linear decay toward 0 at twice the run's length, lr·(2T − step)/(2T − W) (a
 * transformers-style linear schedule given 2·E epochs), so its last batch is near E/(2E − 2) of the peak. With
 * `finalFraction` (runs configured before that default) it decays instead to `lr · finalFraction` at the last batch.
 */
export function learningRate(
  step: number,
  totalSteps: number,
  warmupSteps: number,
  lr: number,
  finalFraction?: number,
): number {
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (finalFraction === undefined) {
    const horizon = 2 * totalSteps;
    return (lr * Math.max(0, horizon - step)) / (horizon - warmupSteps);
  }
  const decaySteps = totalSteps - warmupSteps - 1;
  if (decaySteps <= 0) return lr;
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return lr * (1 - (1 - finalFraction) * progress);
}
