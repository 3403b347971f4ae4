import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, defaultForm, formToConfig } from '../../renderer/src/lib/train-form.ts';
import { applyEvent, emptyProgress } from '../../renderer/src/lib/training-progress.ts';
import { reviewSummary, scopedSummary, splitRole } from '../../renderer/src/lib/review-summary.ts';
import { polyline } from '../../renderer/src/lib/chart.ts';

describe('training form', () => {
  it('starts from the paper defaults and round-trips them', () => {
    const result = formToConfig(defaultForm());
    expect('config' in result && result.config).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      imageSize: 512,
      patchSize: 32,
      sampling: 0.125,
      latentDim: 256,
      lr: 1e-3,
    });
  });

  it('turns the memory budget from MiB into bytes', () => {
    const form = defaultForm();
    form.budgetMiB = '4096';
    const result = formToConfig(form);
    expect('config' in result && result.config.memoryBudgetBytes).toBe(4 * 2 ** 30);
  });

  it('explains what the engine would refuse', () => {
    const form = defaultForm();
    form.numbers.patchSize = '30';
    expect(formToConfig(form)).toEqual({ error: expect.stringMatching(/not a multiple of patch size 30/) });
    form.numbers.patchSize = 'abc';
    expect(formToConfig(form)).toEqual({ error: 'Patch size (px): not a number' });
    const bad = defaultForm();
    bad.numbers.sampling = '2';
    expect(formToConfig(bad)).toEqual({ error: expect.stringMatching(/sampling/) });
    bad.numbers.sampling = '0.5';
    bad.budgetMiB = '-1';
    expect(formToConfig(bad)).toEqual({ error: expect.stringMatching(/Memory budget/) });
  });
});

describe('training progress', () => {
  it('folds engine events into the bar, ETA, curves and end state', () => {
    let p = emptyProgress();
    p = applyEvent(p, {
      type: 'plan',
      method: 'patchgd',
      patchesPerIteration: 32,
      innerIterations: 8,
      inputSize: 512,
      peakBytes: 1000,
      budgetBytes: 4000,
      message: null,
      backend: 'wasm',
      threads: 2,
    });
    expect(p.engine).toBe('wasm · 2 threads');
    p = applyEvent(p, { type: 'epoch-start', epoch: 0, epochs: 2, batches: 4 });
    p = applyEvent(p, {
      type: 'step',
      epoch: 0,
      epochs: 2,
      batch: 1,
      batches: 4,
      loss: 1.7,
      lr: 1e-3,
      patchesPerSecond: 90,
      peakBytes: 1500,
      patchWait: 0.1,
      eta: 30,
    });
    expect(p.fraction).toBeCloseTo(0.25);
    expect(p).toMatchObject({
      batch: 2,
      eta: 30,
      patchesPerSecond: 90,
      peakBytes: 1500,
      budgetBytes: 4000,
      stepLoss: [1.7],
    });
    const metrics = {
      epoch: 0,
      loss: 1.6,
      trainAccuracy: 0.3,
      valLoss: 1.5,
      valAccuracy: 0.4,
      seconds: 3,
      patchesPerSecond: 80,
      lr: 1e-3,
      valQwk: 0.2,
    };
    p = applyEvent(p, { type: 'epoch-end', epoch: 0, epochs: 2, metrics, eta: 12 });
    expect(p.fraction).toBe(0.5);
    expect(p.epochMetrics).toEqual([metrics]);
    p = applyEvent(p, { type: 'done', epochs: 2, cancelled: false, best: null });
    expect(p).toMatchObject({ done: true, cancelled: false, fraction: 1, eta: 0 });
  });

  it('shows a resumed run as training again after its cancelled end', () => {
    let p = applyEvent(emptyProgress(), { type: 'epoch-start', epoch: 0, epochs: 3, batches: 2 });
    p = applyEvent(p, { type: 'done', epochs: 3, cancelled: true, best: null });
    expect(p).toMatchObject({ done: true, cancelled: true });
    p = applyEvent(p, { type: 'epoch-start', epoch: 1, epochs: 3, batches: 2 });
    expect(p).toMatchObject({ done: false, cancelled: false, epoch: 1 });
  });
});

describe('review summary', () => {
  it('counts only slides with both grades and scores agreement by QWK', () => {
    const rows = [
      { label: 0, predicted: 0, reviewed: 0 },
      { label: 3, predicted: 3, reviewed: 3 },
      { label: 5, predicted: 4, reviewed: null },
      { label: null, predicted: 2, reviewed: 2 },
    ];
    const [truthModel, truthReviewer, reviewerModel] = reviewSummary(rows);
    expect(truthModel!.n).toBe(3);
    expect([truthModel!.rowsAre, truthModel!.colsAre]).toEqual(['truth', 'model']);
    expect(truthModel!.matrix[5]![4]).toBe(1);
    expect(truthModel!.qwk).toBeGreaterThan(0.9);
    expect(truthModel!.qwk).toBeLessThan(1);
    expect(truthReviewer!.n).toBe(2);
    expect(truthReviewer!.qwk).toBe(1);
    expect(reviewerModel!.n).toBe(3);
  });

  it('scores the model on held-out slides only, unless asked for the training or all slides', () => {
    const train = new Set(['t1', 't2', 't3']);
    // The model is right on every slide it trained on and wrong on both it never saw.
    const slides: [string, number, number][] = [
      ['t1', 0, 0],
      ['t2', 2, 2],
      ['t3', 4, 4],
      ['h1', 1, 3],
      ['h2', 3, 1],
    ];
    const rows = slides.map(([id, label, predicted]) => ({
      label,
      predicted,
      reviewed: null,
      role: splitRole(id, train),
    }));
    expect(rows.map((r) => r.role)).toEqual(['train', 'train', 'train', 'held-out', 'held-out']);
    const [heldOut] = scopedSummary(rows, 'held-out');
    expect(heldOut!.n).toBe(2);
    expect(heldOut!.accuracy).toBe(0);
    expect(heldOut!.matrix[1]![3]).toBe(1);
    expect(heldOut!.matrix[3]![1]).toBe(1);
    // Hand-computed, weights (i − j)²/5²: both slides are off by 2, observed disagreement 0.16; the marginals (half
    // 1, half 3, both ways) expect half the pairs off by 2, 0.08 → κ = 1 − 0.16/0.08 = −1.
    expect(heldOut!.qwk).toBeCloseTo(-1, 10);
    const [trained] = scopedSummary(rows, 'train');
    expect([trained!.n, trained!.accuracy, trained!.qwk]).toEqual([3, 1, 1]);
    const [all] = scopedSummary(rows, 'all');
    expect([all!.n, all!.accuracy]).toEqual([5, 0.6]);
    // No run shown: no roles, so no held-out figures rather than figures over trained slides.
    expect(
      scopedSummary(
        rows.map((r) => ({ ...r, role: null })),
        'held-out',
      )[0]!.n,
    ).toBe(0);
  });
});

describe('line chart', () => {
  it('scales points into the box and skips missing values', () => {
    expect(polyline([0, null, 1], 100, 50)).toBe('0.0,50.0 100.0,0.0');
    expect(polyline([], 100, 50)).toBe('');
    expect(polyline([0.5], 100, 50, { min: 0, max: 1 })).toBe('0.0,25.0');
  });
});
