import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cellRect,
  gradeSlide,
  type AttentionGrid,
  type GradeProgress,
} from '../../core/learn/grading/index.ts';
import { gradeFolder, type GradeReport } from '../../core/jobs/grade-folder.ts';
import { disposeModel, loadModel } from '../../core/learn/runner/index.ts';
import { tempDir, trainCornerRun, writeCornerPanda, type PandaSlide } from './fixtures.ts';

const run = promisify(execFile);

// 256×192 slides read as 64 px squares (scale 4) with 16 px patches: k = 4, cells of 64 level-0 px; the content
// is 64×48 px, so grid row 3 is white padding. Each 40 px tumour lies inside one corner cell of the tissue.
const SIZE = { width: 256, height: 192, tumour: 40 };
let root: string;
let cleanup: () => Promise<void>;
let slides: PandaSlide[];
const data = () => join(root, 'data');
const runDir = () => join(root, 'run');

beforeAll(async () => {
  await tf.setBackend('cpu');
  ({ dir: root, cleanup } = await tempDir('grade'));
  slides = await writeCornerPanda(data(), 32, SIZE);
  await trainCornerRun(data(), runDir(), { batchSize: 8, epochs: 5, warmupEpochs: 0.5, lr: 5e-3, seed: 3 });
}, 240_000);
afterAll(async () => {
  await cleanup();
});

/** Index of the grid cell with the highest attention. */
function topCell(grid: AttentionGrid): number {
  let best = -1;
  grid.values.forEach((v, i) => {
    if (v !== null && (best < 0 || v > grid.values[best]!)) best = i;
  });
  return best;
}

