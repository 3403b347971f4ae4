/**
 * The CLI (`gradeFolder`, what `patchgd grade` runs) and the app's engine process (`gradeItems`) grade through
 * the same loop: for the same run and slides they give the same grades, probabilities, attention grids and
 * per-slide failures, each in its own output form.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeItems, type GradeResult } from '../../core/app/grade-items.ts';
import { attentionFileSchema, type Failure, type GradeItem } from '../../core/app/engine-protocol.ts';
import { gradeFolder, type GradeReport } from '../../core/jobs/grade-folder.ts';
import { tempDir, trainCornerRun, writeCornerPanda, type PandaSlide } from './fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;
let slides: PandaSlide[];
const data = () => join(root, 'data');
const runDir = () => join(root, 'run');

beforeAll(async () => {
  await tf.setBackend('cpu');
  ({ dir: root, cleanup } = await tempDir('same-grades'));
  slides = await writeCornerPanda(data(), 8, { width: 256, height: 192, tumour: 40 });
  // Agreement needs a trained model, not a good one: one short epoch.
  await trainCornerRun(data(), runDir(), { batchSize: 4, epochs: 1, warmupEpochs: 0, seed: 5 });
  // Added after training: an unreadable slide, which both paths must report and step over.
  await writeFile(join(data(), 'train_images', 'zz-bad.tiff'), 'not a tiff at all');
  await appendFile(join(data(), 'train.csv'), 'zz-bad,radboud,2,3+4\n');
}, 120_000);
afterAll(async () => {
  await cleanup();
});

describe('one grading loop', () => {
  let cli: GradeReport;
  const app = new Map<string, { result: GradeResult | null; error: Failure | null }>();
  const out = () => join(root, 'out');

  beforeAll(async () => {
    // The same run, checkpoint and engine threads as the app's engine process uses.
    cli = await gradeFolder({
      runDir: runDir(),
      dataDir: data(),
      outDir: out(),
      checkpoint: 'last',
      threads: 'auto',
    });
    const ids = [...slides.map((s) => s.id), 'zz-bad'];
    const items: GradeItem[] = ids.map((id, i) => ({
      slideId: i + 1,
      imageId: id,
      imagePath: join(data(), 'train_images', `${id}.tiff`),
    }));
    const cancelled = await gradeItems(
      { jobId: 'job-1', runDir: runDir(), checkpoint: 'last', layout: 'panda', items },
      new AbortController().signal,
      (item, result, error) => app.set(item.imageId, { result, error }),
    );
    expect(cancelled).toBe(false);
  }, 120_000);

  it('grades the same slides with the same grades and probabilities', () => {
    expect(cli.slides.map((s) => s.id).sort()).toEqual([...app.keys()].sort());
    for (const s of cli.slides.filter((s) => s.error === null)) {
      const { result, error } = app.get(s.id)!;
      expect(error).toBeNull();
      expect(result!.predicted).toBe(s.predicted);
      expect(result!.probabilities).toEqual(s.probabilities);
    }
    expect(cli.slides.filter((s) => s.error === null)).toHaveLength(slides.length);
  });

  it('writes the same attention grid in each output form', async () => {
    for (const s of cli.slides.filter((s) => s.error === null)) {
      const fromCli = JSON.parse(await readFile(join(out(), s.attention!.json), 'utf8'));
      const appFile = app.get(s.id)!.result!.attentionPath!;
      expect(appFile).toBe(
        join(runDir(), 'attention', 'job-1', `${slides.findIndex((x) => x.id === s.id) + 1}.json`),
      );
      const fromApp = attentionFileSchema.parse(JSON.parse(await readFile(appFile, 'utf8')));
      expect(fromApp).toEqual({
        origin: { x: fromCli.origin[0], y: fromCli.origin[1] },
        dx: fromCli.dx,
        dy: fromCli.dy,
        gridWidth: fromCli.gridWidth,
        gridHeight: fromCli.gridHeight,
        values: fromCli.values,
      });
      // A real map: padding masked, tissue scored.
      expect(fromApp.values.some((v) => v === null)).toBe(true);
      expect(fromApp.values.some((v) => v !== null)).toBe(true);
    }
  });

  it('reports the unreadable slide on both paths, naming its file', () => {
    const bad = cli.slides.find((s) => s.id === 'zz-bad')!;
    expect(bad).toMatchObject({ predicted: null, attention: null });
    expect(bad.error).toMatch(/zz-bad\.tiff/);
    const { result, error } = app.get('zz-bad')!;
    expect(result).toBeNull();
    expect(`${error!.file}: ${error!.problem}`).toMatch(/zz-bad\.tiff/);
  });
});

describe('cancelling the loop', () => {
  it('stops the app path after the item in progress and reports it cancelled', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const items = slides.slice(0, 3).map((s, i) => ({
      slideId: i + 1,
      imageId: s.id,
      imagePath: join(data(), 'train_images', `${s.id}.tiff`),
    }));
    const cancelled = await gradeItems(
      { jobId: 'job-2', runDir: runDir(), checkpoint: 'last', layout: 'panda', items },
      controller.signal,
      (item) => {
        seen.push(item.imageId);
        controller.abort();
      },
    );
    expect(cancelled).toBe(true);
    expect(seen).toEqual([slides[0]!.id]);
  });

  it('makes the CLI path reject and write no predictions', async () => {
    const controller = new AbortController();
    const dir = join(root, 'out-cancelled');
    const graded = gradeFolder({
      runDir: runDir(),
      dataDir: data(),
      outDir: dir,
      signal: controller.signal,
      onSlide: () => controller.abort(),
    });
    await expect(graded).rejects.toMatchObject({ name: 'AbortError' });
    await expect(readFile(join(dir, 'predictions.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(dir, 'attention'))).toHaveLength(2); // the one slide graded: grid and overlay
  });
});
