/**
 * Memory of one training step vs image size: PatchGD at a fixed patch size and P next to the GD baseline on the
 * whole image at full resolution. `patchgd_peak_bytes` and `gd_peak_bytes` come from the engine's own probes
 * (`measurePatchgdPeak`, `measureGdPeak`: the real step code under tf.profile, plus the optimizer-update margin).
 * GD is measured up to --gd-max px; above that its peak is extrapolated from the two largest measured sizes with
 * the fit a + b·side² (activations grow with the pixel count) and marked `gd_estimated: true`.
 *
 * For the sizes in --rss-sizes, `patchgd_rss_bytes` is the peak resident memory of a fresh process
 * (`stream-step.ts`) doing one real PatchGD training step from a pyramidal JPEG TIFF of that size: a demo slide
 * (`generateDemoDataset`, longer side = the size, levels 1/4/16) written to a temporary folder at bench time, read
 * patch by patch. That process runs the Z fill over all k² patches and the first --inner inner iterations (each
 * further one repeats the same allocations); `step_seconds` is the fill plus ⌈k²/P⌉ iterations at the measured
 * pace, with the share of the measured time spent waiting for patches. For --cache-sizes the step runs twice more
 * through the disk patch cache (cold: writes it; warm: reads it back).
 *
 *   npx tsx test/bench/memory.ts --json [--sizes 1024,…,32768] [--rss-sizes 4096,…,32768] [--cache-sizes 8192]
 *     [--inner 2] [--patch 128] [--p 8] [--batch 1] [--backbone small] [--latent 64] [--gd-max 2048]
 *     [--backend wasm]
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDemoDataset } from '../../core/io/demo/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
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
    sizes: { type: 'string', default: '1024,2048,4096,8192,16384,32768' },
    'rss-sizes': { type: 'string', default: '4096,8192,16384,32768' },
    'cache-sizes': { type: 'string', default: '8192' },
    inner: { type: 'string', default: '2' },
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
const list = (text: string) => (text ? text.split(',').map(Number) : []);
const rssSizes = new Set(list(args['rss-sizes']));
const cacheSizes = new Set(list(args['cache-sizes']));

/** One streamed PatchGD step in a fresh process (`stream-step.ts`); its JSON line. */
function streamStep(slide: string, size: number, cache?: string): Promise<Record<string, number | string>> {
  const script = fileURLToPath(new URL('./stream-step.ts', import.meta.url));
  const argv = ['--import', 'tsx', script, '--slide', slide, '--size', String(size), '--inner', args.inner];
  argv.push('--patch', String(patchSize), '--p', String(patchesPerIteration), '--backbone', args.backbone);
  argv.push('--latent', args.latent, '--backend', args.backend, ...(cache ? ['--cache', cache] : []));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0) resolve(JSON.parse(line) as Record<string, number | string>);
      else reject(new Error(`stream-step at ${size} px exited with ${code}: ${out}`));
    });
  });
}

/** Generates one demo slide whose longer side is `size` into `dir`; its path and the seconds it took. */
async function demoSlide(dir: string, size: number): Promise<{ slide: string; seconds: number }> {
  const out = path.join(dir, `demo-${size}`);
  const summary = await generateDemoDataset({ out, slides: 1, seed: 7, size });
  const images = path.join(out, 'train_images');
  const [name] = await readdir(images);
  return { slide: path.join(images, name!), seconds: summary.seconds };
}

/** The fields of a stream-step run that the results keep. */
function stepFields(r: Record<string, number | string>) {
  return {
    rss_bytes: r.rss_peak_bytes,
    step_seconds: r.step_seconds_estimated,
    fill_seconds: r.fill_seconds,
    inner_seconds_each: Number(r.inner_seconds) / Number(r.inner_iterations_run),
    inner_iterations_per_step: r.inner_iterations_per_step,
    patch_wait_share: r.patch_wait_share,
    tile_cache_bytes: r.tile_cache_bytes,
  };
}

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
const slidesDir = await makeTempDir('bench-memory-');
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
  const streamed: Record<string, unknown> = {};
  if (rssSizes.has(size)) {
    log(`${size} px: demo slide…`);
    const { slide, seconds } = await demoSlide(slidesDir, size);
    log(`${size} px: streamed step (slide written in ${seconds.toFixed(0)} s)…`);
    const step = stepFields(await streamStep(slide, size));
    Object.assign(streamed, {
      patchgd_rss_bytes: step.rss_bytes,
      patchgd_step_seconds: step.step_seconds,
      patchgd_step: step,
      slide_seconds: seconds,
    });
    if (cacheSizes.has(size)) {
      const cache = path.join(slidesDir, `cache-${size}`);
      log(`${size} px: disk cache, cold then warm…`);
      const cold = await streamStep(slide, size, cache);
      const warm = stepFields(await streamStep(slide, size, cache));
      Object.assign(streamed, {
        cache_write_seconds: cold.cache_write_seconds,
        patchgd_step_cache_warm: warm,
      });
    }
    await removeDir(path.join(slidesDir, `demo-${size}`));
  }
  results.push({
    image_size: size,
    patchgd_peak_bytes: patchgd,
    gd_peak_bytes: gd,
    gd_estimated: estimated,
    gd_over_patchgd: gd / patchgd,
    ...streamed,
  });
}
await removeDir(slidesDir);
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
