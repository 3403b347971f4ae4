import * as tf from '@tensorflow/tfjs-core';
import { preparedFilterBytes } from '../kernels/prepared-filters.ts';
import { adapterLabel, webgpuAdapter } from '../backend/webgpu.ts';
import type { EnginePool } from '../parallel/pool.ts';
import { UsageError } from '../../base/errors.ts';
import type { TrainConfig } from '../../shared/train-config.ts';
import { downscale, gdGradients } from '../patchgd/gd.ts';
import type { GridPlan } from '../patchgd/grid.ts';
import type { RunModels } from '../patchgd/models.ts';
import { accumulate, embedPatches, innerIteration, oneHotLabels } from '../patchgd/step.ts';
import { PatchBatch } from '../patchgd/patch-batch.ts';
import { largestTensorBytes, takeFolded } from '../patchgd/profile-fold.ts';

export { largestTensorBytes };

/** 0 for the -Infinity a profile with no kernel left reports. */
const finite = (bytes: number): number => (Number.isFinite(bytes) ? bytes : 0);
import { BlankPatchSource } from '../../io/dataset/patch-source.ts';
import { FILL_AHEAD, parallelInnerIteration } from '../parallel/step-parallel.ts';

/** The wasm backend addresses at most 4 GiB: the limit of each engine thread's heap (every worker has its own). */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Tensor bytes one thread can hold on the active backend: the wasm heap's limit, else no limit (WebGPU does not
 * tell how much memory the GPU has: there the budget is what the user sets, and each tensor must fit one buffer).
 */
function threadCap(): number {
  return tf.getBackend() === 'wasm' ? WASM_HEAP_LIMIT : Infinity;
}

/** A probe made a tensor larger than one GPU buffer may be: no P (or GD input size) this large can run. */
export class BufferTooLarge extends UsageError {}

/**
 * The largest tensor one buffer may hold on the active backend: on webgpu the smaller of the adapter's
 * maxBufferSize and maxStorageBufferBindingSize (every kernel binds its tensors as storage buffers), with the
 * adapter's name for messages; null elsewhere.
 */
export function bufferLimit(): { bytes: number; adapter: string } | null {
  const adapter = tf.getBackend() === 'webgpu' ? webgpuAdapter() : null;
  if (!adapter) return null;
  return {
    bytes: Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize),
    adapter: adapterLabel(adapter),
  };
}

/**
 * GPU bytes the webgpu backend holds: its buffer manager keeps freed buffers for reuse, so what it has allocated
 * (live tensors plus that pool) is the GPU memory the run occupies, at least the tensors' own peak. 0 elsewhere.
 */
