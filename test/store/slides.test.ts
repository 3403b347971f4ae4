import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset } from '../../core/io/dataset/index.ts';
import {
  closeStore,
  getFolder,
  getSlide,
  openStore,
  recentFolders,
  StoreError,
  statFiles,
  syncSlides,
  upsertFolder,
  type Store,
} from '../../core/io/store/index.ts';
import { writePanda } from '../dataset/helpers.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, statsFor } from './helpers.ts';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await makeTempDir();
  store = openStore(join(dir, 'user-data'));
});
afterEach(async () => {
  closeStore(store);
  await removeDir(dir);
});

function slideRows(
  folderId: number,
): { image_id: string; removed_at: string | null; label: number | null }[] {
  return store.db
    .prepare('SELECT image_id, removed_at, label FROM slides WHERE folder_id = ? ORDER BY image_id')
    .all(folderId) as { image_id: string; removed_at: string | null; label: number | null }[];
}

describe('folders', () => {
  it('lists recent folders newest first and updates a reopened one in place', () => {
    const a = upsertFolder(store, { path: '/data/a', layout: 'panda' }, '2026-01-01T00:00:00.000Z');
    const b = upsertFolder(store, { path: '/data/b', layout: 'slides' }, '2026-01-02T00:00:00.000Z');
    expect(recentFolders(store).map((f) => f.path)).toEqual(['/data/b', '/data/a']);
    const again = upsertFolder(store, { path: '/data/a/', layout: 'images' }, '2026-01-03T00:00:00.000Z');
    expect(again).toEqual({
      id: a.id,
      path: '/data/a',
      layout: 'images',
      addedAt: '2026-01-01T00:00:00.000Z',
      openedAt: '2026-01-03T00:00:00.000Z',
    });
    expect(recentFolders(store).map((f) => f.id)).toEqual([a.id, b.id]);
    expect(recentFolders(store, 1)).toHaveLength(1);
    expect(getFolder(store, b.id)?.layout).toBe('slides');
    expect(getFolder(store, 999)).toBeNull();
  });
});

describe('syncSlides', () => {
  it('follows a PANDA folder on disk: new, changed, removed and returning slides', async () => {
    const root = join(dir, 'panda');
    await writePanda(root, ['a,radboud,3,4+3', 'b,karolinska,0,0+0', 'c,radboud,1,3+3'], ['a', 'b', 'c']);
    const folder = upsertFolder(store, { path: root, layout: 'panda' });
    const sync = async () => {
      const dataset = await openDataset(root);
      return syncSlides(store, folder.id, dataset, await statFiles(dataset.items.map((i) => i.imagePath)));
    };

    expect(await sync()).toEqual({ added: ['a', 'b', 'c'], changed: [], removed: [], unchanged: 0 });
    expect(await sync()).toEqual({ added: [], changed: [], removed: [], unchanged: 3 });
    const a = slideRows(folder.id)[0]!;
    expect(a).toMatchObject({ image_id: 'a', label: 3 });

    await appendFile(join(root, 'train_images', 'b.tiff'), 'more bytes');
    await writeFile(
      join(root, 'train.csv'),
      'image_id,data_provider,isup_grade,gleason_score\na,radboud,4,4+4\nb,karolinska,0,0+0\n',
    );
    expect(await sync()).toEqual({ added: [], changed: ['b'], removed: ['c'], unchanged: 1 });
    expect(slideRows(folder.id)).toEqual([
      { image_id: 'a', removed_at: null, label: 4 },
      { image_id: 'b', removed_at: null, label: 0 },
      { image_id: 'c', removed_at: expect.any(String), label: 1 },
    ]);

    await writePanda(root, ['a,radboud,4,4+4', 'b,karolinska,0,0+0', 'c,radboud,1,3+3'], ['a', 'b', 'c']);
    const back = await sync();
    expect(back.added).toEqual(['c']);
    expect(slideRows(folder.id).every((r) => r.removed_at === null)).toBe(true);
  });

  it('records a missing file with no size and notices when it appears', () => {
    const folder = upsertFolder(store, { path: '/slides', layout: 'panda' });
    const items = [item('x', 2), item('y', 5, { provider: 'radboud', gleason: '5+5' })];
    syncSlides(store, folder.id, { items }, new Map([['/slides/y.tiff', { size: 10, mtimeMs: 1 }]]));
    const ids = store.db.prepare('SELECT id FROM slides ORDER BY image_id').pluck().all() as number[];
    expect(getSlide(store, ids[0]!)).toMatchObject({ imageId: 'x', fileSize: null, label: 2 });
    expect(getSlide(store, ids[1]!)).toMatchObject({
      imageId: 'y',
      fileSize: 10,
      provider: 'radboud',
      gleason: '5+5',
    });
    const report = syncSlides(store, folder.id, { items }, statsFor(items, 10, 1));
    expect(report).toEqual({ added: [], changed: ['x'], removed: [], unchanged: 1 });
  });

  it('keeps the first of several items sharing an id', () => {
    const folder = upsertFolder(store, { path: '/slides', layout: 'slides' });
    const items = [item('d', null), item('d', null, { imagePath: '/slides/d.svs' })];
    const report = syncSlides(store, folder.id, { items }, statsFor(items));
    expect(report.added).toEqual(['d']);
    expect(store.db.prepare('SELECT path FROM slides').pluck().all()).toEqual(['/slides/d.tiff']);
  });

  it('rejects an unknown folder with a StoreError and writes nothing', () => {
    expect(() => syncSlides(store, 42, { items: [item('a', 1)] }, new Map())).toThrow(StoreError);
    expect(store.db.prepare('SELECT count(*) FROM slides').pluck().get()).toBe(0);
  });

  it('stats only existing regular files', async () => {
    const file = join(dir, 'one.tiff');
    await writeFile(file, 'abcd');
    const stats = await statFiles([file, join(dir, 'missing.tiff'), dir]);
    expect([...stats.keys()]).toEqual([file]);
    expect(stats.get(file)?.size).toBe(4);
  });
});
