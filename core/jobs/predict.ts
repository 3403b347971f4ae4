import { performance } from 'node:perf_hooks';
import { openDataset, usableItems } from '../io/dataset/index.ts';
import { DatasetError, describeError } from '../base/errors.ts';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  quadraticWeightedKappa,
} from '../shared/metrics.ts';
import { disposeModel, loadModel, predict, type TrainConfig } from '../learn/runner/index.ts';
import { streamingSlidePool } from '../io/dataset/slide-source.ts';
import { datasetSamples } from './samples.ts';

export interface ItemPrediction {
  id: string;
  /** Ground truth where the data has it. */
  label: number | null;
  predicted: number | null;
  probabilities: number[] | null;
  /** Why this item could not be predicted (the others still are). */
  error: string | null;
  seconds: number;
}

export interface PredictionSet {
  config: TrainConfig;
  predictions: ItemPrediction[];
}

export interface PredictOptions {
  checkpoint?: 'best' | 'last';
  /** Engine threads filling Z (default 1; 'auto': one per core on the wasm and cpu backends). */
  threads?: number | 'auto';
  onItem?: (done: number, total: number, item: ItemPrediction) => void;
  signal?: AbortSignal;
  /** Folder of the disk patch cache for slides (see `TrainJob.patchCache`). */
  patchCache?: string;
}

/** Predicts every usable item of a folder with a run's model; an unreadable item is reported, not fatal. */
export async function predictFolder(
  runDir: string,
  dataDir: string,
  options: PredictOptions = {},
): Promise<PredictionSet> {
  const dataset = await openDataset(dataDir);
  const items = usableItems(dataset);
  if (items.length === 0) throw new DatasetError(dataset.root, 'no usable items to predict');
  const model = await loadModel(runDir, options.checkpoint, { threads: options.threads });
  const pool = streamingSlidePool();
  const predictions: ItemPrediction[] = [];
  try {
    const samples = datasetSamples(dataset, items, model.config.imageSize, pool, {
      cacheDir: options.patchCache,
    });
    for (const [i, sample] of samples.entries()) {
      if (options.signal?.aborted) break;
      const start = performance.now();
      const label = items[i]!.label;
      let item: ItemPrediction;
      try {
        const [p] = await predict(model, [sample]);
        item = {
          id: sample.id,
          label,
          predicted: p!.predicted,
          probabilities: p!.probabilities,
          error: null,
          seconds: 0,
        };
      } catch (err) {
        item = {
          id: sample.id,
          label,
          predicted: null,
          probabilities: null,
          error: describeError(err),
          seconds: 0,
        };
      }
      item.seconds = (performance.now() - start) / 1000;
      predictions.push(item);
      options.onItem?.(i + 1, samples.length, item);
    }
    return { config: model.config, predictions };
  } finally {
    disposeModel(model);
    await pool.closeAll();
  }
}

export interface EvaluationReport {
  n: number;
  failed: number;
  accuracy: number;
  qwk: number;
  confusion_matrix: number[][];
  per_class: { precision: number; recall: number; f1: number; support: number }[];
}

/** Accuracy, QWK and the confusion matrix over the items that have both a label and a prediction. */
export function evaluatePredictions(
  predictions: readonly ItemPrediction[],
  numClasses: number,
): EvaluationReport {
  const scored = predictions.filter((p) => p.label !== null && p.predicted !== null);
  const yTrue = scored.map((p) => p.label!);
  const yPred = scored.map((p) => p.predicted!);
  const matrix = confusionMatrix(yTrue, yPred, numClasses);
  return {
    n: scored.length,
    failed: predictions.filter((p) => p.error !== null).length,
    accuracy: accuracy(yTrue, yPred, numClasses),
    qwk: quadraticWeightedKappa(yTrue, yPred, numClasses),
    confusion_matrix: matrix,
    per_class: classificationReport(matrix).perClass,
  };
}
