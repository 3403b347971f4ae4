/**
 * PatchGD vs the end-to-end GD baseline on UltraMNIST at one memory budget (the paper's claim: PatchGD clearly wins
 * when memory is limited). Generates a train set and a separate test set with the project's generator, trains both
 * methods on the same data for the same epochs under the same tensor-byte budget, and reports the test accuracy
 * after the last epoch. At a tight budget GD has to shrink the whole canvas (digits become illegible) while PatchGD
 * keeps full resolution and only lowers P.
 *
 *   npx tsx test/bench/ultramnist.ts --json [--train 160] [--test 100] [--epochs 4] [--size 512] [--patch 32]
 *     [--classes 10] [--budget 100MB] [--backbone small] [--width 1] [--latent 64] [--batch 4] [--lr 1e-3]
 *     [--backend wasm] [--seed 42] [--only patchgd|gd] [--kernels project|fallback] [--threads N]
 *
 * --kernels fallback runs the wasm backend as tfjs ships it, its missing gradient kernels done on the cpu backend
 * (`cpu-fallback.ts`), on one engine thread: the baseline of the engine-speed issue.
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend, type BackendPreference } from '../../core/learn/backend/backend.ts';
import { UsageError } from '../../core/base/errors.ts';
import { parseBytes } from '../../core/jobs/bytes.ts';
import { runTrainJob } from '../../core/jobs/train.ts';
import type { BackboneName } from '../../core/shared/names.ts';
import type { EpochMetrics, TrainEvent } from '../../core/learn/runner/index.ts';
import { generateUltraMnist, loadMnistDigits } from '../../core/io/ultramnist/index.ts';
import { captureShippedKernels, useShippedKernelsWithCpuFallback } from './cpu-fallback.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    train: { type: 'string', default: '160' },
    test: { type: 'string', default: '100' },
    epochs: { type: 'string', default: '4' },
    size: { type: 'string', default: '512' },
    patch: { type: 'string', default: '32' },
    classes: { type: 'string', default: '10' },
    budget: { type: 'string', default: '100MB' },
    backbone: { type: 'string', default: 'small' },
    width: { type: 'string', default: '1' },
    latent: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4' },
    lr: { type: 'string', default: '1e-3' },
    backend: { type: 'string', default: 'wasm' },
    seed: { type: 'string', default: '42' },
    only: { type: 'string' },
    kernels: { type: 'string', default: 'project' },
    threads: { type: 'string' },
  },
});

const num = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v))
    throw new UsageError(null, `--${name} must be a number, got ${String(args[name])}`);
  return v;
};

const log = (text: string) => process.stderr.write(`${text}\n`);

interface MethodResult {
  method: 'patchgd' | 'gd';
  test_accuracy: number;
  best_test_accuracy: number;
  /** Backbone input side: the patch (PatchGD) or the downscaled whole image (GD). */
  input_size: number;
  patches_per_iteration: number;
  inner_iterations: number;
  planned_peak_bytes: number;
  max_step_peak_bytes: number;
  seconds: number;
  history: Pick<EpochMetrics, 'epoch' | 'loss' | 'trainAccuracy' | 'valAccuracy' | 'seconds'>[];
}

