export { trainConfigSchema, parseTrainConfig, IMAGENET_NORMALIZATION } from '../../shared/train-config.ts';
export type { TrainConfig, TrainConfigInput } from '../../shared/train-config.ts';
export { trainRun } from './run.ts';
export type { MetricFn, TrainOptions, TrainResult } from './run.ts';
export type { EpochMetrics, TrainEvent } from './events.ts';
export {
  loadModel,
  disposeModel,
  predict,
  embed,
  headLogits,
  readRunConfig,
  evaluateModels,
} from './predict.ts';
export type { PatchgdModel, Prediction, Evaluation } from './predict.ts';
export { loadNormalized, openPatchBatch, openPatchSource, toBatchTensor } from '../patchgd/image.ts';
export { PatchBatch } from '../patchgd/patch-batch.ts';
export type { Sample, Normalization } from '../patchgd/image.ts';
export { planGrid, gridSize } from '../patchgd/grid.ts';
export type { GridPlan } from '../patchgd/grid.ts';
export { createProgressBar, describeEvent, formatDuration } from './progress-bar.ts';
export { formatBytes, WASM_HEAP_LIMIT } from './memory.ts';
