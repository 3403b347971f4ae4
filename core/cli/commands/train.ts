/** `patchgd train`: trains a PatchGD model (or the GD baseline) on a dataset folder into a run folder. */
import path from 'node:path';
import type { Command } from 'commander';
import type { BackendPreference } from '../../learn/backend/backend.ts';
import { parseBytes } from '../../jobs/bytes.ts';
import { runTrainJob } from '../../jobs/train.ts';
import { createProgressBar, type TrainConfigInput } from '../../learn/runner/index.ts';
import { startBackend, withBackendOption } from '../backend-option.ts';
import { withThreadsOption } from '../threads-option.ts';
import { decimal, integer } from '../../base/option-parsers.ts';

interface TrainOptions {
  data: string;
  valData?: string;
  folds: number;
  valFold: number;
  out: string;
  resume?: boolean;
  skipBadRows?: boolean;
  method: 'patchgd' | 'gd';
  backbone?: string;
  widthMultiplier?: number;
  imageSize?: number;
  patchSize?: number;
  sampling?: number;
  epochs?: number;
  batch?: number;
  memoryBudget?: string;
  latent?: number;
  lr?: number;
  warmup?: number;
  classes?: number;
  seed?: number;
  backboneWeights?: string;
  threads?: number;
  patchCache?: string;
  json?: boolean;
  backend: BackendPreference;
  softwareGpu?: boolean;
}

function configFrom(o: TrainOptions): TrainConfigInput {
  const config: Record<string, unknown> = {
    method: o.method,
    backbone: o.backbone,
    widthMultiplier: o.widthMultiplier,
    imageSize: o.imageSize,
    patchSize: o.patchSize,
    sampling: o.sampling,
    epochs: o.epochs,
    batchSize: o.batch,
    memoryBudgetBytes: o.memoryBudget === undefined ? undefined : parseBytes(o.memoryBudget),
    latentDim: o.latent,
    lr: o.lr,
    warmupEpochs: o.warmup,
    numClasses: o.classes,
    seed: o.seed,
    threads: o.threads,
    backboneWeights: o.backboneWeights === undefined ? undefined : path.resolve(o.backboneWeights),
  };
  // Unset options take the engine's defaults (the paper's).
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as TrainConfigInput;
}

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('train a PatchGD model (or the GD baseline) on a PANDA folder or a labelled image folder')
    .requiredOption('--data <dir>', 'training data: PANDA layout (train.csv) or images with labels.csv')
    .option('--val-data <dir>', 'separate validation folder (default: a stratified fold of --data)')
    .option('--folds <n>', 'folds of the stratified split when no --val-data', integer('folds', 2), 5)
    .option('--val-fold <i>', 'fold held out for validation', integer('val-fold', 0), 0)
    .requiredOption('--out <dir>', 'run folder (config, metrics.jsonl, checkpoints)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option(
      '--skip-bad-rows',
      'train on the usable items of data with error findings (`patchgd dataset check`), warning about each',
    )
    .option('--method <method>', 'patchgd or gd (the baseline on the downscaled whole image)', 'patchgd')
    .option('--backbone <name>', 'resnet50, mobilenetv2 or small (default resnet50)')
    .option('--width-multiplier <x>', 'MobileNetV2 width multiplier', decimal('width-multiplier', 0, true))
    .option('--image-size <px>', 'side of the square training image (default 512)', integer('image-size', 1))
    .option('--patch-size <px>', 'side of a patch (default 32)', integer('patch-size', 1))
    .option(
      '--sampling <s>',
      'fraction of patches per inner iteration (default 1/8)',
      decimal('sampling', 0, true),
    )
    .option('--epochs <n>', 'epochs (default 100)', integer('epochs', 1))
    .option('--batch <n>', 'images per batch (default 1)', integer('batch', 1))
    .option('--memory-budget <size>', 'tensor memory the run must stay under, e.g. 1GB or 512MiB')
    .option('--latent <d>', 'latent size d (default 256)', integer('latent', 1))
    .option('--lr <rate>', 'Adam learning rate (default 1e-3)', decimal('lr', 0, true))
    .option('--warmup <epochs>', 'linear warm-up epochs (default 2)', decimal('warmup', 0))
    .option('--classes <n>', 'number of classes (default: from the data)', integer('classes', 1))
    .option('--seed <n>', 'random seed (default 42)', integer('seed', 0))
    .option(
      '--backbone-weights <file|dir>',
      'start from PyTorch weights (torch.save or safetensors state_dict) or a `weights import` folder',
    )
    .option(
      '--patch-cache <dir>',
      "keep slides' prepared patches in this folder (written once per slide and size, reused by later epochs and runs)",
    )
    .option('--json', 'print the result as one JSON object at the end');
  withThreadsOption(withBackendOption(command)).action(async (o: TrainOptions) => {
    const backend = await startBackend(o);
    const controller = new AbortController();
    // Ctrl-C stops after the current step and leaves a valid checkpoint; a second one exits at once.
    const onSigint = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await runTrainJob({
        data: o.data,
        valData: o.valData,
        folds: o.folds,
        valFold: o.valFold,
        runDir: o.out,
        resume: Boolean(o.resume),
        skipBadRows: Boolean(o.skipBadRows),
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
        config: configFrom(o),
        onEvent: createProgressBar(process.stderr, { metric: 'valQwk' }),
        signal: controller.signal,
        patchCache: o.patchCache,
      });
      const last = result.history.at(-1) ?? null;
      if (o.json) {
        process.stdout.write(JSON.stringify({ backend, ...result, last }) + '\n');
      } else {
        process.stdout.write(
          `${result.cancelled ? 'cancelled' : 'finished'} after ${result.epochsCompleted} epochs ` +
            `(${result.trainItems} train / ${result.valItems} validation items); run folder ${result.runDir}\n`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
