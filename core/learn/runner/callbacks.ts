import type { CheckpointName } from './checkpoint.ts';
import type { Best } from './checkpoint-policy.ts';
import type { EpochMetrics, TrainEvent } from './events.ts';
import type { StepOutcome } from './train-step.ts';

/** A trained batch, as the loop reports it: where it sits in the run, its learning rate and how it went. */
export interface BatchLog extends StepOutcome {
  epoch: number;
  batch: number;
  /** Batches trained over the whole run, this one included. */
  globalBatch: number;
  lr: number;
}

/**
 * Hooks the training loop calls as a run goes, after the idea of tfjs-layers' `fit` callbacks (`onEpochBegin`,
 * `onBatchEnd`, …). Every hook is optional and may be async; the loop awaits each in turn.
 */
export interface TrainCallback {
  onTrainBegin?(plan: Plan): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(log: BatchLog): void | Promise<void>;
  onEpochEnd?(metrics: EpochMetrics, globalBatch: number): void | Promise<void>;
  onCheckpoint?(epoch: number, name: CheckpointName, path: string): void | Promise<void>;
  onTrainEnd?(epochs: number, cancelled: boolean, best: Best): void | Promise<void>;
}

type Plan = Extract<TrainEvent, { type: 'plan' }>;

/** Calls each hook on every callback, in list order, one after the other. */
export class CallbackList implements Required<TrainCallback> {
  constructor(private readonly callbacks: readonly TrainCallback[]) {}

  private async each(hook: (callback: TrainCallback) => void | Promise<void>): Promise<void> {
    for (const callback of this.callbacks) await hook(callback);
  }

  onTrainBegin(plan: Plan): Promise<void> {
    return this.each((c) => c.onTrainBegin?.(plan));
  }
  onEpochBegin(epoch: number): Promise<void> {
    return this.each((c) => c.onEpochBegin?.(epoch));
  }
  onBatchEnd(log: BatchLog): Promise<void> {
    return this.each((c) => c.onBatchEnd?.(log));
  }
  onEpochEnd(metrics: EpochMetrics, globalBatch: number): Promise<void> {
    return this.each((c) => c.onEpochEnd?.(metrics, globalBatch));
  }
  onCheckpoint(epoch: number, name: CheckpointName, path: string): Promise<void> {
    return this.each((c) => c.onCheckpoint?.(epoch, name, path));
  }
  onTrainEnd(epochs: number, cancelled: boolean, best: Best): Promise<void> {
    return this.each((c) => c.onTrainEnd?.(epochs, cancelled, best));
  }
}

/** Keeps every epoch's metrics, for the run's result. */
export class History implements TrainCallback {
  readonly epochs: EpochMetrics[] = [];

  onEpochEnd(metrics: EpochMetrics): void {
    this.epochs.push(metrics);
  }
}