describe('gradeFolder', () => {
  let report: GradeReport;
  const out = () => join(root, 'out-occlusion');

  beforeAll(async () => {
    report = await gradeFolder({
      runDir: runDir(),
      dataDir: data(),
      outDir: out(),
      attention: 'occlusion',
      // The fixture's grade is the tumour's corner, not a severity: explain the predicted grade itself.
      attentionTarget: 'grade',
      backend: 'cpu',
    });
  }, 120_000);

  it('grades every slide with probabilities that sum to 1 and writes the submission CSV', async () => {
    expect(report.slides).toHaveLength(slides.length);
    for (const s of report.slides) {
      expect(s.error).toBeNull();
      expect(s.probabilities).toHaveLength(6);
      expect(s.probabilities!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(s.predicted).toBe(s.probabilities!.indexOf(Math.max(...s.probabilities!)));
      expect(s.truth).toBe(slides.find((x) => x.id === s.id)!.isup);
      expect(s.seconds).toBeGreaterThan(0);
    }
    expect(report.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
    const csv = (await readFile(join(out(), 'predictions.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('image_id,isup_grade');
    expect(csv.slice(1)).toEqual(report.slides.map((s) => `${s.id},${s.predicted}`));
    const json = JSON.parse(await readFile(join(out(), 'predictions.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json).toMatchObject({ backend: 'cpu', attentionMethod: 'occlusion', attentionTarget: 'grade' });
  });

  it('places attention on the slide: padding masked, the top cell covers the tumour', async () => {
    for (const s of report.slides) {
      const grid = JSON.parse(await readFile(join(out(), s.attention!.json), 'utf8'));
      expect(grid).toMatchObject({
        gridWidth: 4,
        gridHeight: 4,
        dx: 64,
        dy: 64,
        origin: [0, 0, 0],
        slideWidth: 256,
      });
      expect(grid.values.slice(12)).toEqual([null, null, null, null]);
      const tissue = grid.values.filter((v: number | null) => v !== null);
      expect(Math.max(...tissue)).toBe(1);
      expect(Math.min(...tissue)).toBeGreaterThanOrEqual(0);
      const top = topCell(grid);
      const [x0, y0, x1, y1] = cellRect(
        { k: 4, cell: grid.dx, slideWidth: 256, slideHeight: 192 },
        Math.floor(top / 4),
        top % 4,
      );
      const tumour = slides.find((x) => x.id === s.id)!.spec.tumour;
      const [cx, cy] = [(tumour[0] + tumour[2]) / 2, (tumour[1] + tumour[3]) / 2];
      expect(cx >= x0 && cx < x1 && cy >= y0 && cy < y1, `${s.id}: top cell ${top}`).toBe(true);
    }
    // One tumour patch per slide; attention ranks it first everywhere.
    expect(report.localization).toMatchObject({ slides: slides.length, tumourPatches: slides.length });
    expect(report.localization!.auroc).toBeGreaterThanOrEqual(0.95);
  });

  it('writes an overlay PNG with a legend and a thumbnail per slide', async () => {
    const s = report.slides[0]!;
    const overlay = await sharp(join(out(), s.attention!.png)).metadata();
    const thumb = await sharp(join(out(), s.thumbnail!)).metadata();
    expect([thumb.width, thumb.height]).toEqual([256, 192]);
    expect(overlay.width).toBe(256);
    expect(overlay.height).toBeGreaterThan(192);
  });
});

describe('grading runs', () => {
  it('reports an unreadable slide with its error and grades the others (Grad-CAM)', async () => {
    const dir = join(root, 'broken');
    await mkdir(join(dir, 'train_images'), { recursive: true });
    const few = slides.slice(0, 3);
    for (const s of few)
      await copyFile(join(data(), 'train_images', `${s.id}.tiff`), join(dir, 'train_images', `${s.id}.tiff`));
    await writeFile(join(dir, 'train_images', 'zz-bad.tiff'), 'not a tiff at all');
    const rows = [...few.map((s) => `${s.id},radboud,${s.isup},3+3`), 'zz-bad,radboud,2,3+4'];
    await writeFile(
      join(dir, 'train.csv'),
      ['image_id,data_provider,isup_grade,gleason_score', ...rows].join('\n') + '\n',
    );
    const report = await gradeFolder({ runDir: runDir(), dataDir: dir, outDir: join(root, 'out-broken') });
    const bad = report.slides.find((s) => s.id === 'zz-bad')!;
    expect(bad.error).toMatch(/zz-bad\.tiff/);
    expect(bad.predicted).toBeNull();
    expect(report.slides.filter((s) => s.predicted !== null)).toHaveLength(3);
    expect(report.metrics).toMatchObject({ n: 3, failed: 1 });
    expect(report.localization).toBeNull(); // no masks in this folder
    const csv = await readFile(join(root, 'out-broken', 'predictions.csv'), 'utf8');
    expect(csv).not.toMatch(/zz-bad/);
  });

  it('gradeSlide reports its stages in order, frees its tensors and stops when aborted', async () => {
    const model = await loadModel(runDir());
    try {
      const path = join(data(), 'train_images', `${slides[1]!.id}.tiff`);
      const progress: GradeProgress[] = [];
      const tensors = tf.memory().numTensors;
      const grade = await gradeSlide(model, path, { onProgress: (p) => progress.push(p) });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(progress.map((p) => p.stage)).toEqual(['read', 'embed', 'attention', 'tissue', 'done']);
      expect(progress.map((p) => p.fraction)).toEqual(
        [...progress.map((p) => p.fraction)].sort((a, b) => a - b),
      );
      expect(grade.attention).toMatchObject({
        method: 'gradcam',
        explains: 'cancer',
        target: grade.predicted,
      });
      // A cancer map is capped by the slide's probability of cancer (1 − p(ISUP 0)), so slides compare.
      const peak = Math.max(...grade.attention.values.map((v) => v ?? 0));
      expect(peak).toBeLessThanOrEqual(1 - grade.probabilities[0]! + 1e-6);
      expect(grade.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const controller = new AbortController();
      const stopped = gradeSlide(model, path, {
        attention: 'occlusion',
        signal: controller.signal,
        onProgress: (p) => p.stage === 'attention' && controller.abort(),
      });
      await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      disposeModel(model);
    }
  });

  it('runs as `patchgd grade` from the command line', async () => {
    const out = join(root, 'out-cli');
    const { stdout } = await run(
      process.execPath,
      [
        'core/cli/bin.mjs',
        'grade',
        '--model',
        runDir(),
        '--data',
        data(),
        '--out',
        out,
        '--backend',
        'cpu',
        '--colormap',
        'turbo',
      ],
      { timeout: 120_000 },
    );
    expect(stdout).toMatch(/graded 32 of 32 slides \(0 failed\)/);
    expect(stdout).toMatch(/qwk \d\.\d{4}/);
    expect(stdout).toMatch(/localization AUROC \d\.\d{4}/);
    const failure = run(process.execPath, [
      'core/cli/bin.mjs',
      'grade',
      '--model',
      join(root, 'nope'),
      '--data',
      data(),
      '--out',
      out,
    ]);
    await expect(failure).rejects.toMatchObject({
      stderr: expect.stringMatching(/^error: .*nope.*config\.json/m),
    });
  }, 120_000);
});
