/**
 * Learning rate for image batch `step` (0-based) of `totalSteps`: linear warm-up over `warmupSteps` batches to
 * `lr`, then linear decay reaching `lr · finalFraction` at the last batch (the reference decays to about half).
 */
export function learningRate(
  step: number,
  totalSteps: number,
  warmupSteps: number,
  lr: number,
  finalFraction: number,
): number {
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decaySteps = totalSteps - warmupSteps - 1;
  if (decaySteps <= 0) return lr;
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return lr * (1 - (1 - finalFraction) * progress);
}
