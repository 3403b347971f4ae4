import type { TrainConfig } from '../../shared/train-config.ts';
import { loadNormalized, openPatchBatch, type Sample } from '../patchgd/image.ts';
import type { PatchBatch } from '../patchgd/patch-batch.ts';

/**
 * A batch as a step takes it: for PatchGD its patch sources (patches are read chunk by chunk during the step),
 * for the GD baseline the normalised whole images.
 */
export type LoadedBatch = PatchBatch | Float32Array[];

/**
 * Loads an epoch's batches one ahead of the step: taking batch b hands it over and starts loading b + 1 — for
 * PatchGD opening its sources and reading the first chunk of its Z fill (`firstChunk`) while b trains. A failed
 * load surfaces when its batch is taken (or never, if training stops first).
 */
export class BatchPrefetch {
  private pending: Promise<LoadedBatch> | null;

  constructor(
    private readonly samplesOf: (batch: number) => readonly Sample[],
    private readonly batches: number,
    first: number,
    private readonly config: TrainConfig,
    private readonly firstChunk: readonly number[] | null,
  ) {
    this.pending = this.load(first);
  }

  /** Batch `batch`, which must be the one after the batch taken last (or `first`). */
  async take(batch: number): Promise<LoadedBatch> {
    const loaded = await this.pending!;
    this.pending = batch + 1 < this.batches ? this.load(batch + 1) : null;
    return loaded;
  }

  /** Hands back a batch loaded ahead that no step will take (the run stopped): its sources are closed. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    const loaded = await pending?.catch(() => null);
    if (loaded && !Array.isArray(loaded)) await loaded.close();
  }

  private load(batch: number): Promise<LoadedBatch> {
    const p = loadBatch(this.samplesOf(batch), this.config, this.firstChunk);
    p.catch(() => undefined);
    return p;
  }
}

async function loadBatch(
  samples: readonly Sample[],
  config: TrainConfig,
  firstChunk: readonly number[] | null,
): Promise<LoadedBatch> {
  if (config.method === 'gd' || !firstChunk) return loadImages(samples, config);
  const { imageSize, patchSize, normalization, workers } = config;
  const batch = await openPatchBatch(samples, imageSize, patchSize, normalization, workers);
  batch.prefetch(firstChunk);
  return batch;
}

/** Loads samples with at most `workers` loads in flight, normalised. */
async function loadImages(samples: readonly Sample[], config: TrainConfig): Promise<Float32Array[]> {
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
