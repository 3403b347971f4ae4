import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GradeReport, SlideResult } from '../../core/jobs/grade-folder.ts';
import { evaluatePredictions } from '../../core/jobs/predict.ts';
import { parseTrainConfig } from '../../core/learn/runner/index.ts';
import {
  parseCurves,
  parseGradeReport,
  worstDisagreements,
  writeReport,
} from '../../core/jobs/report/index.ts';
import { cli } from '../helpers/cli.ts';
import { launchChromium } from '../helpers/chromium.ts';

let root: string;
let browser: Browser;

function slide(id: string, truth: number | null, predicted: number | null, files = false): SlideResult {
  const probabilities =
    predicted === null ? null : Array.from({ length: 6 }, (_, c) => (c === predicted ? 0.75 : 0.05));
  return {
    id,
    truth,
    predicted,
    probabilities,
    provider: 'radboud',
    seconds: 0.1,
    error: predicted === null ? `${id}.tiff: not a TIFF file` : null,
    attention: files ? { json: `attention/${id}.json`, png: `attention/${id}.png` } : null,
    thumbnail: files ? `thumbnails/${id}.png` : null,
    localizationAuroc: null,
    localizationError: null,
  };
}

async function solidPng(file: string, rgb: [number, number, number]): Promise<void> {
  await sharp({
    create: { width: 40, height: 30, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toFile(file);
}

/** A grade folder as `patchgd grade` writes it, with two disagreements (one two grades off) and one failure. */
async function writeGrades(dir: string): Promise<GradeReport> {
  const runDir = join(dir, 'run');
  await mkdir(runDir, { recursive: true });
  const epochs = [0, 1, 2].map((epoch) =>
    JSON.stringify({
      epoch,
      loss: 1.5 - epoch * 0.4,
      valLoss: 1.6 - epoch * 0.3,
      valAccuracy: 0.3 + epoch * 0.2,
      valQwk: 0.2 + epoch * 0.3,
    }),
  );
  await writeFile(join(runDir, 'metrics.jsonl'), epochs.join('\n') + '\n');
  const slides = [
    slide('a', 0, 0),
    slide('b', 1, 1),
    slide('c', 2, 3, true),
    slide('d', 3, 5, true),
    slide('e', 4, 4),
    slide('<f&>', 5, null),
  ];
  const out = join(dir, 'grades');
  await mkdir(join(out, 'attention'), { recursive: true });
  await mkdir(join(out, 'thumbnails'), { recursive: true });
  for (const id of ['c', 'd']) {
    await solidPng(join(out, 'thumbnails', `${id}.png`), [230, 150, 200]);
    await solidPng(join(out, 'attention', `${id}.png`), [253, 231, 37]);
  }
  const report: GradeReport = {
    createdAt: '2026-01-01T00:00:00.000Z',
    run: {
      dir: runDir,
      checkpoint: null,
      config: parseTrainConfig({ imageSize: 64, patchSize: 16, numClasses: 6 }),
    },
    data: '/data/panda',
    backend: 'cpu',
    attentionMethod: 'gradcam',
    attentionTarget: 'cancer',
    summary: { items: slides.length, succeeded: slides.length, failed: 0 },
    slides,
    metrics: evaluatePredictions(
      slides.map((s) => ({ ...s, label: s.truth })),
      6,
    ),
    localization: { auroc: 0.875, meanSlideAuroc: 0.9, slides: 4, patches: 100, tumourPatches: 10 },
  };
  await writeFile(join(out, 'predictions.json'), JSON.stringify(report));
  return report;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'patchgd-report-'));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('report inputs', () => {
  it('orders disagreements by grade distance, then by the probability left to the truth', () => {
    const near = { ...slide('near', 2, 3), probabilities: [0, 0, 0.4, 0.6, 0, 0] };
    const nearWorse = { ...slide('near-worse', 2, 3), probabilities: [0, 0, 0.1, 0.9, 0, 0] };
    const far = slide('far', 0, 4);
    const ids = worstDisagreements(
      [slide('ok', 1, 1), near, far, nearWorse, slide('unlabelled', null, 2)],
      5,
    ).map((s) => s.id);
    expect(ids).toEqual(['far', 'near-worse', 'near']);
    expect(worstDisagreements([near, far], 1).map((s) => s.id)).toEqual(['far']);
  });

  it('reads the epochs of metrics.jsonl and skips lines it cannot use', () => {
    const curves = parseCurves(
      '{"epoch":0,"loss":1,"valQwk":null}\nnot json\n{"loss":2}\n\n{"epoch":1,"loss":0.5,"valQwk":0.4}\n',
    );
    expect(curves).toEqual([
      { epoch: 0, loss: 1, valLoss: null, valQwk: null, valAccuracy: null },
      { epoch: 1, loss: 0.5, valLoss: null, valQwk: 0.4, valAccuracy: null },
    ]);
  });

  it('refuses a file that is not a grading result, naming it', () => {
    expect(() => parseGradeReport('{', 'p.json')).toThrow(/p\.json: not valid JSON/);
    expect(() => parseGradeReport('{"slides":[]}', 'p.json')).toThrow(/not a `patchgd grade` result/);
    expect(() => parseGradeReport('{"slides":[{}],"run":{"config":{}}}', 'p.json')).toThrow(
      /slide 0 has no id/,
    );
  });
});

describe('HTML report', () => {
  it('renders in headless Chromium without errors or requests and shows every section', async () => {
    await writeGrades(root);
    const file = join(root, 'report.html');
    const { stdout, code } = await cli(['report', '--grades', join(root, 'grades'), '--out', file]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/wrote .*report\.html/);
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('&#60;f&#38;&#62;'); // ids are escaped, never markup

    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([pathToFileURL(file).href]);

    for (const id of ['summary', 'confusion', 'per-class', 'distribution', 'worst', 'curves', 'failures'])
      expect(await page.locator(`#${id}`).count(), id).toBe(1);
    const summary = await page.locator('#summary').innerText();
    expect(summary).toMatch(/QWK\s+0\.\d{3}/);
    expect(summary).toMatch(/slides graded\s+5 \/ 6/);
    expect(summary).toMatch(/localization AUROC\s+0\.875/);
    // Confusion matrix: 6×6 heat-coloured cells; the cell true 3 / predicted 5 holds 1.
    expect(await page.locator('#confusion svg rect').count()).toBe(36);
    expect(
      await page
        .locator('#confusion svg rect')
        .nth(3 * 6 + 5)
        .locator('title')
        .textContent(),
    ).toBe('true 3, predicted 5: 1');
    expect(await page.locator('#per-class tbody tr').count()).toBe(6);
    expect(await page.locator('#distribution svg rect').count()).toBe(12 + 2);
    // Worst first (two grades off), with both images decoded from their data URIs.
    const cases = page.locator('#worst .case');
    expect(await cases.count()).toBe(2);
    expect(await cases.first().innerText()).toMatch(/^d — true 3, predicted 5/);
    const widths = await page
      .locator('#worst img')
      .evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths).toEqual([40, 40, 40, 40]);
    expect(await page.locator('#curves svg').count()).toBe(2);
    expect(await page.locator('#curves svg circle').count()).toBe(12);
    expect(await page.locator('#failures').innerText()).toMatch(/<f&>\.tiff: not a TIFF file/);
    await page.close();
  }, 60_000);

  it('says so when the grades folder or the training curves are missing', async () => {
    const failure = await cli(['report', '--grades', join(root, 'none'), '--out', join(root, 'x.html')]);
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/^error: .*none.*predictions\.json: no grading results/m);
    await rm(join(root, 'run', 'metrics.jsonl'));
    await writeReport(join(root, 'grades'), join(root, 'no-curves.html'));
    const html = await readFile(join(root, 'no-curves.html'), 'utf8');
    expect(html).toMatch(
      /<section id="curves"><h2>Training curves<\/h2><p class="muted">.*metrics\.jsonl cannot be read/,
    );
  });
});
