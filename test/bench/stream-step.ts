/**
 * One real PatchGD training step from a pyramidal TIFF, in a fresh process, for `bench:memory`'s resident-memory
 * figures: the slide is read patch by patch (`SlidePatchSource`, or its disk cache with --cache), Z is filled
 * over all k² patches, then the inner iterations run with gradient, and Adam steps once. A step has ⌈k²/P⌉
 * inner iterations; each repeats the same allocations, so --inner N runs the first N of them (the step's memory
 * peak is reached in the first two) and the step's time is the fill plus the measured time per iteration times
 * ⌈k²/P⌉ (`step_seconds_estimated`). Prints one JSON line: peak RSS (the process's maxRSS, startup included),
 * times and the share of them spent waiting for patches.
 *
 *   npx tsx test/bench/stream-step.ts --slide S.tiff --size 8192 [--patch 128] [--p 8] [--inner 2]
 *     [--backbone small] [--latent 64] [--threads 1] [--cache DIR] [--backend wasm]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendPreference } from '../../core/learn/backend/backend.ts';
import { CachedPatchSource } from '../../core/io/dataset/patch-cache.ts';
import type { PatchSource } from '../../core/io/dataset/patch-source.ts';
import { SlidePatchSource } from '../../core/io/dataset/slide-patches.ts';
import { openSlide, TileCache } from '../../core/io/slide/index.ts';
import { STREAM_TILE_CACHE_BYTES } from '../../core/io/dataset/slide-source.ts';
import { EnginePool } from '../../core/learn/parallel/pool.ts';
import { parallelPatchgdStep } from '../../core/learn/parallel/step-parallel.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { planGrid } from '../../core/learn/patchgd/grid.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/learn/patchgd/models.ts';
import { PatchBatch } from '../../core/learn/patchgd/patch-batch.ts';
import { patchgdStep } from '../../core/learn/patchgd/step.ts';
import { profiled } from '../../core/learn/runner/memory.ts';
import { Prng } from '../../core/base/random.ts';
import type { BackboneName } from '../../core/shared/names.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';

const { values: args } = parseArgs({
  options: {
    slide: { type: 'string' },
    size: { type: 'string' },
    patch: { type: 'string', default: '128' },
    p: { type: 'string', default: '8' },
    inner: { type: 'string', default: '2' },
    backbone: { type: 'string', default: 'small' },
    latent: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1' },
    cache: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
  },
});
if (!args.slide || !args.size) throw new Error('--slide and --size are required');
const size = Number(args.size);
const threads = Number(args.threads);
const backend = await selectBackend({ prefer: args.backend as BackendPreference });
const config = parseTrainConfig({
  backbone: args.backbone as BackboneName,
  imageSize: size,
  patchSize: Number(args.patch),
  latentDim: Number(args.latent),
  numClasses: 6,
  batchSize: 1,
});
const full = planGrid(size, config.patchSize, config.sampling, true, Number(args.p));
const inner = Math.min(Number(args.inner), full.innerIterations);
// The first `inner` iterations of the step, gradients accumulated over them and one Adam step.
const plan = { ...full, innerIterations: inner, accumulationSteps: inner };
const models = buildModels(config);
const variables = trainableVariables(models);
const optimizer = new Adam(variables);
const pool = threads > 1 ? await EnginePool.start(models.backbone, threads, backend.name) : null;

const started = performance.now();
// The tile cache a training job's slide pool has (`streamingSlidePool`).
const tiles = new TileCache(STREAM_TILE_CACHE_BYTES);
const slideSource = async () => {
  const slide = await openSlide(args.slide!, { cache: tiles });
  return new SlidePatchSource(slide, size, config.patchSize, () => slide.close(), tiles.maxBytes);
};
let cacheSeconds = 0;
let source: PatchSource;
if (args.cache) {
  const t = performance.now();
  source = await CachedPatchSource.open(args.cache, args.slide, size, config.patchSize, slideSource);
  cacheSeconds = (performance.now() - t) / 1000;
} else source = await slideSource();
const batch = new PatchBatch([source], config.normalization);
const prng = Prng.fromSeed(1);
const draws = {
  permutation: prng.permutation(plan.numPatches),
  dropoutSeeds: Array.from({ length: inner }, () => prng.nextUint32()),
};
const fillStart = performance.now();
const { value: step, peakBytes } = await profiled(async () => {
  const args = [plan, batch, [3], 6, draws, 1e-3] as const;
  return pool
    ? parallelPatchgdStep(pool, models, variables, optimizer, ...args)
    : patchgdStep(models, variables, optimizer, ...args);
});
const stepSeconds = (performance.now() - fillStart) / 1000;
const tileCacheBytes = tiles.bytes;
await batch.close();
await pool?.close();
optimizer.dispose();
disposeModels(models);
process.stdout.write(
  `${JSON.stringify({
    image_size: size,
    k: full.k,
    patches_per_iteration: full.patchesPerIteration,
    inner_iterations_run: inner,
    inner_iterations_per_step: full.innerIterations,
    backend: backend.name,
    threads,
    source: args.cache ? 'disk-cache' : 'slide',
    loss: step.loss,
    main_thread_tensor_peak_bytes: peakBytes,
    tile_cache_bytes: tileCacheBytes,
    rss_peak_bytes: process.resourceUsage().maxRSS * 1024,
    cache_write_seconds: cacheSeconds,
    fill_seconds: step.fillSeconds,
    inner_seconds: stepSeconds - step.fillSeconds,
    measured_seconds: stepSeconds,
    patch_wait_seconds: step.patchWaitSeconds,
    patch_wait_share: step.patchWaitSeconds / stepSeconds,
    // The whole step: the fill, then every inner iteration at the pace of the ones measured.
    step_seconds_estimated:
      step.fillSeconds + ((stepSeconds - step.fillSeconds) / inner) * full.innerIterations,
    total_seconds: (performance.now() - started) / 1000,
    tensors_left: tf.memory().numTensors,
  })}\n`,
);
