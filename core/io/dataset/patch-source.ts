/**
 * Patch sources: what PatchGD reads instead of a whole-image tensor. A source stands for one square training
 * image of `imageSize` px cut into `patchSize` px patches (patch n = i·k + j at grid row i, column j) and hands
 * out the pixels of any set of patches, so the engine never holds more than a chunk of them as floats.
 */
import { DatasetError } from '../../base/errors.ts';
import type { RgbImage } from '../slide/types.ts';

/** Per-channel normalisation (x − mean) / std of pixel values in [0, 1]. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

export interface PatchSource {
  readonly imageSize: number;
  readonly patchSize: number;
  /** Bytes of pixels and buffers this source keeps in memory between reads (a shared tile cache not included). */
  readonly heldBytes: number;
  /** Most bytes a cache shared by every source of its kind may hold while this one reads (decoded tiles), else 0. */
  readonly sharedBytes: number;
  /**
   * Writes the normalised float32 pixels of patches `indices` (each m·m·3 values, interleaved RGB, in the
   * order given) into `out` from `offset`.
   */
  readPatches(
    indices: readonly number[],
    norm: Normalization,
    out: Float32Array,
    offset: number,
  ): Promise<void>;
  close(): Promise<void>;
}

/** A source whose pixels are 8-bit RGB: it can also hand out raw patch bytes (what the disk cache stores). */
export interface RgbPatchSource extends PatchSource {
  /** Writes the 8-bit RGB pixels of patches `indices` (m·m·3 bytes each, in the order given) into `out`. */
  readRgb(indices: readonly number[], out: Uint8Array): Promise<void>;
}

/** Patches per side of a square image; a clear error when the image is not a whole number of patches. */
export function patchesPerSide(imageSize: number, patchSize: number): number {
  const k = imageSize / patchSize;
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(patchSize) || patchSize < 1)
    throw new DatasetError(null, `a ${imageSize} px image does not split into ${patchSize} px patches`);
  return k;
}

/** Checks patch indices against the grid (a wrong index would silently read another patch's pixels). */
export function checkIndices(indices: readonly number[], numPatches: number, what: string): void {
  for (const n of indices)
    if (!Number.isInteger(n) || n < 0 || n >= numPatches)
      throw new DatasetError(what, `patch index ${n} is not in 0..${numPatches - 1}`);
}

/**
 * Normalises `count` interleaved RGB values from `data` (0–255 when `scale` is 1/255, or floats in [0, 1] with
 * scale 1) into `out`: the formula of the whole-image path, so both give the same floats.
 */
export function normalizeInto(
  data: Uint8Array | Float32Array,
  from: number,
  count: number,
  scale: number,
  norm: Normalization,
  out: Float32Array,
  offset: number,
): void {
  const inv = norm.std.map((s) => 1 / s);
  for (let i = 0; i < count; i += 3)
    for (let c = 0; c < 3; c++) out[offset + i + c] = (data[from + i + c]! * scale - norm.mean[c]!) * inv[c]!;
}

/** A source that reads 8-bit patches (`readRgb`) and normalises them into floats. */
export abstract class EightBitSource implements RgbPatchSource {
  abstract readonly imageSize: number;
  abstract readonly patchSize: number;
  abstract readonly heldBytes: number;
  abstract readonly sharedBytes: number;
  abstract readRgb(indices: readonly number[], out: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  async readPatches(
    indices: readonly number[],
    norm: Normalization,
    out: Float32Array,
    offset: number,
  ): Promise<void> {
    const bytes = new Uint8Array(indices.length * this.patchSize ** 2 * 3);
    await this.readRgb(indices, bytes);
    normalizeInto(bytes, 0, bytes.length, 1 / 255, norm, out, offset);
  }
}

/**
 * Source (a): a whole decoded square image kept in memory, as 8-bit RGB (3 bytes a pixel) or, for float
 * images, as float32 in [0, 1].
 */
export class ImagePatchSource implements RgbPatchSource {
  readonly k: number;
  readonly sharedBytes = 0;
  readonly #pixels: Uint8Array | Float32Array;

  constructor(
    readonly imageSize: number,
    readonly patchSize: number,
    pixels: RgbImage | Float32Array,
    readonly id = 'image',
  ) {
    this.k = patchesPerSide(imageSize, patchSize);
    const data = pixels instanceof Float32Array ? pixels : pixels.data;
    if (!(pixels instanceof Float32Array) && (pixels.width !== imageSize || pixels.height !== imageSize))
      throw new DatasetError(
        id,
        `image is ${pixels.width}×${pixels.height}, expected ${imageSize}×${imageSize}`,
      );
    if (data.length !== imageSize * imageSize * 3)
      throw new DatasetError(
        id,
        `image has ${data.length} values, expected ${imageSize * imageSize * 3} (${imageSize}×${imageSize}×3)`,
      );
    this.#pixels = data;
  }

  get heldBytes(): number {
    return this.#pixels.byteLength;
  }

  async readPatches(
    indices: readonly number[],
    norm: Normalization,
    out: Float32Array,
    offset: number,
  ): Promise<void> {
    checkIndices(indices, this.k * this.k, this.id);
    const m = this.patchSize;
    const scale = this.#pixels instanceof Float32Array ? 1 : 1 / 255;
    indices.forEach((n, p) => {
      const { x, y } = this.#origin(n);
      for (let row = 0; row < m; row++)
        normalizeInto(
          this.#pixels,
          ((y + row) * this.imageSize + x) * 3,
          m * 3,
          scale,
          norm,
          out,
          offset + (p * m + row) * m * 3,
        );
    });
  }

  async readRgb(indices: readonly number[], out: Uint8Array): Promise<void> {
    if (this.#pixels instanceof Float32Array)
      throw new DatasetError(this.id, 'a float image has no 8-bit pixels to cache');
    checkIndices(indices, this.k * this.k, this.id);
    const m = this.patchSize;
    indices.forEach((n, p) => {
      const { x, y } = this.#origin(n);
      for (let row = 0; row < m; row++) {
        const from = ((y + row) * this.imageSize + x) * 3;
        out.set(this.#pixels.subarray(from, from + m * 3) as Uint8Array, (p * m + row) * m * 3);
      }
    });
  }

  async close(): Promise<void> {}

  #origin(n: number): { x: number; y: number } {
    return { x: (n % this.k) * this.patchSize, y: Math.floor(n / this.k) * this.patchSize };
  }
}

/**
 * An image of one colour that holds no pixels: what the memory planner's probes read, so that probing a
 * 32,768 px step costs no more memory than the step itself.
 */
export class BlankPatchSource implements PatchSource {
  readonly heldBytes = 0;
  readonly sharedBytes = 0;
  readonly #numPatches: number;

  constructor(
    readonly imageSize: number,
    readonly patchSize: number,
    private readonly value = 255,
  ) {
    this.#numPatches = patchesPerSide(imageSize, patchSize) ** 2;
  }

  async readPatches(
    indices: readonly number[],
    norm: Normalization,
    out: Float32Array,
    offset: number,
  ): Promise<void> {
    checkIndices(indices, this.#numPatches, 'blank image');
    const pixel = new Float32Array(3);
    normalizeInto(new Uint8Array(3).fill(this.value), 0, 3, 1 / 255, norm, pixel, 0);
    const count = indices.length * this.patchSize ** 2 * 3;
    for (let i = 0; i < count; i++) out[offset + i] = pixel[i % 3]!;
  }

  async close(): Promise<void> {}
}
