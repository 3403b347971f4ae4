import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

// The engine on PANDA-layout slides, end to end: demo slides → train (whole slide read from the pyramid at
// 128 px) → eval with QWK, through the real command.
let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-panda-'));
  data = path.join(tmp, 'demo');
  const r = await cli(['demo-data', '--out', data, '--slides', '12', '--size', '1024', '--seed', '9']);
  expect(r.code).toBe(0);
}, 300_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('patchgd train on PANDA-layout slides', () => {
  it('trains ISUP as 6 classes and evaluates with QWK', async () => {
    const run = path.join(tmp, 'run');
    const args = ['--backbone', 'small', '--image-size', '128', '--patch-size', '32', '--latent', '16'];
    const r = await cli([
      'train',
      '--data',
      data,
      '--out',
      run,
      '--epochs',
      '1',
      '--folds',
      '3',
      '--json',
      ...args,
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.trainItems + result.valItems).toBe(12);
    const config = JSON.parse(await readFile(path.join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ numClasses: 6, imageSize: 128, patchSize: 32 });
    const ev = await cli(['eval', '--model', run, '--data', data, '--json']);
    expect(ev.code).toBe(0);
    const report = JSON.parse(ev.stdout);
    expect(report.n).toBe(12);
    expect(report.confusion_matrix).toHaveLength(6);
    expect(report.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(12);

    // The run records its split, and `grade --held-out` grades exactly the held-out fold.
    const split = JSON.parse(await readFile(path.join(run, 'split.json'), 'utf8'));
    expect(split).toMatchObject({ data: path.resolve(data), source: 'fold', folds: 3, valFold: 0 });
    expect(split.val).toHaveLength(result.valItems);
    expect(new Set([...split.train, ...split.val]).size).toBe(12);
    const out = path.join(tmp, 'graded');
    const graded = await cli(['grade', '--model', run, '--data', data, '--out', out, '--held-out', '--json']);
    expect(graded.code).toBe(0);
    const ids = JSON.parse(graded.stdout).slides.map((s: { id: string }) => s.id);
    expect(ids.sort()).toEqual([...split.val].sort());
    const elsewhere = await cli(['grade', '--model', run, '--data', tmp, '--out', out, '--held-out']);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/split\.json: the run held out items of .*demo, not of /);
  }, 180_000);
});
