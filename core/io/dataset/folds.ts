/** Stratified k-fold assignment: every class spread over the folds as evenly as possible, reproducibly. */
import { UsageError } from '../../base/errors.ts';
import { Prng } from '../../base/random.ts';

/**
 * Returns the fold (0 … k−1) of each item. Within each class the items are shuffled with the seed, then dealt
 * round-robin; the deal continues from fold to fold across classes, so each class's count per fold differs by
 * at most one and so does each fold's total.
 */
export function stratifiedKFold(labels: readonly number[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2)
    throw new UsageError(null, `fold count must be an integer ≥ 2, got ${k}`);
  if (k > labels.length)
    throw new UsageError(null, `cannot split ${labels.length} items into ${k} folds: some would be empty`);
  if (!Number.isInteger(seed)) throw new UsageError(null, `seed must be an integer, got ${seed}`);
  const byClass = new Map<number, number[]>();
  for (const [i, label] of labels.entries()) {
    if (!Number.isInteger(label)) throw new UsageError(null, `label ${label} of item ${i} is not an integer`);
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  }
  const prng = Prng.fromSeed(seed);
  const folds = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of prng.shuffle(byClass.get(label) ?? [])) {
      folds[i] = next;
      next = (next + 1) % k;
    }
  }
  return folds;
}