function gpuBytesAllocated(): number {
  return (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0;
}

/**
 * The budget of a step spread over `threads` engine threads on the active backend: the configured one, capped by
 * their wasm heaps.
 */
export function effectiveBudget(budget: number, threads = 1): number {
  const cap = threadCap() * threads;
  return budget > 0 ? Math.min(budget, cap) : cap;
}

/**
 * The tensor peak of a step over its engine threads: the sum of each thread's peak (an upper bound, as their
 * peaks need not coincide). Throws a UsageError when it exceeds the configured budget, or one thread's peak
 * exceeds what its heap can hold.
 */
export function checkStepPeak(threadPeaks: readonly number[], budgetBytes: number): number {
  const total = threadPeaks.reduce((a, b) => a + b, 0);
  const budget = budgetBytes > 0 ? budgetBytes : Infinity;
  const thread = Math.max(...threadPeaks);
  if (total > budget || thread > threadCap())
    throw new UsageError(
      null,
      total > budget
        ? `a training step peaked at ${formatBytes(total)}, over the memory budget ${formatBytes(budget)}`
        : `a training step peaked at ${formatBytes(thread)} on one thread, over its heap limit ${formatBytes(threadCap())}`,
    );
  return total;
}

/**
 * Runs `fn` under tf.profile: its result, the peak of all live tensor bytes (weights included) meanwhile, on
 * this thread (engine worker threads measure their own), and the largest tensor it made or used.
 */
export async function profiled<T>(
  fn: () => T | Promise<T>,
): Promise<{ value: T; peakBytes: number; largestBytes: number }> {
  const box: { value?: T } = {};
  takeFolded();
  const info = await tf.profile(async () => {
    box.value = await fn();
  });
  // A step folds the profile's kernel record as it goes (profile-fold.ts): its figures join the profile's own.
  const folded = takeFolded();
  // The kernels' prepared filters (wasm) live beside the tensors, outside the profile's count; on webgpu the
  // buffers kept for reuse count too.
  const peak = Math.max(folded.peakBytes, finite(info.peakBytes), gpuBytesAllocated());
  return {
    value: box.value as T,
    peakBytes: peak + preparedFilterBytes(tf.backend()),
    largestBytes: Math.max(folded.largestBytes, largestTensorBytes(info.kernels)),
  };
}

/**
 * Peak bytes of `probe`, with the models' batch-norm moving statistics saved and restored, so measuring leaves
 * the run exactly as it was.
 */
async function profilePeak(models: RunModels, probe: () => void | Promise<void>): Promise<number> {
  const stats = [...models.backbone.nonTrainableWeights, ...models.head.nonTrainableWeights];
  const saved = stats.map((w) => tf.clone(w.read()));
  try {
    const { peakBytes, largestBytes } = await profiled(probe);
    const limit = bufferLimit();
    if (limit && largestBytes > limit.bytes)
      throw new BufferTooLarge(
        null,
        `a ${formatBytes(largestBytes)} tensor does not fit the GPU's largest buffer, ${formatBytes(limit.bytes)} on ${limit.adapter}`,
      );
    return peakBytes;
  } finally {
    stats.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
  }
}

/** A batch of blank images for the probes: the step's tensors without holding any image. */
function probeBatch(imageSize: number, patchSize: number, batchSize: number): PatchBatch {
  return new PatchBatch(
    Array.from({ length: batchSize }, () => new BlankPatchSource(imageSize, patchSize)),
    { mean: [0, 0, 0], std: [1, 1, 1] },
  );
}

/**
 * Bytes of one PatchGD update of a batch with `patchesPerIteration` patches: the tensor peak of the Z fill and two
 * inner iterations with gradients and their sum, plus what lives beside the tensors — the chunks of patches being
 * embedded and read ahead, and `sourceBytes` (what the batch's patch sources hold: uint8 images, tile cache).
 * Each further inner iteration repeats the same allocations, so this is the peak of a whole step. Only the
 * optimizer's per-variable update, which happens after the activations are freed, is not run (it would change
 * the weights); `updateMargin` covers it.
 */
export async function measurePatchgdPeak(
  models: RunModels,
  variables: readonly tf.Variable[],
  imageSize: number,
  batchSize: number,
  patchesPerIteration: number,
  numClasses: number,
  sourceBytes = 0,
): Promise<number> {
  const batch = probeBatch(imageSize, models.inputSize, batchSize);
  const numPatches = batch.numPatches;
  const chunk = Array.from({ length: Math.min(patchesPerIteration, numPatches) }, (_, i) => i);
  const tensors = await profilePeak(models, async () => {
    const patches = await batch.tensor(chunk);
    // One real chunk of the fill, the rest as zeros: the same tensors alive (chunks summing to Z, then Z) at a
    // fraction of the compute of embedding every patch.
    const z = padToZ(embedPatches(models.backbone, patches, true), numPatches);
    const oneHot = oneHotLabels(new Array<number>(batchSize).fill(0), numClasses);
    const first = innerIteration(models, variables, z, patches, chunk, oneHot, 1, 0);
    // A second iteration while the first one's gradients are held, as during accumulation.
    const second = innerIteration(models, variables, first.z, patches, chunk, oneHot, 1, 1);
    const sum = accumulate(first.grads, second.grads);
    tf.dispose([
      patches,
      z,
      oneHot,
      first.z,
      first.logits,
      first.loss,
      second.z,
      second.logits,
      second.loss,
      ...sum,
    ]);
  });
  return tensors + batch.heldBytes(chunk.length) + sourceBytes;
}

/** Z [B, n, d] from the embeddings of its first chunk (taken) and zeros. */
function padToZ(embedded: tf.Tensor3D, numPatches: number): tf.Tensor3D {
  const [b, p, d] = embedded.shape;
  if (numPatches === p) return embedded;
  const rest = tf.zeros([b, numPatches - p, d]) as tf.Tensor3D;
  const z = tf.concat([embedded, rest], 1);
  tf.dispose([embedded, rest]);
  return z;
}

export interface PatchgdProbe {
  imageSize: number;
  batchSize: number;
  patchesPerIteration: number;
  numClasses: number;
  /** What the run's patch sources hold beside the tensors (see `measurePatchgdPeak`). */
  sourceBytes?: number;
}

/**
 * `measurePatchgdPeak` for a step on the engine threads: the same probe run through the pool, its peak the main
 * thread's plus each worker's (as `checkStepPeak` counts a step). The replicas' moving statistics, which the
 * probe moved, are restored from the main thread's backbone.
 */
export async function measureParallelPatchgdPeak(
  pool: EnginePool,
  models: RunModels,
  variables: readonly tf.Variable[],
  probe: PatchgdProbe,
): Promise<number> {
  const headVariables = variables.slice(models.backbone.trainableWeights.length);
  const batch = probeBatch(probe.imageSize, models.inputSize, probe.batchSize);
  const numPatches = batch.numPatches;
  const chunk = Array.from({ length: Math.min(probe.patchesPerIteration, numPatches) }, (_, i) => i);
  let workers: number[] = [];
  const main = await profilePeak(models, async () => {
    const z = padToZ(await pool.fill([chunk], [await batch.read(chunk)], probe.batchSize, true), numPatches);
    const oneHot = oneHotLabels(new Array<number>(probe.batchSize).fill(0), probe.numClasses);
    const inner = async (zIn: tf.Tensor3D, seed: number) =>
      parallelInnerIteration(
        pool,
        models.head,
        headVariables,
        zIn,
        chunk,
        await batch.read(chunk),
        probe.batchSize,
        oneHot,
        1,
        seed,
      );
    const first = await inner(z, 0);
    const second = await inner(first.z, 1);
    const sum = accumulate(first.grads, second.grads);
    const backbone = await pool.takeGradients();
    workers = backbone.peakBytes;
    tf.dispose([
      ...[z, oneHot, first.z, first.logits, first.loss, second.z, second.logits, second.loss],
      ...sum,
      ...backbone.gradients,
    ]);
  });
  pool.pushWeights(models.backbone, 'statistics');
  // Chunks alive at once: those posted ahead, the one embedded, the one read next.
  const chunks = batch.heldBytes(chunk.length, FILL_AHEAD + 2);
  return main + workers.reduce((a, b) => a + b, 0) + chunks + (probe.sourceBytes ?? 0);
}

/** Peak tensor bytes of one GD-baseline step on full-size images downscaled to `models.inputSize`. */
export async function measureGdPeak(
  models: RunModels,
  variables: readonly tf.Variable[],
  imageSize: number,
  batchSize: number,
  numClasses: number,
): Promise<number> {
  return profilePeak(models, () => {
    const small = downscale(tf.zeros([batchSize, imageSize, imageSize, 3]), models.inputSize);
    const oneHot = oneHotLabels(new Array<number>(batchSize).fill(0), numClasses);
    const r = gdGradients(models, variables, small, oneHot);
    tf.dispose([small, oneHot, r.logits, r.loss, ...r.grads]);
  });
}

/**
 * Tensor bytes every training step of a run holds at least, by arithmetic, with the weights: for the GD baseline
 * the batch of images as float32; for PatchGD, which reads patches from its sources and never holds the image,
 * Z [B, k², d]. Planning compares it with the budget before any probe allocates anything image-sized, so an
 * impossible budget is refused without first growing the process by the very gigabytes it forbids.
 */
export function stepFloorBytes(
  config: Pick<TrainConfig, 'method' | 'imageSize' | 'patchSize' | 'batchSize' | 'latentDim'>,
  weightBytes: number,
): number {
  if (config.method === 'gd') return config.batchSize * config.imageSize ** 2 * 3 * 4 + weightBytes;
  return config.batchSize * (config.imageSize / config.patchSize) ** 2 * config.latentDim * 4 + weightBytes;
}

/** Refuses a run whose step floor (`stepFloorBytes`) exceeds the budget or one thread's heap, before any probe. */
export function checkStepFloor(
  config: Pick<
    TrainConfig,
    'method' | 'imageSize' | 'patchSize' | 'batchSize' | 'latentDim' | 'memoryBudgetBytes'
  >,
  weightBytes: number,
  threads = 1,
): void {
  const floor = stepFloorBytes(config, weightBytes);
  const limit = Math.min(effectiveBudget(config.memoryBudgetBytes, threads), threadCap());
  if (floor > limit)
    throw new UsageError(
      null,
      `memory budget ${formatBytes(limit)} is too small: a training step at ${config.imageSize} px with batch ` +
        `${config.batchSize} holds at least ${formatBytes(floor)} (${config.method === 'patchgd' ? 'Z' : 'its images as float32'}` +
        ' and the weights); lower --image-size or --batch, or raise the budget',
    );
}

/** Bytes the optimizer's update may add on top of a probe: a few temporaries the size of the largest variable. */
export function updateMargin(variables: readonly tf.Variable[]): number {
  return 6 * 4 * Math.max(0, ...variables.map((v) => v.size));
}

export interface PatchPlanResult {
  patchesPerIteration: number;
  peakBytes: number;
  /** Human-readable note when the budget lowered P. */
  message: string | null;
}

/**
 * Largest P ≤ `plan.patchesPerIteration` whose measured step peak (plus the update margin) fits the budget.
 * Peak grows linearly in P (activations of P patches), so two probes give the slope and one more confirms the
 * pick; if the pick still misses, P shrinks until it fits. No P fits → UsageError naming budget and minimum.
 */
export async function choosePatchesPerIteration(
  measure: (p: number) => Promise<number>,
  plan: GridPlan,
  budgetBytes: number,
  margin: number,
  threads = 1,
): Promise<PatchPlanResult> {
  const nominal = plan.patchesPerIteration;
  const limit = effectiveBudget(budgetBytes, threads);
  let tooLarge: BufferTooLarge | null = null;
  // A P whose tensors exceed a GPU buffer does not fit, whatever the budget; at P = 1 that is the refusal.
  const peakAt = async (p: number) => {
    try {
      return (await measure(p)) + margin;
    } catch (err) {
      if (!(err instanceof BufferTooLarge) || p === 1) throw err;
      tooLarge = err;
      return Infinity;
    }
  };
  const atOne = await peakAt(1);
  if (atOne > limit) {
    throw new UsageError(
      null,
      `memory budget ${formatBytes(limit)} is too small: one patch per inner iteration needs ${formatBytes(atOne)} of tensors`,
    );
  }
  if (nominal === 1) return { patchesPerIteration: 1, peakBytes: atOne, message: null };
  const atTwo = await peakAt(2);
  const slope = Math.max(1, atTwo - atOne);
  let p = Math.min(nominal, 1 + Math.floor((limit - atOne) / slope));
  let peak = p <= 2 ? (p === 1 ? atOne : atTwo) : await peakAt(p);
  while ((peak > limit || !Number.isFinite(peak)) && p > 1) {
    p = Math.max(1, Math.floor(p * 0.8));
    peak = p === 1 ? atOne : await peakAt(p);
  }
  const why = tooLarge
    ? `${(tooLarge as BufferTooLarge).problem} at more`
    : `memory budget ${formatBytes(limit)}`;
  const message =
    p < nominal
      ? `${why}: ${p} patches per inner iteration instead of ${nominal} (peak ${formatBytes(peak)})`
      : null;
  return { patchesPerIteration: p, peakBytes: peak, message };
}

/** Candidate GD input sides: multiples of `step` up to the image size, largest first. */
function gdSizes(imageSize: number, step: number): number[] {
  const sizes: number[] = [];
  if (imageSize % step !== 0) sizes.push(imageSize);
  for (let s = Math.floor(imageSize / step) * step; s >= step; s -= step) sizes.push(s);
  return sizes;
}

export interface GdPlanResult {
  inputSize: number;
  peakBytes: number;
  message: string | null;
}

/**
 * Largest GD input side (a multiple of `step`, at most the image size) whose measured training-step peak fits the
 * budget. Activations grow with the pixel count, so the peak is fitted as a + b·side² from two probes, and the
 * pick is confirmed (then lowered step by step if it misses). `measure(side)` builds and probes that model.
 */
export async function chooseGdInputSize(
  measure: (side: number) => Promise<number>,
  imageSize: number,
  budgetBytes: number,
  step: number,
): Promise<GdPlanResult> {
  const budget = effectiveBudget(budgetBytes);
  const sizes = gdSizes(imageSize, step);
  const smallest = sizes[sizes.length - 1]!;
  let tooLarge: BufferTooLarge | null = null;
  // A side whose tensors exceed a GPU buffer does not fit, whatever the budget; at the smallest that is the refusal.
  const peakAt = async (side: number) => {
    try {
      return await measure(side);
    } catch (err) {
      if (!(err instanceof BufferTooLarge) || side === smallest) throw err;
      tooLarge = err;
      return Infinity;
    }
  };
  const atSmallest = await peakAt(smallest);
  if (atSmallest > budget) {
    throw new UsageError(
      null,
      `memory budget ${formatBytes(budget)} is too small: the GD baseline at ${smallest} px needs ${formatBytes(atSmallest)} of tensors`,
    );
  }
  let pickIndex = sizes.length - 1;
  if (sizes.length > 1) {
    const probeSide = sizes[Math.max(0, sizes.length - 2)]!;
    const atProbe = await peakAt(probeSide);
    const perPixel = Math.max(1e-9, (atProbe - atSmallest) / (probeSide ** 2 - smallest ** 2));
    const fitted = Math.sqrt(Math.max(0, (budget - atSmallest) / perPixel + smallest ** 2));
    pickIndex = sizes.findIndex((s) => s <= fitted);
    if (pickIndex < 0) pickIndex = sizes.length - 1;
  }
  let peak = pickIndex === sizes.length - 1 ? atSmallest : await peakAt(sizes[pickIndex]!);
  while ((peak > budget || !Number.isFinite(peak)) && pickIndex < sizes.length - 1) {
    pickIndex++;
    peak = pickIndex === sizes.length - 1 ? atSmallest : await peakAt(sizes[pickIndex]!);
  }
  const inputSize = sizes[pickIndex]!;
  const why = tooLarge
    ? `${(tooLarge as BufferTooLarge).problem} at larger sizes`
    : `memory budget ${formatBytes(budget)}`;
  const message =
    inputSize < imageSize
      ? `${why}: GD baseline trains on images downscaled to ${inputSize} px (peak ${formatBytes(peak)})`
      : null;
  return { inputSize, peakBytes: peak, message };
}
