import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

// End to end through the real command: UltraMNIST folders → train on wasm → predict → eval → resume.
let tmp: string;
let train: string;
let test: string;
let runDir: string;

const TRAIN = [
  '--backbone',
  'small',
  '--image-size',
  '64',
  '--patch-size',
  '16',
  '--latent',
  '16',
  '--seed',
  '3',
];

beforeAll(async () => {
  tmp = await makeTempDir('cli-train-');
  train = path.join(tmp, 'train');
  test = path.join(tmp, 'test');
  runDir = path.join(tmp, 'run');
  const gen = ['--size', '64', '--classes', '3', '--seed', '5'];
  expect((await cli(['ultramnist', '--out', train, '--count', '24', ...gen, '--split', 'train'])).code).toBe(
    0,
  );
  expect((await cli(['ultramnist', '--out', test, '--count', '9', ...gen, '--split', 'test'])).code).toBe(0);
}, 300_000);

afterAll(async () => {
  await removeDir(tmp);
});

describe('patchgd train / predict / eval', () => {
  it('trains a run on wasm, says which backend, and writes its folder', async () => {
    const r = await cli(['train', '--data', train, '--out', runDir, '--epochs', '1', '--json', ...TRAIN]);
    expect(r.stderr).toMatch(
      /^backend: wasm \(auto: .*, SIMD fused multiply-add \(relaxed SIMD (enabled by flag|shipped)\)\) — skipped tensorflow-gpu: .*tensorflow: /m,
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      backend: 'wasm',
      epochsCompleted: 1,
      cancelled: false,
    });
    // A stratified fifth of 24 items (8 per class) is held out.
    expect(result.trainItems + result.valItems).toBe(24);
    expect(result.valItems).toBeGreaterThanOrEqual(4);
    expect(result.valItems).toBeLessThanOrEqual(6);
    const config = JSON.parse(await readFile(path.join(runDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      method: 'patchgd',
      imageSize: 64,
      patchSize: 16,
      numClasses: 3,
      sampling: 0.125,
    });
    const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(metrics).toHaveLength(1);
    expect(JSON.parse(metrics[0]!)).toHaveProperty('valQwk');
  }, 300_000);

  it('predicts every item with probabilities that sum to 1', async () => {
    const r = await cli(['predict', '--model', runDir, '--data', test, '--json']);
    expect(r.code).toBe(0);
    const { predictions } = JSON.parse(r.stdout) as {
      predictions: { id: string; predicted: number; probabilities: number[]; label: number }[];
    };
    expect(predictions).toHaveLength(9);
    for (const p of predictions) {
      expect(p.probabilities).toHaveLength(3);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.predicted).toBe(p.probabilities.indexOf(Math.max(...p.probabilities)));
    }
  }, 300_000);

  it('evaluates with accuracy, qwk and a confusion matrix consistent with predict', async () => {
    const [evalRun, predictRun] = await Promise.all([
      cli(['eval', '--model', runDir, '--data', test, '--json']),
      cli(['predict', '--model', runDir, '--data', test, '--json']),
    ]);
    expect(evalRun.code).toBe(0);
    const report = JSON.parse(evalRun.stdout);
    const { predictions } = JSON.parse(predictRun.stdout) as {
      predictions: { label: number; predicted: number }[];
    };
    const correct = predictions.filter((p) => p.label === p.predicted).length;
    expect(report.n).toBe(9);
    expect(report.accuracy).toBeCloseTo(correct / 9, 10);
    expect(report.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(9);
    expect(typeof report.qwk === 'number' || report.qwk === null).toBe(true);
  }, 300_000);

  it('resumes the run for one more epoch', async () => {
    const r = await cli([
      'train',
      '--data',
      train,
      '--out',
      runDir,
      '--epochs',
      '2',
      '--resume',
      '--json',
      ...TRAIN,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ epochsCompleted: 2 });
    const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(metrics.map((line) => JSON.parse(line).epoch)).toEqual([0, 1]);
  }, 300_000);

  it('fails with one error line for bad input', async () => {
    const missing = await cli(['train', '--data', path.join(tmp, 'nope'), '--out', path.join(tmp, 'r2')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^error: .*nope/);
    const budget = await cli([
      'train',
      '--data',
      train,
      '--out',
      path.join(tmp, 'r3'),
      '--memory-budget',
      'lots',
    ]);
    expect(budget.code).not.toBe(0);
    expect(budget.stderr).toMatch(/^error: cannot read "lots" as a size/m);
    const noRun = await cli(['eval', '--model', path.join(tmp, 'nope'), '--data', test]);
    expect(noRun.stderr).toMatch(/^error: .*config\.json: no training configuration here/m);
  }, 300_000);
});
