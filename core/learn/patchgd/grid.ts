import { UsageError } from '../../base/errors.ts';

/** How PatchGD cuts an image and schedules its patches. */
export interface GridPlan {
  /** Patches per side. */
  k: number;
  /** Total patches k². */
  numPatches: number;
  /** Patches re-encoded with gradient per inner iteration. */
  patchesPerIteration: number;
  /** Inner iterations per image batch. */
  innerIterations: number;
  /** Inner iterations whose gradients are summed before one optimizer step (ε). */
  accumulationSteps: number;
}

/** Grid size k = H/m for non-overlapping patches; the image must be a whole number of patches. */
export function gridSize(imageSize: number, patchSize: number): number {
  if (!Number.isInteger(imageSize) || !Number.isInteger(patchSize) || patchSize < 1 || imageSize < patchSize)
    throw new UsageError(null, `cannot cut a ${imageSize} px image into ${patchSize} px patches`);
  if (imageSize % patchSize !== 0)
    throw new UsageError(null, `image size ${imageSize} is not a multiple of patch size ${patchSize}`);
  return imageSize / patchSize;
}

/**
 * The reference's schedule: P = ⌈k²·s⌉ patches per inner iteration, ⌈1/s⌉ inner iterations but no more than the
 * ⌈k²/P⌉ it takes to go once through the patches (when P·⌈1/s⌉ > k² the reference's last chunk is shorter and
 * nothing repeats), ε = inner iterations with gradient accumulation (else 1). `maxPatches` (from the memory
 * budget) may lower P; the inner iterations then grow to ⌈k²/P⌉ so that each batch still re-encodes as many
 * patches as the schedule asks.
 */
export function planGrid(
  imageSize: number,
  patchSize: number,
  sampling: number,
  gradAccumulation: boolean,
  maxPatches = Infinity,
): GridPlan {
  if (!(sampling > 0 && sampling <= 1))
    throw new UsageError(null, `sampling fraction must be in (0, 1], got ${sampling}`);
  const k = gridSize(imageSize, patchSize);
  const numPatches = k * k;
  const nominal = Math.min(numPatches, Math.ceil(numPatches * sampling));
  const nominalIterations = Math.ceil(1 / sampling);
  const patchesPerIteration = Math.max(1, Math.min(nominal, Math.floor(maxPatches)));
  const covered = Math.min(numPatches, nominal * nominalIterations);
  const innerIterations = Math.min(
    patchesPerIteration === nominal ? nominalIterations : Infinity,
    Math.ceil(covered / patchesPerIteration),
  );
  return {
    k,
    numPatches,
    patchesPerIteration,
    innerIterations,
    accumulationSteps: gradAccumulation ? innerIterations : 1,
  };
}

/**
 * Splits a permutation of patch indices into the chunks of the inner iterations: consecutive slices of P, the
 * last one shorter when P does not divide what the iterations cover (the reference's slicing; no patch repeats).
 */
export function chunkIndices(permutation: readonly number[], plan: GridPlan): number[][] {
  const chunks: number[][] = [];
  for (let it = 0; it < plan.innerIterations; it++) {
    const start = it * plan.patchesPerIteration;
    if (start >= permutation.length) break;
    chunks.push(permutation.slice(start, start + plan.patchesPerIteration));
  }
  return chunks;
}

/**
 * Chunks of `size` patch indices covering 0…n−1, the order in which Z is filled: slices of `order` (a permutation,
 * as the reference's shuffled loader gives during training, so that batch norm's statistics in each chunk come
 * from patches all over the image and not from one row of it, possibly all padding), else consecutive.
 */
export function fillChunks(numPatches: number, size: number, order?: readonly number[]): number[][] {
  const chunks: number[][] = [];
  for (let start = 0; start < numPatches; start += size)
    chunks.push(
      Array.from({ length: Math.min(size, numPatches - start) }, (_, i) => order?.[start + i] ?? start + i),
    );
  return chunks;
}