async function trainMethod(
  method: 'patchgd' | 'gd',
  trainDir: string,
  testDir: string,
  runDir: string,
): Promise<MethodResult> {
  let plan: Extract<TrainEvent, { type: 'plan' }> | null = null;
  let maxStepPeak = 0;
  const started = performance.now();
  const result = await runTrainJob({
    data: trainDir,
    valData: testDir,
    folds: 5,
    valFold: 0,
    runDir,
    resume: false,
    config: {
      method,
      backbone: args.backbone as BackboneName,
      widthMultiplier: num('width'),
      imageSize: num('size'),
      patchSize: num('patch'),
      epochs: num('epochs'),
      batchSize: num('batch'),
      memoryBudgetBytes: parseBytes(args.budget),
      latentDim: num('latent'),
      numClasses: num('classes'),
      lr: num('lr'),
      // A short run: warm up over the first epoch only (the paper's 2 of 100).
      warmupEpochs: 1,
      seed: num('seed'),
      // The fallback baseline is the engine before its threads: the workers would load the project's kernels.
      ...(args.kernels === 'fallback' ? { threads: 1 } : args.threads ? { threads: num('threads') } : {}),
      // The canvases are grayscale: normalise the replicated channel to zero mean, unit spread.
      normalization: { mean: [0.1, 0.1, 0.1], std: [0.3, 0.3, 0.3] },
    },
    onEvent: (e) => {
      if (e.type === 'plan') {
        plan = e;
        log(
          `${method}: input ${e.inputSize} px, P ${e.patchesPerIteration}, ${e.message ?? 'budget not binding'}`,
        );
      } else if (e.type === 'step') maxStepPeak = Math.max(maxStepPeak, e.peakBytes);
      else if (e.type === 'epoch-end')
        log(
          `${method} epoch ${e.epoch + 1}/${e.epochs}: loss ${e.metrics.loss.toFixed(3)} train ${e.metrics.trainAccuracy.toFixed(3)} test ${e.metrics.valAccuracy?.toFixed(3)} (${e.metrics.seconds.toFixed(0)} s)`,
        );
    },
  });
  const p = plan as Extract<TrainEvent, { type: 'plan' }> | null;
  const accuracies = result.history.map((h) => h.valAccuracy ?? 0);
  return {
    method,
    test_accuracy: accuracies[accuracies.length - 1] ?? 0,
    best_test_accuracy: Math.max(0, ...accuracies),
    input_size: p?.inputSize ?? 0,
    patches_per_iteration: p?.patchesPerIteration ?? 0,
    inner_iterations: p?.innerIterations ?? 0,
    planned_peak_bytes: p?.peakBytes ?? 0,
    max_step_peak_bytes: maxStepPeak,
    seconds: (performance.now() - started) / 1000,
    history: result.history.map(({ epoch, loss, trainAccuracy, valAccuracy, seconds }) => ({
      epoch,
      loss,
      trainAccuracy,
      valAccuracy,
      seconds,
    })),
  };
}

const loadBefore = os.loadavg();
const startedAt = new Date().toISOString();
const started = performance.now();
if (args.kernels !== 'project' && args.kernels !== 'fallback')
  throw new UsageError(null, `--kernels must be project or fallback, got ${args.kernels}`);
const shippedKernels = captureShippedKernels();
const backend = await selectBackend({ prefer: args.backend as BackendPreference });
const cpuFallbacks =
  args.kernels === 'fallback' && backend.name === 'wasm'
    ? useShippedKernelsWithCpuFallback(shippedKernels)
    : [];
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-ultramnist-'));
try {
  const digits = await loadMnistDigits();
  const common = { size: num('size'), classes: num('classes'), seed: num('seed') };
  const trainDir = path.join(work, 'train');
  const testDir = path.join(work, 'test');
  await generateUltraMnist({ ...common, count: num('train'), split: 'train', outDir: trainDir }, digits);
  await generateUltraMnist(
    { ...common, count: num('test'), seed: common.seed + 1, split: 'test', outDir: testDir },
    digits,
  );
  log(`generated ${args.train} train + ${args.test} test canvases of ${args.size} px in ${work}`);
  const methods = (['patchgd', 'gd'] as const).filter((m) => !args.only || args.only === m);
  const results: MethodResult[] = [];
  for (const method of methods)
    results.push(await trainMethod(method, trainDir, testDir, path.join(work, `run-${method}`)));
  const patchgd = results.find((r) => r.method === 'patchgd');
  const gd = results.find((r) => r.method === 'gd');
  const summary = {
    bench: 'ultramnist-patchgd-vs-gd',
    started_at: startedAt,
    backend: backend.name,
    wasm: describeBackend().wasm,
    kernels: args.kernels,
    cpu_fallback_kernels: cpuFallbacks,
    classes: num('classes'),
    train_count: num('train'),
    test_count: num('test'),
    epochs: num('epochs'),
    batch_size: num('batch'),
    backbone: args.backbone,
    width_multiplier: num('width'),
    latent_dim: num('latent'),
    memory_budget_bytes: parseBytes(args.budget),
    patchgd_image_size: num('size'),
    patch_size: num('patch'),
    gd_image_size: gd?.input_size ?? null,
    patchgd_acc: patchgd?.test_accuracy ?? null,
    gd_acc: gd?.test_accuracy ?? null,
    acc_gap_points: patchgd && gd ? Math.round((patchgd.test_accuracy - gd.test_accuracy) * 1000) / 10 : null,
    patchgd_p: patchgd?.patches_per_iteration ?? null,
    patchgd_peak_bytes: patchgd?.max_step_peak_bytes ?? null,
    gd_peak_bytes: gd?.max_step_peak_bytes ?? null,
    seconds: (performance.now() - started) / 1000,
    load_average_start: loadBefore,
    load_average_end: os.loadavg(),
    methods: results,
  };
  process.stdout.write(`${JSON.stringify(summary, null, args.json ? undefined : 2)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
