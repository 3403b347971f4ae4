/**
 * One training run on a dataset folder with either the project's wasm kernels or tfjs's shipped wasm kernels
 * patched by the cpu backend (`cpu-fallback.ts`): run it once per `--kernels` value on the same data and compare
 * the seconds and the validation figures (the engine-speed issue asks for ≥ 10× with the same accuracy). The
 * fallback run uses one engine thread, as the engine did before it had threads.
 *
 *   npx tsx test/bench/fallback.ts --json --data DIR --kernels project|fallback [--backbone small] [--image 256]
 *     [--patch 32] [--latent 32] [--epochs 3] [--batch 8] [--sampling 0.25] [--lr 2e-3] [--folds 5]
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import { UsageError } from '../../core/base/errors.ts';
import { runTrainJob } from '../../core/jobs/train.ts';
import type { BackboneName } from '../../core/shared/names.ts';
import { captureShippedKernels, useShippedKernelsWithCpuFallback } from './cpu-fallback.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    data: { type: 'string' },
    kernels: { type: 'string', default: 'project' },
    backbone: { type: 'string', default: 'small' },
    image: { type: 'string', default: '256' },
    patch: { type: 'string', default: '32' },
    latent: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '8' },
    sampling: { type: 'string', default: '0.25' },
    lr: { type: 'string', default: '2e-3' },
    folds: { type: 'string', default: '5' },
  },
});
if (!args.data) throw new UsageError(null, '--data is required');
if (args.kernels !== 'project' && args.kernels !== 'fallback')
  throw new UsageError(null, `--kernels must be project or fallback, got ${args.kernels}`);

const shipped = captureShippedKernels();
const backend = await selectBackend({ prefer: 'wasm' });
const cpuFallbacks = args.kernels === 'fallback' ? useShippedKernelsWithCpuFallback(shipped) : [];
const runDir = await mkdtemp(path.join(os.tmpdir(), 'bench-fallback-'));
const loadBefore = os.loadavg();
const started = performance.now();
try {
  const result = await runTrainJob({
    data: args.data,
    folds: Number(args.folds),
    valFold: 0,
    runDir,
    resume: false,
    config: {
      backbone: args.backbone as BackboneName,
      imageSize: Number(args.image),
      patchSize: Number(args.patch),
      latentDim: Number(args.latent),
      epochs: Number(args.epochs),
      batchSize: Number(args.batch),
      sampling: Number(args.sampling),
      lr: Number(args.lr),
      warmupEpochs: 1,
      // The fallback baseline is the engine before its threads: the workers would load the project's kernels.
      ...(args.kernels === 'fallback' ? { threads: 1 } : {}),
    },
    onEvent: (e) => {
      if (e.type === 'epoch-end')
        process.stderr.write(
          `${args.kernels} epoch ${e.epoch + 1}/${e.epochs}: loss ${e.metrics.loss.toFixed(4)} (${e.metrics.seconds.toFixed(1)} s)\n`,
        );
    },
  });
  const summary = {
    bench: 'kernels-vs-cpu-fallback',
    backend: backend.name,
    kernels: args.kernels,
    cpu_fallback_kernels: cpuFallbacks,
    data: path.resolve(args.data),
    train_items: result.trainItems,
    val_items: result.valItems,
    seconds: (performance.now() - started) / 1000,
    load_average_start: loadBefore,
    load_average_end: os.loadavg(),
    history: result.history.map((h) => ({
      epoch: h.epoch,
      loss: h.loss,
      trainAccuracy: h.trainAccuracy,
      valAccuracy: h.valAccuracy,
      valQwk: h.valQwk,
      seconds: h.seconds,
    })),
  };
  process.stdout.write(`${JSON.stringify(summary, null, args.json ? undefined : 2)}\n`);
} finally {
  await rm(runDir, { recursive: true, force: true });
}
