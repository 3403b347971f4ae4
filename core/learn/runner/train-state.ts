import { Prng } from '../../base/random.ts';
import type { TrainState } from './checkpoint.ts';
import type { StepOutcome } from './train-step.ts';

const emptyPartial = (): TrainState['partial'] => ({
  lossSum: 0,
  correct: 0,
  seen: 0,
  patches: 0,
  seconds: 0,
});

/** Where a new run starts: epoch 0, the seed's PRNG, and what the memory plan chose. */
export function freshState(seed: number, patchesPerIteration: number, inputSize: number): TrainState {
  return {
    epoch: 0,
    batch: 0,
    globalBatch: 0,
    prng: Prng.fromSeed(seed).state,
    order: [],
    partial: emptyPartial(),
    best: null,
    patchesPerIteration,
    inputSize,
  };
}

/** Adds a trained batch to the epoch's running sums and counts it in the run. */
export function recordStep(state: TrainState, outcome: StepOutcome, labels: readonly number[]): void {
  const p = state.partial;
  p.lossSum += outcome.loss * labels.length;
  p.correct += outcome.predictions.filter((x, i) => x === labels[i]).length;
  p.seen += labels.length;
  p.patches += outcome.patches;
  p.seconds += outcome.seconds;
  state.globalBatch++;
}

/** Moves a finished epoch's state on to the start of the next one (a new order is drawn when it begins). */
export function nextEpoch(state: TrainState): void {
  state.epoch++;
  state.batch = 0;
  state.order = [];
  state.partial = emptyPartial();
}
