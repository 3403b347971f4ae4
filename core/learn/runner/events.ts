/** Metrics of one finished epoch, as written to metrics.jsonl. */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Values of the metric functions passed in (e.g. `valQwk`), on the validation set. */
  [name: string]: number | null;
  seconds: number;
  patchesPerSecond: number;
  lr: number;
}

/** Progress of a training run, delivered through `onEvent`. Step events are rate-limited. */
export type TrainEvent =
  | {
      type: 'plan';
      method: 'patchgd' | 'gd';
      /** Patches per inner iteration (PatchGD) and inner iterations per batch. */
      patchesPerIteration: number;
      innerIterations: number;
      /** Side of the backbone's input (patch side, or the GD baseline's downscaled image). */
      inputSize: number;
      /** Step peak the planning probes measured (a resumed run reports its checkpoint's; 0 if that has none). */
      peakBytes: number;
      budgetBytes: number;
      message: string | null;
      /** The TensorFlow.js backend computing, and the engine threads sharing each step's backbone work. */
      backend: string;
      threads: number;
    }
  | { type: 'epoch-start'; epoch: number; epochs: number; batches: number }
  | {
      type: 'step';
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      loss: number;
      lr: number;
      patchesPerSecond: number;
      peakBytes: number;
      /** Share of the step's time spent waiting for patches from the sources (0 for the GD baseline). */
      patchWait: number;
      /** Seconds until the run ends, from the pace so far. */
      eta: number;
    }
  | { type: 'epoch-end'; epoch: number; epochs: number; metrics: EpochMetrics; eta: number }
  | { type: 'checkpoint'; epoch: number; name: 'last' | 'best'; path: string }
  | {
      type: 'done';
      epochs: number;
      cancelled: boolean;
      best: { metric: string; value: number; epoch: number } | null;
    };
