/**
 * Issue 18 items 2, 4 and 9: checkpoints carry checksums written in the same atomic save and a validated state;
 * damaged, malformed or non-finite ones are refused naming the file; training stops at the first non-finite loss
 * without saving; a run resumes from whatever consistent checkpoint exists.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { CHECKSUMS_FILE, loadCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import { disposeModel, loadModel, trainRun, type TrainConfigInput } from '../../core/learn/runner/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { quadrantSamples, tinyQuadrantConfig } from './synthetic.ts';

let root: string;
const train = quadrantSamples(8, 16, 1);
const val = quadrantSamples(4, 16, 2);
const config: TrainConfigInput = { ...tinyQuadrantConfig, threads: 1 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-ckpt-');
});
afterAll(() => removeDir(root));

/** A fresh one-epoch run (best and last written) in its own folder. */
async function trainedRun(name: string, epochs = 1): Promise<string> {
  const runDir = path.join(root, name);
  await trainRun({ ...config, epochs }, train, val, { runDir });
  return runDir;
}

/** Rewrites a checkpoint file and its checksum entry, as a consistent but wrong save would leave them. */
async function rewrite(dir: string, rel: string, data: Uint8Array | string): Promise<void> {
  await fs.writeFile(path.join(dir, rel), data);
  const sums = JSON.parse(await fs.readFile(path.join(dir, CHECKSUMS_FILE), 'utf8'));
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  sums.files[rel] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  await fs.writeFile(path.join(dir, CHECKSUMS_FILE), JSON.stringify(sums));
}

async function refusal(promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('checkpoint checksums and state (item 9)', () => {
  let runDir: string;
  let last: string;
  beforeAll(async () => {
    runDir = await trainedRun('checksums');
    last = path.join(runDir, 'checkpoints', 'last');
  });

  it('lists every file of the checkpoint with its size and SHA-256', async () => {
    const sums = JSON.parse(await fs.readFile(path.join(last, CHECKSUMS_FILE), 'utf8'));
    expect(Object.keys(sums.files).sort()).toEqual(
      [
        'backbone/model.json',
        'backbone/weights.bin',
        'head/model.json',
        'head/weights.bin',
        'optimizer.bin',
        'optimizer.json',
        'state.json',
      ].sort(),
    );
  });

  it('refuses right-sized random bytes in the weights, in training and in prediction', async () => {
    const weights = path.join(last, 'backbone', 'weights.bin');
    const original = await fs.readFile(weights);
    await fs.writeFile(weights, randomBytes(original.length));
    try {
      const err = await refusal(loadCheckpoint(runDir, 'last'));
      expect(err.message).toBe(`${weights}: does not match its checksum: the checkpoint is damaged`);
      await refusal(loadModel(runDir, 'last'));
    } finally {
      await fs.writeFile(weights, original);
    }
  });

  it('refuses a state.json that is not a training state, naming the field', async () => {
    const state = path.join(last, 'state.json');
    const original = await fs.readFile(state, 'utf8');
    try {
      await rewrite(last, 'state.json', '{}');
      expect((await refusal(loadCheckpoint(runDir, 'last'))).message).toMatch(
        new RegExp(`^${state}: is not a valid training state: epoch: .*`),
      );
      await rewrite(last, 'state.json', JSON.stringify({ ...JSON.parse(original), epoch: 'two' }));
      expect((await refusal(loadCheckpoint(runDir, 'last'))).message).toMatch(
        /is not a valid training state: epoch: Invalid input: expected number, received string$/,
      );
    } finally {
      await rewrite(last, 'state.json', original);
    }
  });
});

describe('non-finite weights and losses (item 4)', () => {
  it('refuses to load NaN weights even with matching checksums', async () => {
    const runDir = await trainedRun('nan-weights');
    const last = path.join(runDir, 'checkpoints', 'last');
    const size = (await fs.stat(path.join(last, 'head', 'weights.bin'))).size;
    await rewrite(last, 'head/weights.bin', new Uint8Array(new Float32Array(size / 4).fill(NaN).buffer));
    const err = await refusal(loadModel(runDir, 'last'));
    expect(err.message).toMatch(/head\/weights\.bin: weight .* holds NaN or infinite values$/);
  });

  it('stops at the first non-finite loss, saving nothing after it', async () => {
    const runDir = path.join(root, 'diverge');
    const err = await refusal(trainRun({ ...config, epochs: 3, lr: 1e30 }, train, val, { runDir }));
    expect(err.message).toMatch(
      /^.*diverge: training diverged: the loss is (NaN|Infinity) at epoch \d, batch \d \(learning rate [\d.e+]+\); stopped without saving/,
    );
    // Whatever was saved before is loadable and finite.
    for (const name of ['last', 'best'] as const) {
      const ckpt = await loadCheckpoint(runDir, name);
      ckpt?.backbone.dispose();
      ckpt?.head.dispose();
    }
  });
});

describe('resuming after a kill between saving best and last (item 2)', () => {
  it('resumes from best when last was never written', async () => {
    const runDir = await trainedRun('no-last');
    await fs.rm(path.join(runDir, 'checkpoints', 'last'), { recursive: true });
    const result = await trainRun({ ...config, epochs: 2 }, train, val, { runDir, resume: true });
    expect(result.epochsCompleted).toBe(2);
    expect(result.history.map((m) => m.epoch)).toEqual([1]);
  });

  it('resumes from best when last is damaged', async () => {
    const runDir = await trainedRun('bad-last');
    const weights = path.join(runDir, 'checkpoints', 'last', 'head', 'weights.bin');
    await fs.writeFile(weights, randomBytes((await fs.stat(weights)).size));
    const result = await trainRun({ ...config, epochs: 2 }, train, val, { runDir, resume: true });
    expect(result.epochsCompleted).toBe(2);
    const model = await loadModel(runDir, 'last');
    disposeModel(model);
  });
});
