import path from 'node:path';
import { checkDataset, formatFinding, usableItems, type Dataset } from '../io/dataset/index.ts';
import { DatasetError, UsageError } from '../base/errors.ts';
import { quadraticWeightedKappa } from '../shared/metrics.ts';
import { trainRun, type TrainConfigInput, type TrainEvent, type TrainResult } from '../learn/runner/index.ts';
import { streamingSlidePool } from '../io/dataset/slide-source.ts';
import { datasetSamples, labelledItems, splitByFold } from './samples.ts';
import { splitRecord } from './split-record.ts';
import { checkOutputDir } from '../base/dirs.ts';
import { parseTrainConfig } from '../shared/train-config.ts';

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
  /**
   * Train on the usable items of a dataset with error findings (each reported through `onWarning`) instead of
   * refusing it.
   */
  skipBadRows?: boolean;
  onWarning?: (message: string) => void;
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

/** Error findings listed in a refusal; `patchgd dataset check` lists them all. */
const LISTED = 10;

/**
 * The dataset as `patchgd dataset check` sees it (same findings, same severity, slide structure included). Rows
 * with errors are never dropped silently: the job refuses, naming them, or with `skipBadRows` warns about each.
 */
async function screenedDataset(dir: string, job: TrainJob): Promise<Dataset> {
  const dataset = await checkDataset(dir);
  const errors = dataset.findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return dataset;
  const lines = errors.map((f) => formatFinding(f, dataset.root));
  if (job.skipBadRows) {
    for (const line of lines) job.onWarning?.(`${dataset.root}: skipped: ${line}`);
    return dataset;
  }
  const more = errors.length > LISTED ? [`… and ${errors.length - LISTED} more`] : [];
  throw new DatasetError(
    dataset.root,
    `${errors.length} error finding${errors.length === 1 ? '' : 's'} (as \`patchgd dataset check\` reports); ` +
      `fix them, or skip the bad rows to train on the ${usableItems(dataset).length} usable items:\n  ` +
      [...lines.slice(0, LISTED), ...more].join('\n  '),
  );
}

/** Opens the data, splits it, and trains a PatchGD (or GD-baseline) run reporting validation QWK. */
export async function runTrainJob(job: TrainJob): Promise<TrainJobResult> {
  // Paths and sizes first: a bad --out or configuration must not cost a dataset check or an epoch.
  checkOutputDir(job.runDir);
  parseTrainConfig(job.config);
  const dataset = await screenedDataset(job.data, job);
  const items = labelledItems(dataset);
  const seed = job.config.seed ?? 42;
  let split;
  let valDataset = dataset;
  if (job.valData) {
    valDataset = await screenedDataset(job.valData, job);
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
