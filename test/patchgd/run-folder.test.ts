import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { parseTrainConfig } from '../../core/shared/train-config.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';
import { buildModels, disposeModels, trainableVariables } from '../../core/learn/patchgd/models.ts';
import { saveCheckpoint } from '../../core/learn/runner/checkpoint.ts';
import { resolveRunConfig, RunFolder } from '../../core/learn/runner/run-folder.ts';
import { freshState } from '../../core/learn/runner/train-state.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { epochMetrics } from '../helpers/epoch-metrics.ts';

const input = {
  backbone: 'small',
  imageSize: 16,
  patchSize: 8,
  latentDim: 4,
  numClasses: 3,
  epochs: 2,
} as const;
const config = parseTrainConfig(input);
const fresh = () => freshState(config.seed, 2, 8);
const line = (epoch: number) => `${JSON.stringify(epochMetrics(epoch))}\n`;

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await makeTempDir('patchgd-run-folder-');
});
afterAll(async () => {
  await removeDir(root);
});

/** A run folder stopped in epoch 2 at batch 1, with `order` as the epoch's sample order. */
async function stoppedRun(name: string, order: number[]): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  const models = buildModels(config);
  const optimizer = new Adam(trainableVariables(models));
  const state = { ...fresh(), epoch: 2, batch: 1, globalBatch: 7, order };
  await saveCheckpoint(dir, 'last', { ...models, optimizer: await optimizer.getState(), state });
  optimizer.dispose();
  disposeModels(models);
  return dir;
}

describe('run folder', () => {
  it('starts a new run: its files, config.json, an empty metrics log that epochs append to', async () => {
    const dir = path.join(root, 'new', 'run');
    const folder = await RunFolder.open(dir, false, { 'split.json': '{"val":[1]}' });
    expect(folder.resumed).toBeNull();
    expect(await fs.readFile(path.join(dir, 'split.json'), 'utf8')).toBe('{"val":[1]}');
    const state = await folder.begin(config, fresh, 4);
    expect(state).toEqual(fresh());
    expect(JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'))).toEqual(config);
    await folder.appendMetrics(epochMetrics(0));
    await folder.appendMetrics(epochMetrics(1));
    expect(await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(line(0) + line(1));
  });

  it('resumes from checkpoints/last, dropping the log lines of epochs it trains again and a torn last line', async () => {
    const dir = await stoppedRun('stopped', [2, 0, 1, 3]);
    await fs.writeFile(path.join(dir, 'metrics.jsonl'), line(0) + line(1) + line(2) + '{"epoch": 3, "lo');
    await expect(RunFolder.open(dir, false, {})).rejects.toThrow(/already holds a trained run/);
    const folder = await RunFolder.open(dir, true, {});
    const state = await folder.begin(config, fresh, 4);
    expect(state).toMatchObject({ epoch: 2, batch: 1, globalBatch: 7, order: [2, 0, 1, 3] });
    expect(await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(line(0) + line(1));
    folder.resumed!.backbone.dispose();
    folder.resumed!.head.dispose();
  });

  it('refuses to resume without a checkpoint, or with another number of training samples', async () => {
    const empty = path.join(root, 'empty');
    const refused = await RunFolder.open(empty, true, {}).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toBe(
      `${path.join(empty, 'checkpoints')}: no checkpoint to resume from`,
    );
    const dir = await stoppedRun('fewer', [2, 0, 1, 3]);
    await fs.writeFile(path.join(dir, 'metrics.jsonl'), line(0));
    const folder = await RunFolder.open(dir, true, {});
    await expect(folder.begin(config, fresh, 5)).rejects.toThrow(
      /stopped with 4 training samples, now there are 5/,
    );
    // Nothing was rewritten by the refused resume.
    expect(await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(line(0));
    folder.resumed!.backbone.dispose();
    folder.resumed!.head.dispose();
  });

  it('resumes with the saved configuration, taking only epochs, workers and threads from the given one', async () => {
    const dir = await stoppedRun('config', []);
    const resumed = await resolveRunConfig(dir, { ...input, epochs: 5, workers: 1, threads: 2 }, true);
    expect(resumed).toEqual({ ...config, epochs: 5, workers: 1, threads: 2 });
    await expect(resolveRunConfig(dir, { ...input, latentDim: 8, seed: 3 }, true)).rejects.toThrow(
      /cannot resume with a different configuration \(latentDim, seed changed\)/,
    );
    expect(await resolveRunConfig(dir, { ...input, latentDim: 8 }, false)).toMatchObject({ latentDim: 8 });
  });
});
