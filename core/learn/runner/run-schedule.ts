import type { TrainConfig } from '../../shared/train-config.ts';
import { learningRate } from '../patchgd/schedule.ts';

/** How a run's batches are laid out over its epochs, and the learning rate of each (`patchgd/schedule.ts`). */
export class RunSchedule {
  readonly batchesPerEpoch: number;
  readonly totalBatches: number;
  private readonly warmupBatches: number;

  constructor(
    private readonly config: TrainConfig,
    trainCount: number,
  ) {
    this.batchesPerEpoch = Math.ceil(trainCount / config.batchSize);
    this.totalBatches = this.batchesPerEpoch * config.epochs;
    this.warmupBatches = Math.round(config.warmupEpochs * this.batchesPerEpoch);
  }

  /** Learning rate of the run's `globalBatch`-th batch (0-based, counted over all epochs). */
  lr(globalBatch: number): number {
    const { lr, finalLrFraction } = this.config;
    return learningRate(globalBatch, this.totalBatches, this.warmupBatches, lr, finalLrFraction);
  }

  /** Positions in the epoch's sample order of batch `batch`. */
  batch(order: readonly number[], batch: number): number[] {
    const size = this.config.batchSize;
    return order.slice(batch * size, (batch + 1) * size);
  }
}
