/**
 * Issue 18 items 11 and 13: a resumed run keeps the engine thread count it trained on (another count changes the
 * results beyond rounding), refusing an explicit different one; and its plan reports the planned peak, not 0 B.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import {
  describeEvent,
  trainRun,
  type TrainConfigInput,
  type TrainEvent,
} from '../../core/learn/runner/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { quadrantSamples, tinyQuadrantConfig } from './synthetic.ts';

let root: string;
const train = quadrantSamples(8, 16, 1);
const val = quadrantSamples(4, 16, 2);
const config: TrainConfigInput = { ...tinyQuadrantConfig };

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-resume-threads-');
});
afterAll(() => removeDir(root));

const planOf = (events: TrainEvent[]) =>
  events.find((e) => e.type === 'plan') as Extract<TrainEvent, { type: 'plan' }>;

describe('resuming a run', () => {
  it('keeps the thread count it trained on, refuses another, and reports the planned peak', async () => {
    const runDir = path.join(root, 'run');
    const first: TrainEvent[] = [];
    await trainRun({ ...config, threads: 1 }, train, val, { runDir, onEvent: (e) => first.push(e) });
    const planned = planOf(first);
    expect(planned.peakBytes).toBeGreaterThan(0);

    const refused = await trainRun({ ...config, epochs: 2, threads: 2 }, train, val, {
      runDir,
      resume: true,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toBe(
      `${path.join(runDir, 'checkpoints')}: the run trained on 1 engine thread; resuming on 2 would change its ` +
        'results (threads sum gradients in another order): resume with 1, or leave threads unset',
    );

    const resumed: TrainEvent[] = [];
    const result = await trainRun({ ...config, epochs: 2 }, train, val, {
      runDir,
      resume: true,
      onEvent: (e) => resumed.push(e),
    });
    expect(result.epochsCompleted).toBe(2);
    expect(result.threads).toBe(1);
    const plan = planOf(resumed);
    expect(plan.threads).toBe(1);
    expect(plan.peakBytes).toBe(planned.peakBytes);
    expect(describeEvent(plan)).not.toMatch(/peak 0 B/);
  });
});
