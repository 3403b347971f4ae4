import { describe, expect, it } from 'vitest';
import { afterEpoch, improves, ON_STOP } from '../../core/learn/runner/checkpoint-policy.ts';
import { epochMetrics } from '../helpers/epoch-metrics.ts';

describe('checkpoint policy', () => {
  it('ranks losses lower-is-better and every other metric higher-is-better', () => {
    expect(improves('valLoss', 0.4, 0.5)).toBe(true);
    expect(improves('valLoss', 0.6, 0.5)).toBe(false);
    expect(improves('loss', 0.4, 0.5)).toBe(true);
    expect(improves('valAccuracy', 0.6, 0.5)).toBe(true);
    expect(improves('valQwk', 0.4, 0.5)).toBe(false);
    // A tie is no improvement: the earlier epoch stays best.
    expect(improves('valAccuracy', 0.5, 0.5)).toBe(false);
    expect(improves('valLoss', 0.5, 0.5)).toBe(false);
  });

  it('writes best then last when the chosen metric improves, else last only', () => {
    const first = afterEpoch('valAccuracy', epochMetrics(0, { valAccuracy: 0.5 }), null);
    expect(first).toEqual({ best: { metric: 'valAccuracy', value: 0.5, epoch: 0 }, save: ['best', 'last'] });
    const worse = afterEpoch('valAccuracy', epochMetrics(1, { valAccuracy: 0.4 }), first.best);
    expect(worse).toEqual({ best: first.best, save: ['last'] });
    const better = afterEpoch('valAccuracy', epochMetrics(2, { valAccuracy: 0.7 }), worse.best);
    expect(better).toEqual({ best: { metric: 'valAccuracy', value: 0.7, epoch: 2 }, save: ['best', 'last'] });
    const lossBest = afterEpoch('valLoss', epochMetrics(3, { valLoss: 0.2 }), {
      metric: 'valLoss',
      value: 0.3,
      epoch: 1,
    });
    expect(lossBest.best).toEqual({ metric: 'valLoss', value: 0.2, epoch: 3 });
  });

  it('never picks a best from an epoch without the metric (no validation set), and a stop keeps last', () => {
    expect(afterEpoch('valAccuracy', epochMetrics(0, {}), null)).toEqual({ best: null, save: ['last'] });
    expect(afterEpoch('valQwk', epochMetrics(0, { valAccuracy: 0.9 }), null)).toEqual({
      best: null,
      save: ['last'],
    });
    expect(ON_STOP).toEqual(['last']);
  });
});
