/** Folds the engine's training events into what the progress view shows. */
import type { EventPayload } from '#shared';

type TrainEvent = EventPayload<'training.progress'>['event'];
type EpochMetrics = Extract<TrainEvent, { type: 'epoch-end' }>['metrics'];

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Fraction of all batches of the run done, 0..1. */
  fraction: number;
  eta: number | null;
  patchesPerSecond: number | null;
  peakBytes: number;
  budgetBytes: number;
  planMessage: string | null;
  /** Backend and engine threads of the run, e.g. "wasm · 2 threads". */
  engine: string | null;
  stepLoss: number[];
  epochMetrics: EpochMetrics[];
  done: boolean;
  cancelled: boolean;
}

export function emptyProgress(): TrainingProgress {
  return {
    epoch: 0,
    epochs: 0,
    batch: 0,
    batches: 0,
    fraction: 0,
    eta: null,
    patchesPerSecond: null,
    peakBytes: 0,
    budgetBytes: 0,
    planMessage: null,
    engine: null,
    stepLoss: [],
    epochMetrics: [],
    done: false,
    cancelled: false,
  };
}

/** Step losses kept for the live curve: enough to show the trend, bounded for long runs. */
const MAX_STEPS = 2000;

export function applyEvent(p: TrainingProgress, e: TrainEvent): TrainingProgress {
  switch (e.type) {
    case 'plan':
      return {
        ...p,
        peakBytes: e.peakBytes,
        budgetBytes: e.budgetBytes,
        planMessage: e.message,
        engine: `${e.backend} · ${e.threads} thread${e.threads === 1 ? '' : 's'}`,
      };
    case 'epoch-start':
      // A resumed run starts epochs again after its cancelled or failed end.
      return {
        ...p,
        epoch: e.epoch,
        epochs: e.epochs,
        batches: e.batches,
        batch: 0,
        done: false,
        cancelled: false,
      };
    case 'step': {
      const stepLoss = [...p.stepLoss, e.loss].slice(-MAX_STEPS);
      const fraction =
        e.epochs > 0 && e.batches > 0 ? (e.epoch + (e.batch + 1) / e.batches) / e.epochs : p.fraction;
      return {
        ...p,
        epoch: e.epoch,
        epochs: e.epochs,
        batch: e.batch + 1,
        batches: e.batches,
        fraction: Math.min(fraction, 1),
        eta: e.eta,
        patchesPerSecond: e.patchesPerSecond,
        peakBytes: Math.max(p.peakBytes, e.peakBytes),
        stepLoss,
      };
    }
    case 'epoch-end':
      return {
        ...p,
        epoch: e.epoch,
        epochs: e.epochs,
        fraction: e.epochs > 0 ? Math.min((e.epoch + 1) / e.epochs, 1) : p.fraction,
        eta: e.eta,
        epochMetrics: [...p.epochMetrics.filter((m) => m.epoch !== e.metrics.epoch), e.metrics],
      };
    case 'checkpoint':
      return p;
    case 'done':
      return { ...p, done: true, cancelled: e.cancelled, fraction: e.cancelled ? p.fraction : 1, eta: 0 };
  }
}
