/**
 * Peak tensor bytes of one training step vs image size: PatchGD at a fixed patch size and P next to the GD
 * baseline on the whole image at full resolution. Both are measured with the engine's own probes
 * (`measurePatchgdPeak`, `measureGdPeak`: the real step code under tf.profile, plus the optimizer-update margin).
 * GD is measured up to --gd-max px; above that its peak is extrapolated from the two largest measured sizes with
 * the fit a + b·side² (activations grow with the pixel count) and marked `gd_estimated: true`.
 *
 *   npx tsx test/bench/memory.ts --json [--sizes 1024,2048,4096,8192] [--patch 128] [--p 8] [--batch 1]
 *     [--backbone small] [--latent 64] [--gd-max 2048] [--backend wasm]
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from '../../core/base/errors.ts';
import { selectBackend, type BackendPreference } from '../../core/learn/backend/backend.ts';
import type { BackboneName } from '../../core/shared/names.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { measureGdPeak, measurePatchgdPeak, updateMargin } from '../../core/learn/runner/memory.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/learn/patchgd/models.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '1024,2048,4096,8192' },
    patch: { type: 'string', default: '128' },
    p: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1' },
    backbone: { type: 'string', default: 'small' },
    latent: { type: 'string', default: '64' },
    'gd-max': { type: 'string', default: '2048' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const patchSize = Number(args.patch);
const patchesPerIteration = Number(args.p);
const batchSize = Number(args.batch);
const gdMax = Number(args['gd-max']);
const numClasses = 10;
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Builds the models of `method` at `imageSize`, measures one step's peak (with the update margin), frees them. */
async function stepPeak(method: 'patchgd' | 'gd', imageSize: number): Promise<number> {
  const config = parseTrainConfig({
    method,
    backbone: args.backbone as BackboneName,
    imageSize,
    patchSize,
    latentDim: Number(args.latent),
    numClasses,
    batchSize,
  });
  const models = buildModels(config);
  const variables = trainableVariables(models);
  // The optimizer's moments are alive during a real step, so they count here too.
  const optimizer = new Adam(variables);
  try {
    const bytes =
      method === 'gd'
        ? await measureGdPeak(models, variables, imageSize, batchSize, numClasses)
        : await measurePatchgdPeak(models, variables, imageSize, batchSize, patchesPerIteration, numClasses);
    return bytes + updateMargin(variables);
  } finally {
    optimizer.dispose();
    disposeModels(models);
  }
}

const loadBefore = os.loadavg();
const startedAt = new Date().toISOString();
const started = performance.now();
const backend = await selectBackend({ prefer: args.backend as BackendPreference });
const gdMeasured: { side: number; bytes: number }[] = [];
const results = [];
for (const size of sizes) {
  log(`${size} px: PatchGD…`);
  const patchgd = await stepPeak('patchgd', size);
  let gd: number;
  let estimated = false;
  if (size <= gdMax) {
    log(`${size} px: GD…`);
    gd = await stepPeak('gd', size);
    gdMeasured.push({ side: size, bytes: gd });
  } else {
    const [lo, hi] = gdMeasured.slice(-2);
    if (!lo || !hi)
      throw new UsageError(
        null,
        'GD extrapolation needs two measured sizes: lower the sizes or raise --gd-max',
      );
    const perPixel = (hi.bytes - lo.bytes) / (hi.side ** 2 - lo.side ** 2);
    gd = Math.round(hi.bytes + perPixel * (size ** 2 - hi.side ** 2));
    estimated = true;
  }
  results.push({
    image_size: size,
    patchgd_peak_bytes: patchgd,
    gd_peak_bytes: gd,
    gd_estimated: estimated,
    gd_over_patchgd: gd / patchgd,
  });
}
const summary = {
  bench: 'step-peak-memory',
  started_at: startedAt,
  backend: backend.name,
  backbone: args.backbone,
  latent_dim: Number(args.latent),
  patch_size: patchSize,
  patches_per_iteration: patchesPerIteration,
  batch_size: batchSize,
  num_classes: numClasses,
  gd_measured_up_to: gdMax,
  seconds: (performance.now() - started) / 1000,
  load_average_start: loadBefore,
  load_average_end: os.loadavg(),
  results,
};
process.stdout.write(`${JSON.stringify(summary, null, args.json ? undefined : 2)}\n`);
