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
