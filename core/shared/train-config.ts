import { z } from 'zod';
import { BACKBONES } from './names.ts';
import { UsageError } from '../base/errors.ts';

/** ImageNet channel statistics, the reference's normalisation. */
export const IMAGENET_NORMALIZATION = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/**
 * Largest image side a run may ask for: one RGB image of 32,768² px is 3 GiB, beyond what one typed array (and
 * any machine this runs on) holds; the memory planner decides below that.
 */
export const MAX_IMAGE_SIDE = 32_768;

const triple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * A training run's configuration with the paper's defaults (s = 1/8, d = 256, Adam 1e-3, 2 warm-up epochs,
 * gradient accumulation on). `method: 'gd'` trains the end-to-end baseline on the downscaled whole image.
 */
export const trainConfigSchema = z
  .object({
    method: z.enum(['patchgd', 'gd']).default('patchgd'),
    backbone: z.enum(BACKBONES).default('resnet50'),
    widthMultiplier: z.number().positive().max(4).default(1),
    /** Side of the square input image H = W (the caller resizes and pads). */
    imageSize: z.number().int().positive().max(MAX_IMAGE_SIDE).default(512),
    /** Side m of a patch; the grid is k = imageSize / patchSize. */
    patchSize: z.number().int().positive().max(MAX_IMAGE_SIDE).default(32),
    /** Fraction s of the k² patches re-encoded with gradients per inner iteration. */
    sampling: z
      .number()
      .gt(0)
      .max(1)
      .default(1 / 8),
    epochs: z.number().int().positive().max(1_000_000).default(100),
    batchSize: z.number().int().positive().max(4096).default(1),
    /** Tensor bytes the run may hold at once; 0 = no limit (peaks are still measured and reported). */
    memoryBudgetBytes: z.number().int().nonnegative().default(0),
    latentDim: z.number().int().positive().max(65_536).default(256),
    numClasses: z.number().int().min(2).default(6),
    lr: z.number().positive().default(1e-3),
    warmupEpochs: z.number().nonnegative().default(2),
    /**
     * Learning rate at the last batch as a fraction of `lr`, decayed linearly after warm-up. Unset (the default):
     * the reference's schedule, a linear decay toward 0 at twice the run's length (./schedule.ts).
     */
    finalLrFraction: z.number().min(0).max(1).optional(),
    gradAccumulation: z.boolean().default(true),
    headDropout: z.number().min(0).lt(1).default(0.2),
    seed: z.number().int().nonnegative().default(42),
    /** Samples loaded concurrently ahead of the step that needs them. */
    workers: z.number().int().positive().max(64).default(2),
    /**
     * Engine threads sharing each PatchGD step's backbone work (and the validation Z fill); unset: one per
     * available core on the wasm and cpu backends. 1 computes on the calling thread only.
     */
    threads: z.number().int().positive().max(256).optional(),
    normalization: z.object({ mean: triple, std: triple }).default({
      mean: [...IMAGENET_NORMALIZATION.mean],
      std: [...IMAGENET_NORMALIZATION.std],
    }),
    /**
     * Backbone weights to start from: a PyTorch state_dict (torch.save zip or safetensors, torchvision/timm names)
     * or a tfjs layers-format folder (`patchgd weights import`), copied by layer name.
     */
    backboneWeights: z.string().optional(),
    /** Metric that selects `checkpoints/best`: 'valAccuracy', 'valLoss' or the name of a passed-in metric. */
    bestMetric: z.string().default('valAccuracy'),
  })
  .strict();

export type TrainConfig = z.output<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** Validates a configuration (filling defaults); problems become one UsageError naming the fields. */
export function parseTrainConfig(input: unknown, file: string | null = null): TrainConfig {
  const parsed = trainConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new UsageError(file, `invalid training configuration: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  if (config.method === 'patchgd' && config.imageSize % config.patchSize !== 0) {
    throw new UsageError(
      file,
      `image size ${config.imageSize} is not a multiple of patch size ${config.patchSize} (the patch grid must tile the image)`,
    );
  }
  return config;
}
