/**
 * The pathologist UI end to end: the renderer built with Vite, the browser-mode server started on a fresh
 * user-data folder, Chromium driving the page over a generated PANDA-style folder. Prints the time from opening
 * a slide row to its first tile on screen and how soon panned-in areas are drawn at 20× and 40×; screenshots go to
 * <tmp>/patchgd-e2e-artifacts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../core/app/server/server.ts';
import { gridBounds, type AttentionGrid } from '../../renderer/src/lib/heatmap.ts';
import { toScreen, type ViewState } from '../../renderer/src/lib/viewport.ts';
import { writeDemoFolder, writePanFolder, type DemoSlide } from './demo-folder.ts';
import { PAN_RECORDER, panTimings, type PanRecording } from './pan-recorder.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { buildRenderer, serverApi, settledView } from './page-helpers.ts';

const ARTIFACTS = join(tmpdir(), 'patchgd-e2e-artifacts');
const SLIDES = 10;
const GLEASON = ['0+0', '3+3', '3+4', '4+3', '4+4', '4+5'];
/** Epochs of the run that is cancelled and resumed: long enough to cancel mid-run, short for the test. */
const RESUMED_EPOCHS = 6;
/** Arrow presses of the pan measurement: out and back along both axes, each a tenth of the view. */
const PAN_KEYS = ['Right', 'Down', 'Left', 'Up'].flatMap((d) => Array<string>(3).fill(`Arrow${d}`));

let dir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let slides: DemoSlide[];
let demo: string;
/** A folder with one 6144 × 4096 slide, large enough to pan across at 20× and 40×. */
let panFolder: string;
/** The run cancelled and resumed from the UI. */
let resumedRun: number;

const api = <T>(channel: string, params: object): Promise<T> => serverApi<T>(server, channel, params);

/** Waits for the viewer to settle after a zoom or pan (its animation is 0.3 s). */
const settled = (): Promise<ViewState> => settledView(page);

/**
 * Waits for a pan to end with every visible tile drawn: past the 0.3 s animation, the view unchanged between two
 * frames and OSD fully loaded. The measurement itself is the recorder's.
 */
async function panned(): Promise<void> {
  await page.waitForTimeout(350);
  // A page-side frame loop: the page's CSP forbids the eval that waitForFunction would need.
  await page.evaluate(`new Promise((resolve, reject) => {
    const osd = document.querySelector('[data-testid="osd"]');
    const end = performance.now() + 5000;
    let last = null;
    const check = () => {
      if (osd.dataset.view === last && osd.dataset.tilesLoaded === 'true') return resolve(null);
      if (performance.now() > end) return reject(new Error('the pan was not drawn within 5 s'));
      last = osd.dataset.view;
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })`);
}

async function demoFolderId(): Promise<number> {
  const folders = await api<{ id: number; path: string }[]>('folders.recent', {});
  return folders.find((f) => f.path === demo)!.id;
}

