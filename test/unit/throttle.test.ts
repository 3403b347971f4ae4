import { describe, expect, it } from 'vitest';
import { intervalGate } from '../../core/base/throttle.ts';

describe('intervalGate', () => {
  it('passes the first call, then at most one per interval', () => {
    let t = 1000;
    const due = intervalGate(250, () => t);
    const passed: number[] = [];
    for (; t <= 2000; t += 50) if (due()) passed.push(t);
    expect(passed).toEqual([1000, 1250, 1500, 1750, 2000]);
  });

  it('passes everything at interval 0', () => {
    const due = intervalGate(0, () => 5);
    expect([due(), due(), due()]).toEqual([true, true, true]);
  });
});

describe('intervalGate with force', () => {
  it('always opens when forced, and a forced opening starts the interval again', () => {
    let t = 0;
    const due = intervalGate(100, () => t);
    const seen: [number, boolean][] = [];
    for (const [at, force] of [
      [0, false],
      [50, false],
      [60, true],
      [120, false],
      [160, false],
      [170, true],
      [171, true],
    ] as const) {
      t = at;
      seen.push([at, due(force)]);
    }
    // 120 is 120 ms after the first opening but only 60 after the forced one at 60.
    expect(seen).toEqual([
      [0, true],
      [50, false],
      [60, true],
      [120, false],
      [160, true],
      [170, true],
      [171, true],
    ]);
  });
});
