/**
 * The training form: the engine's configuration with the paper's defaults, edited as strings and checked by
 * the engine's own parser (schema plus the image-size/patch-size rule), so the UI cannot accept what the
 * engine would refuse.
 */
import { parseTrainConfig, trainConfigSchema, type TrainConfig, BACKBONES, BACKEND_NAMES } from '#shared';

export const DEFAULT_CONFIG: TrainConfig = trainConfigSchema.parse({});
export { BACKBONES, BACKEND_NAMES };

export type NumericField =
  | 'imageSize'
  | 'patchSize'
  | 'sampling'
  | 'epochs'
  | 'batchSize'
  | 'latentDim'
  | 'numClasses'
  | 'lr'
  | 'warmupEpochs'
  | 'seed'
  | 'workers';

export const NUMERIC_FIELDS: readonly { key: NumericField; label: string; hint: string }[] = [
  { key: 'imageSize', label: 'Image size (px)', hint: 'side H = W the slide is resized and padded to' },
  { key: 'patchSize', label: 'Patch size (px)', hint: 'k = image / patch patches per side' },
  {
    key: 'sampling',
    label: 'Sampling fraction s',
    hint: 'share of the k² patches with gradients per inner step',
  },
  { key: 'epochs', label: 'Epochs', hint: '' },
  { key: 'batchSize', label: 'Batch size', hint: '' },
  { key: 'latentDim', label: 'Latent size d', hint: '' },
  { key: 'numClasses', label: 'Classes', hint: '6 for ISUP 0–5' },
  { key: 'lr', label: 'Learning rate', hint: 'Adam' },
  { key: 'warmupEpochs', label: 'Warm-up epochs', hint: '' },
  { key: 'seed', label: 'Seed', hint: '' },
  { key: 'workers', label: 'Loader workers', hint: '' },
];

export interface TrainForm {
  method: TrainConfig['method'];
  backbone: TrainConfig['backbone'];
  numbers: Record<NumericField, string>;
  /** Memory budget in MiB; 0 = no limit. */
  budgetMiB: string;
  gradAccumulation: boolean;
}

export function defaultForm(): TrainForm {
  const numbers = Object.fromEntries(
    NUMERIC_FIELDS.map((f) => [f.key, String(DEFAULT_CONFIG[f.key])]),
  ) as Record<NumericField, string>;
  return {
    method: DEFAULT_CONFIG.method,
    backbone: DEFAULT_CONFIG.backbone,
    numbers,
    budgetMiB: String(DEFAULT_CONFIG.memoryBudgetBytes / 2 ** 20),
    gradAccumulation: DEFAULT_CONFIG.gradAccumulation,
  };
}

/** The configuration, or the problem in the engine's words. Empty or non-numeric fields are named. */
export function formToConfig(form: TrainForm): { config: TrainConfig } | { error: string } {
  const numbers: Partial<Record<NumericField, number>> = {};
  for (const { key, label } of NUMERIC_FIELDS) {
    const value = Number(form.numbers[key].trim());
    if (form.numbers[key].trim() === '' || !Number.isFinite(value))
      return { error: `${label}: not a number` };
    numbers[key] = value;
  }
  const budget = Number(form.budgetMiB.trim() || '0');
  if (!Number.isFinite(budget) || budget < 0) return { error: 'Memory budget: not a number of MiB ≥ 0' };
  try {
    return {
      config: parseTrainConfig({
        method: form.method,
        backbone: form.backbone,
        gradAccumulation: form.gradAccumulation,
        memoryBudgetBytes: Math.round(budget * 2 ** 20),
        ...numbers,
      }),
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
