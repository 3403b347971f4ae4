import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { overlaps } from '../../core/io/ultramnist/layout.ts';
import { splitRange } from '../../core/io/ultramnist/mnist-digits.ts';
import {
  balancedLabels,
  imageId,
  planUltraMnist,
  type UltraMnistParams,
} from '../../core/io/ultramnist/plan.ts';
import { Prng } from '../../core/base/random.ts';

// Sample counts per digit class of the mnist package.
const SAMPLES = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const base: UltraMnistParams = { count: 300, size: 256, classes: 10, seed: 42, split: 'train' };

describe('planUltraMnist', () => {
  it('labels every image with the sum of the digits it places', () => {
    for (const classes of [10, 28]) {
      for (const im of planUltraMnist({ ...base, classes }, SAMPLES)) {
        expect(im.digits.length >= 3 && im.digits.length <= 5).toBe(true);
        expect(im.digits.reduce((s, d) => s + d.digit, 0)).toBe(im.label);
      }
    }
  });

  it('keeps labels in 0..C−1 and balanced, for C = 10 and C = 28', () => {
    for (const classes of [10, 28]) {
      const counts = new Array<number>(classes).fill(0);
      for (const im of planUltraMnist({ ...base, classes, count: 3 * classes + 1 }, SAMPLES)) {
        expect(im.label >= 0 && im.label < classes).toBe(true);
        counts[im.label]!++;
      }
      expect(Math.min(...counts)).toBe(3);
      expect(Math.max(...counts)).toBe(4);
    }
  });

  it('places no two digit boxes of an image over each other', () => {
    for (const im of planUltraMnist({ ...base, classes: 28 }, SAMPLES)) {
      im.digits.forEach((a, i) => im.digits.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false)));
      im.digits.forEach((d) => expect(d.x + d.side <= 256 && d.y + d.side <= 256).toBe(true));
    }
  });

  it('takes train digits from the first 80% of each class and test digits from the last 20%', () => {
    const used = (split: 'train' | 'test') => {
      const seen = SAMPLES.map(() => new Set<number>());
      for (const im of planUltraMnist({ ...base, count: 400, split }, SAMPLES))
        for (const d of im.digits) seen[d.digit]!.add(d.sampleIndex);
      return seen;
    };
    const train = used('train');
    const test = used('test');
    SAMPLES.forEach((n, d) => {
      const cut = Math.floor(n * 0.8);
      expect([...train[d]!].every((i) => i >= 0 && i < cut)).toBe(true);
      expect([...test[d]!].every((i) => i >= cut && i < n)).toBe(true);
      expect(train[d]!.size).toBeGreaterThan(0);
      expect(test[d]!.size).toBeGreaterThan(0);
    });
  });

  it('is deterministic in its parameters', () => {
    expect(planUltraMnist(base, SAMPLES)).toEqual(planUltraMnist(base, SAMPLES));
    expect(planUltraMnist(base, SAMPLES)).not.toEqual(planUltraMnist({ ...base, seed: 43 }, SAMPLES));
  });

  it('gives train and test different labels and layouts for the same seed', () => {
    const layout = (split: 'train' | 'test') =>
      planUltraMnist({ ...base, split }, SAMPLES).map((im) => [
        im.label,
        im.digits.map((d) => [d.x, d.y, d.side]),
      ]);
    expect(layout('train')).not.toEqual(layout('test'));
  });

  it('names images by split and zero-padded index', () => {
    const ims = planUltraMnist({ ...base, count: 3, split: 'test' }, SAMPLES);
    expect(ims.map((im) => im.imageId)).toEqual(['test_00000', 'test_00001', 'test_00002']);
    expect(imageId('train', 7, 1_000_000)).toBe('train_000007');
  });

  it('rejects unusable parameters with a usage error naming the option', () => {
    const bad: [Partial<UltraMnistParams>, RegExp][] = [
      [{ count: 0 }, /--count/],
      [{ size: 32 }, /--size/],
      [{ size: 100000 }, /--size/],
      [{ classes: 29 }, /--classes/],
      [{ classes: 2.5 }, /--classes/],
      [{ seed: Number.NaN }, /--seed/],
      [{ split: 'val' as 'train' }, /--split/],
    ];
    for (const [change, message] of bad) {
      expect(() => planUltraMnist({ ...base, ...change }, SAMPLES)).toThrow(UsageError);
      expect(() => planUltraMnist({ ...base, ...change }, SAMPLES)).toThrow(message);
    }
  });
});

describe('balancedLabels', () => {
  it('covers the whole class range even when there are fewer images than classes', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 20; seed++)
      for (const l of balancedLabels(5, 28, Prng.fromSeed(seed))) seen.add(l);
    expect(Math.max(...seen)).toBeGreaterThan(20);
    expect(new Set(balancedLabels(28, 28, Prng.fromSeed(1))).size).toBe(28);
  });
});

describe('splitRange', () => {
  it('splits each class at 80%', () => {
    expect(splitRange(1001, 'train')).toEqual({ start: 0, end: 800 });
    expect(splitRange(1001, 'test')).toEqual({ start: 800, end: 1001 });
  });
});
