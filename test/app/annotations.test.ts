/** The annotation and mask requests through `handleRequest` (validation included) on a generated demo folder. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../core/app/context.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import { generateDemoDataset } from '../../core/io/demo/index.ts';
import type { RequestInput, RequestName, RequestResult } from '../../core/shared/contract.ts';
import { rectanglePolygon } from '../../core/shared/annotations.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testContext } from './helpers.ts';

let dir: string;
let ctx: AppContext;
let slides: { id: number; imageId: string }[];

async function ok<C extends RequestName>(channel: C, params: RequestInput<C>): Promise<RequestResult<C>> {
  const outcome = await handleRequest(ctx, channel, params);
  if (!outcome.ok) throw new Error(`${channel} failed: ${outcome.error.message}`);
  return outcome.value as RequestResult<C>;
}

beforeAll(async () => {
  dir = await makeTempDir('patchgd-app-annotations-');
  const data = join(dir, 'demo');
  const demo = await generateDemoDataset({ out: data, slides: 2, seed: 3, size: 512 });
  // The second slide loses its mask: the overlay must answer null for it.
  await rm(join(data, 'train_label_masks', `${demo.records[1]!.imageId}_mask.tiff`));
  ctx = testContext(join(dir, 'user'));
  const { folder } = await ok('folders.open', { path: data });
  const page = await ok('slides.list', { folderId: folder.id });
  slides = demo.records.map((r) => page.rows.find((row) => row.imageId === r.imageId)!);
});

afterAll(async () => {
  await ctx.close();
  await removeDir(dir);
});

describe('annotation requests', () => {
  it('edit, list, history, and round-trip through GeoJSON onto another slide', async () => {
    const [a, b] = slides;
    const created = await ok('annotations.create', {
      slideId: a!.id,
      author: 'dr a',
      annotation: { tool: 'rectangle', geometry: rectanglePolygon([10, 10], [110, 60]), className: 'Tumour' },
    });
    await ok('annotations.create', {
      slideId: a!.id,
      author: 'dr a',
      annotation: {
        tool: 'ruler',
        geometry: {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [300, 400],
          ],
        },
        className: 'Tumour',
        note: 'core length',
      },
    });
    await ok('annotations.update', { id: created.id, author: 'dr b', patch: { className: 'Gleason 4' } });
    await ok('annotations.delete', { id: created.id, author: 'dr b' });
    await ok('annotations.restore', { id: created.id, author: 'dr b' });
    const history = await ok('annotations.history', { id: created.id });
    expect(history.map((e) => e.action)).toEqual(['restore', 'delete', 'update', 'create']);
    const listed = await ok('annotations.list', { slideId: a!.id });
    expect(listed.annotations.map((x) => x.className)).toEqual(['Gleason 4', 'Tumour']);
    expect(listed.classes[0]).toEqual({ name: 'Tumour', color: '#c83232' });

    const exported = await ok('annotations.exportGeojson', { slideId: a!.id });
    const imported = await ok('annotations.importGeojson', {
      slideId: b!.id,
      author: 'dr c',
      fileName: 'a.geojson',
      text: JSON.stringify(exported),
    });
    expect(imported).toEqual({ imported: 2, skipped: 0 });
    const copy = await ok('annotations.list', { slideId: b!.id });
    const strip = (x: RequestResult<'annotations.list'>['annotations'][number]) => [
      x.tool,
      x.geometry,
      x.className,
      x.note,
    ];
    expect(copy.annotations.map(strip)).toEqual(listed.annotations.map(strip));
  });

  it('names the file and the problem when an import is not GeoJSON', async () => {
    const outcome = await handleRequest(ctx, 'annotations.importGeojson', {
      slideId: slides[0]!.id,
      author: 'dr a',
      fileName: 'notes.geojson',
      text: '{"type":"Topology"}',
    });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.message).toMatch(/^notes\.geojson: is not GeoJSON/);
    const unknown = await handleRequest(ctx, 'annotations.delete', { id: 9999, author: 'dr a' });
    expect(!unknown.ok && unknown.error.problem).toBe('has no annotation with id 9999');
  });

  it('edits the folder’s classes', async () => {
    const folderId = (await ok('folders.recent', {}))[0]!.id;
    const classes = await ok('annotations.setClasses', {
      folderId,
      classes: [
        { name: 'Tumour', color: '#ff0000' },
        { name: 'Gleason 4', color: '#f08c00' },
      ],
    });
    expect(classes.map((c) => c.name)).toEqual(['Tumour', 'Gleason 4']);
  });

  it('exports every annotated slide of the folder and imports the files back', async () => {
    const folderId = (await ok('folders.recent', {}))[0]!.id;
    const out = join(dir, 'geojson');
    const before = await Promise.all(slides.map((s) => ok('annotations.list', { slideId: s.id })));
    const total = before.reduce((sum, l) => sum + l.annotations.length, 0);
    expect(await ok('annotations.exportFolder', { folderId, path: out })).toEqual({
      path: out,
      files: 2,
      annotations: total,
    });
    expect(await ok('annotations.importFolder', { folderId, path: out, author: 'dr d' })).toEqual({
      path: out,
      files: 2,
      annotations: total,
    });
    const after = await ok('annotations.list', { slideId: slides[0]!.id });
    expect(after.annotations).toHaveLength(2 * before[0]!.annotations.length);
    const relative = await handleRequest(ctx, 'annotations.exportFolder', { folderId, path: 'geojson' });
    expect(!relative.ok && relative.error.problem).toBe('the GeoJSON folder must be an absolute path');
  });

  it('imports the label mask as one annotation per class and serves it as an overlay', async () => {
    const [a, b] = slides;
    const before = (await ok('annotations.list', { slideId: a!.id })).annotations.length;
    const { imported } = await ok('annotations.importMask', { slideId: a!.id, author: 'dr a' });
    expect(imported).toBeGreaterThan(0);
    const after = await ok('annotations.list', { slideId: a!.id });
    expect(after.annotations).toHaveLength(before + imported);
    expect(after.annotations.at(-1)!.geometry.type).toBe('MultiPolygon');
    const grid = (await ok('masks.get', { slideId: a!.id }))!;
    const labels = Buffer.from(grid.labels, 'base64');
    expect(labels.length).toBe(grid.width * grid.height);
    expect(labels.some((l) => l > 0)).toBe(true);
    expect(await ok('masks.get', { slideId: b!.id })).toBeNull();
    const none = await handleRequest(ctx, 'annotations.importMask', { slideId: b!.id, author: 'dr a' });
    expect(!none.ok && none.error.problem).toMatch(/has no label mask/);
  });
});
