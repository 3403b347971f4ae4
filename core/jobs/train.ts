import path from 'node:path';
import { openDataset, type Dataset } from '../io/dataset/index.ts';
import { UsageError } from '../base/errors.ts';
import { quadraticWeightedKappa } from '../shared/metrics.ts';
import { trainRun, type TrainConfigInput, type TrainEvent, type TrainResult } from '../learn/runner/index.ts';
import { streamingSlidePool } from '../io/dataset/slide-source.ts';
import { datasetSamples, labelledItems, splitByFold } from './samples.ts';
import { splitRecord } from './split-record.ts';

export interface TrainJob {
  /** Training data folder (PANDA layout, image folder with labels.csv, …). */
  data: string;
  /** Separate validation folder; otherwise a stratified fold of `data` is held out. */
  valData?: string;
  folds: number;
  valFold: number;
  runDir: string;
  resume: boolean;
  /** Engine configuration; `numClasses` defaults to the dataset's. */
  config: TrainConfigInput;
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
  /** Folder of the disk patch cache for slides (written once per slide and size, reused across runs). */
  patchCache?: string;
}

export interface TrainJobResult extends TrainResult {
  trainItems: number;
  valItems: number;
}

function classCount(datasets: Dataset[], given: number | undefined): number {
  if (given !== undefined) return given;
  const counts = datasets.map((d) => d.numClasses).filter((n): n is number => n !== null);
  if (counts.length === 0) throw new UsageError(datasets[0]!.root, 'the dataset has no labels to train on');
  return Math.max(...counts);
}

/** Opens the data, splits it, and trains a PatchGD (or GD-baseline) run reporting validation QWK. */
export async function runTrainJob(job: TrainJob): Promise<TrainJobResult> {
  const dataset = await openDataset(job.data);
  const items = labelledItems(dataset);
  const seed = job.config.seed ?? 42;
  let split;
  let valDataset = dataset;
  if (job.valData) {
    valDataset = await openDataset(job.valData);
    split = { train: items, val: labelledItems(valDataset) };
  } else {
    split = splitByFold(items, job.folds, job.valFold, seed);
  }
  const record = splitRecord({
    data: path.resolve(job.data),
    source: job.valData ? 'folder' : 'fold',
    folds: job.valData ? null : job.folds,
    valFold: job.valData ? null : job.valFold,
    valData: job.valData ? path.resolve(job.valData) : null,
    train: split.train.map((item) => item.id),
    val: split.val.map((item) => item.id),
  });
  const numClasses = classCount([dataset, valDataset], job.config.numClasses);
  const config = { ...job.config, numClasses };
  const imageSize = config.imageSize ?? 512;
  const pool = streamingSlidePool();
  try {
    const result = await trainRun(
      config,
      datasetSamples(dataset, split.train, imageSize, pool, { cacheDir: job.patchCache }),
      datasetSamples(valDataset, split.val, imageSize, pool, { cacheDir: job.patchCache }),
      {
        runDir: job.runDir,
        resume: job.resume,
        onEvent: job.onEvent,
        signal: job.signal,
        runFiles: record,
        metrics: { qwk: (labels, predictions) => quadraticWeightedKappa(labels, predictions, numClasses) },
      },
    );
    return { ...result, trainItems: split.train.length, valItems: split.val.length };
  } finally {
    await pool.closeAll();
  }
}
