import { intervalGate } from '../../base/throttle.ts';
import type { TrainCallback } from './callbacks.ts';
import type { TrainEvent } from './events.ts';
import type { RunSchedule } from './run-schedule.ts';

/**
 * Turns the loop's hooks into `TrainEvent`s for `emit`. Step events are rate-limited to one per `intervalMs`,
 * except an epoch's last step, which always goes out; every other event always goes out. The ETA comes from the
 * pace of the steps this session has trained (a resumed run does not know the pace before it stopped).
 */
export function progressEvents(
  emit: (event: TrainEvent) => void,
  intervalMs: number,
  epochs: number,
  schedule: RunSchedule,
): TrainCallback {
  const stepDue = intervalGate(intervalMs);
  let seconds = 0;
  let batches = 0;
  const eta = (globalBatch: number) =>
    batches > 0 ? (seconds / batches) * (schedule.totalBatches - globalBatch) : 0;
  const perEpoch = schedule.batchesPerEpoch;
  return {
    onTrainBegin: (plan) => emit(plan),
    onEpochBegin: (epoch) => emit({ type: 'epoch-start', epoch, epochs, batches: perEpoch }),
    onBatchEnd: (log) => {
      seconds += log.seconds;
      batches++;
      if (!stepDue(log.batch === perEpoch - 1)) return;
      emit({
        type: 'step',
        epoch: log.epoch,
        epochs,
        batch: log.batch,
        batches: perEpoch,
        loss: log.loss,
        lr: log.lr,
        patchesPerSecond: log.patches / Math.max(log.seconds, 1e-9),
        peakBytes: log.peakBytes,
        patchWait: Math.min(1, log.patchWaitSeconds / Math.max(log.seconds, 1e-9)),
        eta: eta(log.globalBatch),
      });
    },
    onEpochEnd: (metrics, globalBatch) =>
      emit({ type: 'epoch-end', epoch: metrics.epoch, epochs, metrics, eta: eta(globalBatch) }),
    onCheckpoint: (epoch, name, path) => emit({ type: 'checkpoint', epoch, name, path }),
    onTrainEnd: (done, cancelled, best) => emit({ type: 'done', epochs: done, cancelled, best }),
  };
}
