import type { TrainConfig } from '../../shared/train-config.ts';
import { loadNormalized, type Sample } from '../patchgd/image.ts';

/**
 * Loads an epoch's batches one ahead of the step: taking batch b hands over its images and starts loading b + 1.
 * A failed load surfaces when its batch is taken (or never, if training stops first).
 */
export class BatchPrefetch {
  private pending: Promise<Float32Array[]> | null;

  constructor(
    private readonly samplesOf: (batch: number) => readonly Sample[],
    private readonly batches: number,
    first: number,
    private readonly config: TrainConfig,
  ) {
    this.pending = this.load(first);
  }

  /** The normalised images of `batch`, which must be the one after the batch taken last (or `first`). */
  async take(batch: number): Promise<Float32Array[]> {
    const images = await this.pending!;
    this.pending = batch + 1 < this.batches ? this.load(batch + 1) : null;
    return images;
  }

  private load(batch: number): Promise<Float32Array[]> {
    const p = loadBatch(this.samplesOf(batch), this.config);
    p.catch(() => undefined);
    return p;
  }
}

/** Loads samples with at most `workers` loads in flight, normalised. */
async function loadBatch(samples: readonly Sample[], config: TrainConfig): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(samples.length);
  let next = 0;
  const worker = async () => {
    while (next < samples.length) {
      const i = next++;
      out[i] = await loadNormalized(samples[i]!, config.imageSize, config.normalization);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.workers, samples.length) }, worker));
  return out;
}
