/**
 * Annotations end to end in Chromium (browser mode): draw a polygon and a ruler with the mouse on a demo slide,
 * undo and redo, reload and find them with the same area and length, export GeoJSON in QuPath's layout, and
 * show the slide's label mask. Kept short: one generated slide, one renderer build. Screenshots go to
 * <tmp>/patchgd-e2e-artifacts.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../core/app/server/server.ts';
import { generateDemoDataset } from '../../core/io/demo/index.ts';
import { measure, resolutionOf, type Geometry } from '../../core/shared/annotations.ts';
import { fromGeoJson } from '../../core/shared/geojson.ts';
import { formatArea, formatLength } from '../../renderer/src/lib/annotation-view.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { buildRenderer, serverApi, settledView } from './page-helpers.ts';
import type { ViewState } from '../../renderer/src/lib/viewport.ts';

const ARTIFACTS = join(tmpdir(), 'patchgd-e2e-artifacts');

let dir: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let imageId: string;

/** Waits for the viewer to settle after a zoom or pan (its animation is 0.3 s). */
const settled = (): Promise<ViewState> => settledView(page);

async function openSlide(): Promise<void> {
  await page.locator(`[data-slide="${imageId}"]`).click();
  await expect
    .poll(() => page.getByTestId('osd').getAttribute('data-first-tile-at'), { timeout: 20_000 })
    .toMatch(/^[\d.]+$/);
  await settled();
}

const api = <T>(channel: string, params: object): Promise<T> => serverApi<T>(server, channel, params);

const measures = () => page.getByTestId('annotation-measure').allTextContents();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchgd-e2e-annotations-'));
  const rendererDir = join(dir, 'renderer');
  const [demo] = await Promise.all([
    generateDemoDataset({ out: join(dir, 'demo'), slides: 1, seed: 4, size: 1024 }),
    buildRenderer(rendererDir),
  ]);
  imageId = demo.records[0]!.imageId;
  server = await startServer({ port: 0, userDataDir: join(dir, 'user'), rendererDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(server.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('annotations in the viewer', () => {
  let area = '';
  let length = '';

  it('draws a polygon and a ruler with the mouse, measured from the slide’s resolution', async () => {
    await page.getByRole('textbox', { name: 'Slide folder' }).fill(join(dir, 'demo'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await openSlide();
    const box = (await page.getByTestId('osd').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const view = await settled();

    await page.keyboard.press('g');
    const corners: [number, number][] = [
      [cx - 100, cy - 80],
      [cx + 100, cy - 80],
      [cx + 100, cy + 80],
      [cx - 100, cy + 80],
      [cx - 100, cy - 80],
    ];
    for (const [x, y] of corners) await page.mouse.click(x, y);
    await expect.poll(measures).toHaveLength(1);

    await page.keyboard.press('l');
    await page.mouse.move(cx - 150, cy + 120);
    await page.mouse.down();
    await page.mouse.move(cx + 150, cy + 120, { steps: 8 });
    await page.mouse.up();
    await expect.poll(measures).toHaveLength(2);

    const texts = await measures();
    area = texts[0]!;
    length = texts[1]!;
    // In the store: level-0 shapes of 200 × 160 and 300 screen px at the view's zoom (mouse positions are
    // whole pixels, so within a pixel), and the panel shows them in the slide's microns.
    const folderId = (await api<{ id: number }[]>('folders.recent', {}))[0]!.id;
    const slideId = (await api<{ rows: { id: number }[] }>('slides.list', { folderId })).rows[0]!.id;
    const { mpp } = await api<{ mpp: { x: number; y: number } }>('slides.info', { slideId });
    const stored = await api<{ annotations: { geometry: Geometry }[] }>('annotations.list', { slideId });
    const resolution = resolutionOf(mpp);
    const [polygon, ruler] = stored.annotations.map((a) => measure(a.geometry, resolutionOf(null)));
    const z = view.imageZoom;
    expect(Math.abs(polygon!.area / ((200 / z) * (160 / z)) - 1)).toBeLessThan(0.02);
    expect(Math.abs(ruler!.length / (300 / z) - 1)).toBeLessThan(0.01);
    const inMicrons = stored.annotations.map((a) => measure(a.geometry, resolution));
    expect(area).toBe(`polygon · ${formatArea(inMicrons[0]!.area, 'um')}`);
    expect(length).toBe(`ruler · ${formatLength(inMicrons[1]!.length, 'um')}`);
    expect(await page.getByTestId('tumour-area').textContent()).toMatch(/mm²/);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'annotations.png') });
  });

  it('undoes and redoes with Ctrl+Z and Ctrl+Shift+Z; selects and deletes', async () => {
    await page.keyboard.press('v');
    await page.keyboard.press('Control+z');
    await expect.poll(measures).toEqual([area]);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(measures).toEqual([area, length]);
    // Select the polygon by clicking inside it, delete it with the key, and undo that too.
    const box = (await page.getByTestId('osd').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.getByTestId('selected-annotation').textContent()).toMatch(/perimeter/);
    await page.keyboard.press('Delete');
    await expect.poll(measures).toEqual([length]);
    await page.keyboard.press('Control+z');
    await expect.poll(measures).toEqual([area, length]);
  });

  it('finds both after a reload, with the same area and length', async () => {
    await page.reload();
    await page.getByRole('button', { name: 'demo', exact: true }).click();
    await openSlide();
    await expect.poll(measures).toEqual([area, length]);
  });

  it('exports GeoJSON in QuPath’s layout with the class, and imports it back', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export GeoJSON' }).click();
    const file = await (await download).path();
    const text = await readFile(file, 'utf8');
    const parsed = fromGeoJson(text);
    expect(parsed.annotations.map((a) => [a.tool, a.geometry.type, a.className])).toEqual([
      ['polygon', 'Polygon', 'Tumour'],
      ['ruler', 'LineString', 'Tumour'],
    ]);
    const raw = JSON.parse(text) as { features: { properties: Record<string, unknown> }[] };
    expect(raw.features[0]!.properties).toMatchObject({
      objectType: 'annotation',
      classification: { name: 'Tumour', color: [200, 50, 50] },
    });
    // The exported file imports back through the panel's file picker: the same shapes again.
    await page.getByTestId('geojson-file').setInputFiles(file);
    await expect.poll(measures).toEqual([area, length, area, length]);
  });

  it('shows the label mask with its legend on M', async () => {
    await expect.poll(() => page.getByTestId('mask-legend').count()).toBe(1);
    await page.keyboard.press('m');
    await expect.poll(() => page.getByTestId('mask-overlay').getAttribute('style')).toMatch(/display: block/);
    await page.screenshot({ path: join(ARTIFACTS, 'mask.png') });
  });
});