async function openFolder(): Promise<void> {
  await page.getByRole('textbox', { name: 'Slide folder' }).fill(demo);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect.poll(() => page.getByTestId('slide-count').textContent()).toBe(`${SLIDES} slides`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchgd-e2e-'));
  await mkdir(ARTIFACTS, { recursive: true });
  demo = join(dir, 'demo');
  panFolder = join(dir, 'pan');
  const rendererDir = join(dir, 'renderer');
  [slides] = await Promise.all([
    writeDemoFolder(demo, SLIDES),
    writePanFolder(panFolder),
    buildRenderer(rendererDir),
  ]);
  server = await startServer({ port: 0, userDataDir: join(dir, 'user'), rendererDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (err) => console.error('page error:', err.message));
  // Violations the page reports, collected from before its first script runs.
  await page.addInitScript(
    `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  );
  await page.goto(server.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pathologist UI in browser mode', () => {
  it('opens a folder and lists its slides with truth and findings', async () => {
    await openFolder();
    // Nothing in the bundle tries what the strict CSP forbids (e.g. zod's eval probe).
    expect(await page.evaluate('window.__csp')).toEqual([]);
    await expect.poll(() => page.locator('[data-slide]').count()).toBe(SLIDES);
    const first = page.locator(`[data-slide="${slides[3]!.id}"]`);
    await expect.poll(() => first.textContent()).toContain(slides[3]!.gleason);
    expect(await page.getByLabel('Dataset summary').textContent()).toContain(`${SLIDES} slides`);
    await page.getByRole('button', { name: 'Thumbnails' }).click();
    const thumbs = page.getByRole('img', { name: /^Thumbnail of / });
    await expect.poll(() => thumbs.count()).toBe(SLIDES);
    await expect
      .poll(() =>
        thumbs.evaluateAll(
          (imgs) => imgs.filter((i) => (i as { naturalWidth: number }).naturalWidth > 0).length,
        ),
      )
      .toBe(SLIDES);
    await page.getByRole('button', { name: 'Table' }).click();
  });

  it('scrolls a 10,000-slide table smoothly, rendering only the rows in view', async () => {
    // Empty files stand in for slides: listing and sorting never open them.
    const big = join(dir, 'big');
    await mkdir(join(big, 'train_images'), { recursive: true });
    const ids = Array.from({ length: 10_000 }, (_, i) => `s${String(i).padStart(5, '0')}`);
    await writeFile(
      join(big, 'train.csv'),
      [
        'image_id,data_provider,isup_grade,gleason_score',
        ...ids.map((id, i) => `${id},radboud,${i % 6},${GLEASON[i % 6]}`),
      ].join('\n'),
    );
    for (let i = 0; i < ids.length; i += 500)
      await Promise.all(
        ids.slice(i, i + 500).map((id) => writeFile(join(big, 'train_images', `${id}.tiff`), '')),
      );
    await page.getByRole('textbox', { name: 'Slide folder' }).fill(big);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('slide-count').textContent(), { timeout: 30_000 })
      .toBe('10000 slides');
    const frames = await page.getByRole('region', { name: 'Slide table' }).evaluate(async (box) => {
      // Scroll through the whole table in 60 frames and record the gaps between frames.
      const win = globalThis as unknown as { requestAnimationFrame: (callback: () => void) => void };
      const gaps: number[] = [];
      let last = performance.now();
      for (let step = 1; step <= 60; step++) {
        box.scrollTop = (box.scrollHeight * step) / 60;
        await new Promise((r) => win.requestAnimationFrame(() => r(null)));
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      return {
        worst: Math.max(...gaps),
        mean: gaps.reduce((a, b) => a + b, 0) / gaps.length,
        rows: box.querySelectorAll('[data-slide], .loading').length,
      };
    });
    console.log(
      JSON.stringify({
        metric: 'table-10000-scroll-frame-ms',
        mean: +frames.mean.toFixed(1),
        worst: +frames.worst.toFixed(1),
      }),
    );
    expect(frames.rows).toBeLessThan(60);
    await expect.poll(() => page.locator(`[data-slide="${ids.at(-1)}"]`).count()).toBe(1);
    // Back to the demo folder for the rest.
    await page.getByRole('button', { name: 'demo', exact: true }).click();
    await expect.poll(() => page.getByTestId('slide-count').textContent()).toBe(`${SLIDES} slides`);
  });

  it('sorts by the true grade, descending on a second click', async () => {
    const header = page.getByRole('columnheader', { name: /True ISUP/ });
    await header.click();
    await header.click();
    await expect
      .poll(() => page.locator('[data-slide]').first().getAttribute('data-slide'))
      .toBe(slides.find((s) => s.isup === 5)!.id);
    await page.getByRole('columnheader', { name: /Slide/ }).click();
  });

  it('opens a slide and renders its tiles', async () => {
    // The click's own timestamp, on the page's clock, starts the first-tile measurement.
    await page.evaluate(
      `document.addEventListener('click', (e) => (window.__openedAt = e.timeStamp), { capture: true, once: true })`,
    );
    await page.locator(`[data-slide="${slides[0]!.id}"]`).click();
    const osd = page.getByTestId('osd');
    await expect.poll(() => osd.getAttribute('data-first-tile-at'), { timeout: 20_000 }).toMatch(/^[\d.]+$/);
    const openedAt = (await page.evaluate('window.__openedAt')) as number;
    const firstTileMs = Math.round(Number(await osd.getAttribute('data-first-tile-at')) - openedAt);
    console.log(JSON.stringify({ metric: 'first-tile-visible-ms', value: firstTileMs }));
    expect(firstTileMs).toBeGreaterThan(0);
    expect(firstTileMs).toBeLessThan(5000);
    await settled();
    await page.waitForTimeout(500);
    const shot = join(ARTIFACTS, 'viewer.png');
    await osd.screenshot({ path: shot });
    const stats = await sharp(shot).stats();
    // Synthetic tissue is pink-purple on white: a blank or white canvas has neither spread nor a green dip.
    expect(Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev))).toBeGreaterThan(20);
    expect(stats.channels[1]!.mean).toBeLessThan(stats.channels[0]!.mean - 10);
    expect(await page.getByTestId('scalebar').textContent()).toMatch(/µm|mm/);
  });

  it('zooms to objective presets and follows the keyboard', async () => {
    await page.keyboard.press('4');
    let view = await settled();
    expect(view.imageZoom).toBeCloseTo(1, 2); // 20× at 0.5 µm/px is pixel for pixel
    expect(await page.getByTestId('magnification').textContent()).toBe('20×');
    await page.keyboard.press('3');
    view = await settled();
    expect(view.imageZoom).toBeCloseTo(0.5, 2);
    const before = view.left;
    await page.keyboard.press('ArrowRight');
    view = await settled();
    expect(view.left).toBeGreaterThan(before);
    await page.keyboard.press('+');
    expect((await settled()).imageZoom).toBeCloseTo(0.75, 2);
    await page.mouse.move(500, 400);
    expect(await page.getByTestId('cursor').textContent()).toMatch(/x [\d,.]+ µm, y [\d,.]+ µm/);
    await page.keyboard.press('?');
    await expect.poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.keyboard.press('n');
    await expect.poll(() => page.getByTestId('slide-title').textContent()).toBe(slides[1]!.id);
    await page.keyboard.press('p');
    await expect.poll(() => page.getByTestId('slide-title').textContent()).toBe(slides[0]!.id);
  });

  it('keeps a note typed before the grade as the slide’s draft across N and P', async () => {
    const noteBox = page.getByRole('textbox', { name: 'Note' });
    await noteBox.fill('draft: check the apex block');
    // Leave the text field without waiting for the autosave: moving on must not drop the note.
    await page.evaluate('document.activeElement?.blur()');
    await page.keyboard.press('n');
    await expect.poll(() => page.getByTestId('slide-title').textContent()).toBe(slides[1]!.id);
    await expect.poll(() => noteBox.inputValue()).toBe('');
    await page.keyboard.press('p');
    await expect.poll(() => page.getByTestId('slide-title').textContent()).toBe(slides[0]!.id);
    await expect.poll(() => noteBox.inputValue()).toBe('draft: check the apex block');
  });

  it('saves a review from the keyboard and still has it after a reload', async () => {
    await page.keyboard.press('Shift+Digit3');
    // No model has graded the slide yet: a grade entered here is "graded", not "overridden".
    await expect.poll(() => page.getByTestId('review-status').textContent()).toMatch(/graded · ISUP 3/);
    await page.getByRole('textbox', { name: 'Note' }).fill('cribriform focus, upper left');
    // Patterns 4+4 imply ISUP 4: the reviewer's 3 is kept and flagged.
    await page.getByRole('combobox', { name: 'Primary' }).selectOption('4');
    await page.getByRole('combobox', { name: 'Secondary' }).selectOption('4');
    await page.getByRole('spinbutton', { name: '% pattern 4' }).fill('80');
    await expect
      .poll(() => page.getByTestId('review-status').textContent(), { timeout: 5000 })
      .toMatch(/saved \d/);
    expect(await page.getByTestId('gleason-flag').textContent()).toMatch(/differs from 4\+4 \(ISUP 4\)/);
    await page.reload();
    await page.getByRole('button', { name: 'demo', exact: true }).click();
    await expect
      .poll(() => page.locator(`[data-slide="${slides[0]!.id}"]`).textContent())
      .toContain('graded (3)');
    await page.locator(`[data-slide="${slides[0]!.id}"]`).click();
    await expect.poll(() => page.getByTestId('review-status').textContent()).toMatch(/graded · ISUP 3/);
    expect(await page.getByRole('textbox', { name: 'Note' }).inputValue()).toBe(
      'cribriform focus, upper left',
    );
    expect(await page.getByRole('combobox', { name: 'Primary' }).inputValue()).toBe('4');
    expect(await page.getByRole('spinbutton', { name: '% pattern 4' }).inputValue()).toBe('80');
    await page.getByTestId('grade-from-patterns').click();
    await expect.poll(() => page.getByTestId('review-status').textContent()).toMatch(/graded · ISUP 4/);
    expect(await page.getByTestId('gleason-flag').count()).toBe(0);
  });

  it('trains a tiny run from the UI with live progress, then grades a slide with it', async () => {
    await page.getByRole('button', { name: 'Training' }).click();
    const field = (label: string) => page.getByLabel(label, { exact: true });
    await page.getByLabel('Backbone').selectOption('small');
    await field('Image size (px)').fill('64');
    await field('Patch size (px)').fill('30');
    await expect
      .poll(() => page.getByTestId('config-error').textContent())
      .toMatch(/not a multiple of patch size 30/);
    await field('Patch size (px)').fill('16');
    await field('Epochs').fill('1');
    await field('Latent size d').fill('8');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect
      .poll(() => page.getByTestId('training-done').textContent(), { timeout: 90_000 })
      .toMatch(/finished/);
    expect(await page.getByTestId('training-progress').textContent()).toMatch(/100%/);
    expect(await page.getByTestId('training-engine').textContent()).toMatch(
      /engine: (wasm|cpu) · \d+ threads?/,
    );

    await page.getByRole('button', { name: 'Viewer' }).click();
    await page.getByTitle('Reload runs').click();
    await page.getByRole('button', { name: 'Grade this slide' }).click();
    await expect
      .poll(() => page.getByRole('region', { name: 'Prediction' }).textContent(), { timeout: 60_000 })
      .toMatch(/ISUP \d · \d+% · run \d/);

    const [folder] = await api<{ id: number }[]>('folders.recent', {});
    const list = await api<{ rows: { id: number; imageId: string }[] }>('slides.list', {
      folderId: folder!.id,
    });
    const slideId = list.rows.find((r) => r.imageId === slides[0]!.id)!.id;
    const prediction = await api<{ id: number; runId: number } | null>('predictions.get', { slideId });
    expect(prediction).not.toBeNull();
    // Grading stores the attention grid with the prediction; the overlay below draws it.
    const grid = await api<AttentionGrid | null>('attention.get', { predictionId: prediction!.id });
    expect(grid).not.toBeNull();
    const heatmap = page.getByTestId('heatmap');
    await expect.poll(() => heatmap.count()).toBe(1);
    await page.mouse.move(400, 300);
    await expect
      .poll(() => page.getByTestId('hover').textContent())
      .toMatch(/attention (no tissue|\d\.\d\d)/);
    for (const preset of ['1', '3']) {
      await page.keyboard.press(preset);
      const view = await settled();
      const expected = toScreen(view, gridBounds(grid!));
      const box = (await heatmap.boundingBox())!;
      const stage = (await page.getByTestId('osd').boundingBox())!;
      expect(Math.abs(box.x - stage.x - expected.x)).toBeLessThan(2);
      expect(Math.abs(box.y - stage.y - expected.y)).toBeLessThan(2);
      expect(Math.abs(box.width - expected.width)).toBeLessThan(2);
    }
    await page.keyboard.press('h');
    await expect.poll(() => heatmap.isVisible()).toBe(false);
    await page.keyboard.press('h');
    await expect.poll(() => heatmap.isVisible()).toBe(true);
    await page.getByTestId('osd').screenshot({ path: join(ARTIFACTS, 'heatmap.png') });

    // Enter keeps this slide's review and moves on to the first unreviewed slide. The clicked "Grade this
    // slide" button may still hold focus, and a focused button keeps Enter for itself: leave it first.
    await page.evaluate('document.activeElement?.blur()');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('slide-title').textContent()).toBe(slides[1]!.id);
    await expect.poll(() => page.getByTestId('review-status').textContent()).toMatch(/unreviewed/);

    await page.getByRole('button', { name: 'Review summary' }).click();
    await expect.poll(() => page.getByTestId('qwk').count()).toBe(3);
    // Figures are over the slides the shown run held out, and say so; the trained-on slides are counted apart.
    await expect
      .poll(() => page.getByTestId('split-counts').textContent())
      .toMatch(/run \d+: \d+ slides trained on · \d+ held out/);
    const [, trained, heldOut] = /: (\d+) slides trained on · (\d+) held out/.exec(
      (await page.getByTestId('split-counts').textContent())!,
    )!;
    expect(Number(trained) + Number(heldOut)).toBe(slides.length);
    expect(Number(trained)).toBeGreaterThan(0);
    const roles = await page.getByTestId('slide-roles').locator('li').allTextContents();
    expect(roles).toHaveLength(slides.length);
    expect(roles.filter((r) => r.endsWith(': held-out'))).toHaveLength(Number(heldOut));
    expect(await page.getByTestId('scope').allTextContents()).toEqual(Array(3).fill('held-out slides'));
    // One slide is graded by the shown run so far: it counts under held-out or training slides, never both.
    const truthVsModel = page.locator('section', {
      has: page.getByRole('heading', { name: 'Ground truth vs model' }),
    });
    const slidesIn = async (scope: string, name: string): Promise<number> => {
      await page.getByRole('combobox', { name: 'Slides' }).selectOption(scope);
      await expect.poll(() => page.getByTestId('scope').first().textContent()).toBe(name);
      return Number(
        /· (\d+) /.exec((await truthVsModel.locator('p').textContent())!.split('accuracy')[1]!)![1],
      );
    };
    const heldOutN = await slidesIn('held-out', 'held-out slides');
    const trainN = await slidesIn('train', 'training slides');
    expect(heldOutN + trainN).toBe(await slidesIn('all', 'all slides (training included)'));
    expect(heldOutN + trainN).toBe(1);
    expect(heldOutN).toBeLessThanOrEqual(Number(heldOut));
    await expect.poll(() => page.getByRole('table').count()).toBe(3);
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await expect
      .poll(() => page.getByTestId('exported').textContent())
      .toMatch(/^1 review written to .*reviews\.csv$/);
  }, 150_000);

  it('cancels a training run from the UI and resumes it from its last checkpoint', async () => {
    await page.getByRole('button', { name: 'Training' }).click();
    await page.getByLabel('Epochs', { exact: true }).fill(String(RESUMED_EPOCHS));
    await page.getByRole('button', { name: 'Start training' }).click();
    const progress = page.getByTestId('training-progress');
    // Two epochs done, so the `last` checkpoint exists.
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/epoch [3-9]\//);
    const runs = page.getByRole('region', { name: 'Runs' });
    await runs.getByRole('button', { name: 'Cancel', exact: true }).click();
    const [run] = await api<{ id: number }[]>('runs.list', { folderId: await demoFolderId() });
    resumedRun = run!.id;
    const status = page.getByTestId(`run-status-${resumedRun}`);
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^cancelled/);
    expect(await page.getByTestId('training-done').textContent()).toMatch(/cancelled/);
    await runs.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(() => status.textContent()).toMatch(/^(queued|running)/);
    await expect.poll(() => page.getByTestId('training-done').count()).toBe(0);
  }, 90_000);

  it('cancels a "Grade all" queued behind that run', async () => {
    await page.getByRole('button', { name: 'Viewer' }).click();
    const panel = page.getByRole('region', { name: 'Prediction' });
    await panel.getByRole('button', { name: 'Grade all' }).click();
    await panel.getByRole('button', { name: 'Cancel', exact: true }).click({ timeout: 5000 });
    const outcome = page.getByTestId('grading-outcome');
    await expect
      .poll(() => outcome.textContent(), { timeout: 30_000 })
      .toMatch(/^cancelled · \d+ \/ 10 slides$/);
    expect(Number(/(\d+) \//.exec((await outcome.textContent())!)![1])).toBeLessThan(SLIDES);
  }, 60_000);

  it('finishes the resumed run, then grades all slides', async () => {
    await page.getByRole('button', { name: 'Training' }).click();
    await expect
      .poll(() => page.getByTestId(`run-status-${resumedRun}`).textContent(), { timeout: 90_000 })
      .toMatch(/^done/);
    await expect.poll(() => page.getByTestId('training-done').textContent()).toMatch(/finished/);
    const metrics = await api<{ epochs: { epoch: number }[] }>('runs.metrics', { runId: resumedRun });
    // Epochs before the cancel are kept, the rest trained after the resume: every epoch exactly once.
    expect(metrics.epochs.map((m) => m.epoch)).toEqual([...Array(RESUMED_EPOCHS).keys()]);

    await page.getByRole('button', { name: 'Viewer' }).click();
    const panel = page.getByRole('region', { name: 'Prediction' });
    await panel.getByTitle('Reload runs').click();
    await panel.getByRole('button', { name: 'Grade all' }).click();
    await expect
      .poll(() => page.getByTestId('grading-outcome').textContent(), { timeout: 90_000 })
      .toBe(`graded · ${SLIDES} / ${SLIDES} slides`);
    const list = await api<{ rows: { id: number }[] }>('slides.list', { folderId: await demoFolderId() });
    const predictions = await Promise.all(
      list.rows.map((r) => api<{ grade: number } | null>('predictions.get', { slideId: r.id })),
    );
    expect(predictions.every((p) => p !== null && p.grade >= 0 && p.grade <= 5)).toBe(true);
  }, 150_000);

  it('keeps up with panning at 20× and 40×: exposed areas are drawn soon after', async () => {
    await page.getByRole('button', { name: 'Library' }).click();
    await page.getByRole('textbox', { name: 'Slide folder' }).fill(panFolder);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => page.getByTestId('slide-count').textContent()).toBe('1 slides');
    await page.locator('[data-slide="pan000"]').click();
    const osd = page.getByTestId('osd');
    await expect.poll(() => osd.getAttribute('data-tiles-loaded'), { timeout: 20_000 }).toBe('true');
    const report: Record<string, unknown> = { metric: 'pan-drawn-ms' };
    for (const [preset, name] of [
      ['4', '20x'],
      ['5', '40x'],
    ] as const) {
      await page.keyboard.press('0');
      await settled();
      // The whole slide is letterboxed in the view: the probe must see the empty bands as blank.
      await page.evaluate(PAN_RECORDER);
      await page.waitForTimeout(100);
      const fit = (await page.evaluate('window.__pan.stop()')) as PanRecording;
      expect(fit.frames.at(-1)!.blank).toBeGreaterThan(0.02);
      await page.keyboard.press(preset);
      await settled();
      await expect.poll(() => osd.getAttribute('data-tiles-loaded'), { timeout: 10_000 }).toBe('true');
      await page.evaluate(PAN_RECORDER);
      for (const key of PAN_KEYS) {
        await page.keyboard.press(key);
        await panned();
      }
      const box = (await osd.boundingBox())!;
      for (const dx of [-300, 300, -300]) {
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2 + dx, box.y + box.height / 2 + dx / 2, { steps: 10 });
        await page.mouse.up();
        await panned();
      }
      const recording = (await page.evaluate('window.__pan.stop()')) as PanRecording;
      const t = panTimings(recording);
      const sorted = [...t.drawnMs].sort((a, b) => a - b);
      report[name] = {
        pans: sorted.length,
        medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
        maxMs: Math.round(sorted.at(-1)!),
        blankFrames: +t.blankFrames.toFixed(3),
        partialFrames: +t.partialFrames.toFixed(3),
        frames: t.frames,
      };
      expect(sorted).toHaveLength(PAN_KEYS.length + 3);
      expect(sorted.at(-1)).toBeLessThan(3000);
    }
    console.log(JSON.stringify(report));
  }, 120_000);
});
