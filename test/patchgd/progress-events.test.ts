import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { CallbackList, History, type BatchLog } from '../../core/learn/runner/callbacks.ts';
import type { TrainEvent } from '../../core/learn/runner/events.ts';
import { progressEvents } from '../../core/learn/runner/progress-events.ts';
import { RunSchedule } from '../../core/learn/runner/run-schedule.ts';
import { learningRate } from '../../core/learn/patchgd/schedule.ts';
import { epochMetrics } from '../helpers/epoch-metrics.ts';

// 12 samples in batches of 4 over 2 epochs: 3 batches an epoch, 6 in all, warm-up over half an epoch (2 batches).
const config = parseTrainConfig({
  batchSize: 4,
  epochs: 2,
  warmupEpochs: 0.5,
  lr: 1e-3,
  finalLrFraction: 0.5,
});
const schedule = new RunSchedule(config, 12);

const log = (epoch: number, batch: number, seconds: number): BatchLog => ({
  epoch,
  batch,
  globalBatch: epoch * 3 + batch + 1,
  lr: 1e-3,
  loss: 0.5,
  predictions: [],
  patches: 8,
  seconds,
  peakBytes: 1024,
  patchWaitSeconds: seconds / 4,
});

describe('run schedule', () => {
  it('lays batches over epochs and follows the learning-rate schedule over the whole run', () => {
    expect([schedule.batchesPerEpoch, schedule.totalBatches]).toEqual([3, 6]);
    expect(new RunSchedule(config, 13).batchesPerEpoch).toBe(4);
    for (let b = 0; b < 6; b++) expect(schedule.lr(b)).toBe(learningRate(b, 6, 2, 1e-3, 0.5));
    expect(schedule.batch([5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6], 1)).toEqual([1, 0, 11, 10]);
    expect(schedule.batch([5, 4, 3, 2, 1, 0, 11, 10, 9], 2)).toEqual([9]);
  });
});

describe('progress events', () => {
  it('rate-limits steps but always reports an epoch’s last one, with the ETA from this session’s pace', () => {
    const events: TrainEvent[] = [];
    // An interval no test outlasts: only the first step and each epoch's last step go out.
    const progress = progressEvents((e) => events.push(e), 1e9, 2, schedule);
    progress.onEpochBegin!(0);
    for (let b = 0; b < 3; b++) progress.onBatchEnd!(log(0, b, b + 1));
    progress.onEpochEnd!(epochMetrics(0), 3);
    progress.onCheckpoint!(1, 'last', '/run/checkpoints/last');
    progress.onTrainEnd!(1, true, null);
    const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(steps.map((s) => s.batch)).toEqual([0, 2]);
    // After batch 0: 1 s a batch, 5 to go; after batch 2: (1 + 2 + 3) / 3 = 2 s a batch, 3 to go.
    expect(steps.map((s) => s.eta)).toEqual([5, 6]);
    expect(steps[0]).toMatchObject({
      epochs: 2,
      batches: 3,
      loss: 0.5,
      patchesPerSecond: 8,
      peakBytes: 1024,
      patchWait: 0.25,
    });
    expect(events.map((e) => e.type)).toEqual([
      'epoch-start',
      'step',
      'step',
      'epoch-end',
      'checkpoint',
      'done',
    ]);
    expect(events[0]).toEqual({ type: 'epoch-start', epoch: 0, epochs: 2, batches: 3 });
    expect(events[3]).toMatchObject({ type: 'epoch-end', epoch: 0, eta: 6 });
    expect(events[5]).toEqual({ type: 'done', epochs: 1, cancelled: true, best: null });
  });

  it('reports every step at interval 0, and an ETA of 0 before any step', () => {
    const events: TrainEvent[] = [];
    const progress = progressEvents((e) => events.push(e), 0, 2, schedule);
    progress.onEpochEnd!(epochMetrics(0), 0);
    for (let b = 0; b < 3; b++) progress.onBatchEnd!(log(1, b, 1));
    expect(events.map((e) => (e.type === 'step' ? e.batch : e.type))).toEqual(['epoch-end', 0, 1, 2]);
    expect(events[0]).toMatchObject({ eta: 0 });
  });
});

describe('callback list', () => {
  it('calls every callback in list order, awaiting each before the next', async () => {
    const calls: string[] = [];
    const slow = {
      async onEpochEnd() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        calls.push('slow');
      },
    };
    const history = new History();
    const list = new CallbackList([slow, history, { onEpochEnd: () => void calls.push('fast') }, {}]);
    await list.onEpochEnd(epochMetrics(0), 3);
    await list.onEpochEnd(epochMetrics(1), 6);
    await list.onBatchEnd(log(0, 0, 1)); // no callback has the hook: nothing happens
    expect(calls).toEqual(['slow', 'fast', 'slow', 'fast']);
    expect(history.epochs.map((m) => m.epoch)).toEqual([0, 1]);
  });
});
