/**
 * Issue 18 item 5: `predict`, `eval` and `grade` over a folder where every item fails exit non-zero with one line
 * naming the folder and the first error; a partial failure exits 0 but says so in the summary, the JSON and a
 * warning line. The app's grading job fails the same way when no slide could be graded.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeItems } from '../../core/app/grade-items.ts';
import { NothingSucceededError } from '../../core/jobs/item-outcome.ts';
import { runTrainJob } from '../../core/jobs/train.ts';
import { writePandaFolder } from '../app/helpers.ts';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { buildTiff } from '../slide/fixtures.ts';

let dir: string;
const run = () => join(dir, 'run');
const broken = () => join(dir, 'broken');
const mixed = () => join(dir, 'mixed');

/** A TIFF whose structure is sound but whose JPEG tiles are garbage: it opens, and fails when decoded. */
function undecodableSlide(): Uint8Array {
  const garbage = Uint8Array.from([0xff, 0xd8, ...Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff)]);
  return buildTiff([
    {
      width: 600,
      height: 400,
      tileWidth: 128,
      tileHeight: 128,
      compression: 7,
      photometric: 2,
      tiles: Array.from({ length: 20 }, () => garbage),
    },
  ]);
}

async function writeFolder(root: string, good: string[], bad: string[]): Promise<void> {
  await mkdir(join(root, 'train_images'), { recursive: true });
  const rows = [...good, ...bad].map((id, i) => `${id},radboud,${i % 2},${i % 2 ? '3+3' : 'negative'}`);
  await writeFile(
    join(root, 'train.csv'),
    ['image_id,data_provider,isup_grade,gleason_score', ...rows].join('\n') + '\n',
  );
  for (const id of good)
    await copyFile(join(dir, 'data', 'train_images', `${id}.tiff`), join(root, 'train_images', `${id}.tiff`));
  for (const id of bad) await writeFile(join(root, 'train_images', `${id}.tiff`), undecodableSlide());
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTempDir('patchgd-nothing-');
  await writePandaFolder(join(dir, 'data'), [
    { id: 'a1', grade: 0 },
    { id: 'a2', grade: 1 },
    { id: 'a3', grade: 0 },
    { id: 'a4', grade: 1 },
  ]);
  await runTrainJob({
    data: join(dir, 'data'),
    folds: 2,
    valFold: 0,
    runDir: run(),
    resume: false,
    config: {
      backbone: 'small',
      imageSize: 64,
      patchSize: 16,
      latentDim: 8,
      batchSize: 2,
      epochs: 1,
      seed: 1,
    },
  });
  await writeFolder(broken(), [], ['b1', 'b2', 'b3']);
  await writeFolder(mixed(), ['a1', 'a2'], ['b1']);
}, 120_000);
afterAll(() => removeDir(dir));

// libvips writes its own warnings about the garbage tiles to stderr too, in no fixed order: look at ours.
const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((line) => /^(error|warning): /.test(line))
    .at(-1);

describe('every item failed', () => {
  it('predict exits 1 naming the folder and the first error, with the summary in its JSON', async () => {
    const r = await cli(['predict', '--model', run(), '--data', broken(), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary).toEqual({ items: 3, succeeded: 0, failed: 3 });
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(
        `^error: ${broken()}: none of the 3 items could be predicted \\(first, b1: .*b1\\.tiff: .*corrupt`,
      ),
    );
  }, 60_000);

  it('eval exits 1 instead of printing accuracy NaN', async () => {
    const r = await cli(['eval', '--model', run(), '--data', broken()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^items 0 scored of 3 \(3 failed\)/);
    expect(lastLine(r.stderr)).toMatch(/none of the 3 items could be predicted/);
  }, 60_000);

  it('grade exits 1 after writing predictions.json, which records the failure', async () => {
    const out = join(dir, 'graded-broken');
    const r = await cli(['grade', '--model', run(), '--data', broken(), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^graded 0 of 3 slides \(3 failed\)/);
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(`^error: ${broken()}: none of the 3 slides could be graded`),
    );
    const report = JSON.parse(await readFile(join(out, 'predictions.json'), 'utf8'));
    expect(report.summary).toEqual({ items: 3, succeeded: 0, failed: 3 });
  }, 60_000);

  it("fails the app's grading job", async () => {
    const outcomes: (string | null)[] = [];
    const items = ['b1', 'b2'].map((id, i) => ({
      slideId: i + 1,
      imageId: id,
      imagePath: join(broken(), 'train_images', `${id}.tiff`),
    }));
    const grading = gradeItems(
      { jobId: 'j', runDir: run(), checkpoint: 'last', layout: 'panda', items },
      new AbortController().signal,
      (_item, _result, error) => outcomes.push(error?.problem ?? null),
    );
    await expect(grading).rejects.toBeInstanceOf(NothingSucceededError);
    expect(outcomes).toHaveLength(2);
    expect(outcomes.every((o) => o !== null)).toBe(true);
  }, 60_000);
});

describe('some items failed', () => {
  it('predict exits 0, warns, and counts the failure in its JSON', async () => {
    const r = await cli(['predict', '--model', run(), '--data', mixed(), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toEqual({ items: 3, succeeded: 2, failed: 1 });
    expect(lastLine(r.stderr)).toBe('warning: 1 of 3 items failed (listed above)');
  }, 60_000);

  it('grade exits 0 and says how many slides failed', async () => {
    const r = await cli(['grade', '--model', run(), '--data', mixed(), '--out', join(dir, 'graded-mixed')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^graded 2 of 3 slides \(1 failed\)/);
    expect(lastLine(r.stderr)).toBe('warning: 1 of 3 slides failed (listed above)');
  }, 60_000);
});
