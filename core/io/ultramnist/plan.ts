import { UsageError } from '../../base/errors.ts';
import { MIN_CANVAS, drawDigitValues, layoutDigits } from './layout.ts';
import { splitRange, type Split } from './mnist-digits.ts';
import { Prng } from '../../base/random.ts';

/** Largest canvas accepted: one 8-bit canvas is held in memory per image being written (≤ 64 MiB each). */
export const MAX_CANVAS = 8192;
/** Sums of 3–5 digits reach 0..45, but the benchmark's full variant has 28 classes (0..27). */
export const MAX_CLASSES = 28;
export const MAX_COUNT = 1_000_000;

export interface UltraMnistParams {
  /** Number of images. */
  count: number;
  /** Canvas side in pixels (benchmark: 4000; the reference's quick setting: 512). */
  size: number;
  /** Labels are 0..classes−1 (10: the reference's quick variant, 28: the full benchmark). */
  classes: number;
  seed: number;
  split: Split;
}

/** One MNIST digit drawn on a canvas: which sample, its scale factor and its box in canvas pixels. */
export interface DigitPlacement {
  digit: number;
  /** Index of the sample within its digit class of the mnist package. */
  sampleIndex: number;
  factor: number;
  /** True for the f = 1 digit shrunk to half size. */
  halved: boolean;
  x: number;
  y: number;
  side: number;
}

export interface UltraMnistImage {
  imageId: string;
  /** Sum of the digits. */
  label: number;
  digits: DigitPlacement[];
}

function requireInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(null, `--${name} must be an integer in ${min}..${max}, got ${String(value)}`);
}

/** Rejects parameters that would make an unusable dataset or a giant allocation. */
export function validateParams(p: UltraMnistParams): void {
  requireInt('count', p.count, 1, MAX_COUNT);
  requireInt('size', p.size, MIN_CANVAS, MAX_CANVAS);
  requireInt('classes', p.classes, 1, MAX_CLASSES);
  requireInt('seed', p.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (p.split !== 'train' && p.split !== 'test')
    throw new UsageError(null, `--split must be train or test, got ${String(p.split)}`);
}

/** Image ids `<split>_<index>`, zero-padded so they sort in generation order. */
export function imageId(split: Split, index: number, count: number): string {
  return `${split}_${String(index).padStart(Math.max(5, String(count - 1).length), '0')}`;
}

/**
 * `count` labels in 0..classes−1, each class used within one time of every other: whole shuffled rounds of
 * all classes, the last round cut short (so a small set still samples classes from the whole range), then
 * shuffled together.
 */
export function balancedLabels(count: number, classes: number, rng: Prng): number[] {
  const labels: number[] = [];
  while (labels.length < count) {
    const round = rng.shuffle(Array.from({ length: classes }, (_, c) => c));
    labels.push(...round.slice(0, count - labels.length));
  }
  return rng.shuffle(labels);
}

/**
 * Decides every image without drawing a pixel: labels are exactly balanced (each class count within one of
 * the others, in shuffled order), digits sum to the label, each digit is a sample from the split's share of
 * its class. Deterministic in the parameters; `samplesPerDigit[d]` is the number of MNIST samples of digit d.
 */
export function planUltraMnist(p: UltraMnistParams, samplesPerDigit: readonly number[]): UltraMnistImage[] {
  validateParams(p);
  // Each split draws its own sequence: with one seed for both, test images would otherwise repeat the train
  // images' labels and layouts with other digit samples, and a model could score by remembering layouts.
  const rng = Prng.fromSeed(p.seed, p.split === 'train' ? 0 : 1);
  const ranges = samplesPerDigit.map((n) => splitRange(n, p.split));
  const labels = balancedLabels(p.count, p.classes, rng);
  return labels.map((label, index) => {
    const values = drawDigitValues(label, rng);
    const boxes = layoutDigits(values.length, p.size, rng);
    const digits = values.map((digit, k): DigitPlacement => {
      const range = ranges[digit];
      if (!range || range.end <= range.start) throw new RangeError(`no MNIST samples of digit ${digit}`);
      const box = boxes[k]!;
      return {
        digit,
        sampleIndex: range.start + rng.nextInt(range.end - range.start),
        factor: box.factor,
        halved: box.halved,
        x: box.x,
        y: box.y,
        side: box.side,
      };
    });
    return { imageId: imageId(p.split, index, p.count), label, digits };
  });
}
