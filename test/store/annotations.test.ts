import { mkdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import {
  addMissingClasses,
  annotationHistory,
  closeStore,
  createAnnotation,
  createAnnotations,
  deleteAnnotation,
  getAnnotation,
  listAnnotations,
  listClasses,
  migrate,
  MIGRATIONS,
  openStore,
  restoreAnnotation,
  setClasses,
  STORE_FILE,
  StoreError,
  updateAnnotation,
} from '../../core/io/store/index.ts';
import { DEFAULT_CLASSES, rectanglePolygon } from '../../core/shared/annotations.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { item, seedStore, type Seeded } from './helpers.ts';

let dir: string;
let seeded: Seeded;
let slideId: number;

beforeEach(async () => {
  dir = await makeTempDir('patchgd-annotations-');
  seeded = seedStore(dir, [item('a', 1), item('b', 2)]);
  slideId = seeded.slides.get('a')!;
});

afterEach(async () => {
  closeStore(seeded.store);
  await removeDir(dir);
});

const square = rectanglePolygon([0, 0], [100, 100]);

describe('annotations in the store', () => {
  it('creates, updates, deletes and restores, with one history row per edit', () => {
    const { store } = seeded;
    const a = createAnnotation(
      store,
      slideId,
      { tool: 'rectangle', geometry: square, className: 'Tumour' },
      'dr a',
      't1',
    );
    expect(a).toMatchObject({
      slideId,
      tool: 'rectangle',
      className: 'Tumour',
      author: 'dr a',
      createdAt: 't1',
    });
    const moved = rectanglePolygon([10, 10], [110, 110]);
    const b = updateAnnotation(
      store,
      a.id,
      { geometry: moved, className: 'Gleason 4', note: 'n' },
      'dr b',
      't2',
    );
    expect(b).toMatchObject({
      geometry: moved,
      className: 'Gleason 4',
      note: 'n',
      createdAt: 't1',
      updatedAt: 't2',
    });
    deleteAnnotation(store, a.id, 'dr a', 't3');
    expect(listAnnotations(store, slideId)).toEqual([]);
    expect(getAnnotation(store, a.id)).toBeNull();
    expect(() => updateAnnotation(store, a.id, { note: 'x' }, 'dr a')).toThrow(/is deleted/);
    const back = restoreAnnotation(store, a.id, 'dr a', 't4');
    expect(back).toMatchObject({ id: a.id, geometry: moved, className: 'Gleason 4' });
    expect(listAnnotations(store, slideId)).toEqual([back]);
    const history = annotationHistory(store, a.id);
    expect(history.map((e) => [e.action, e.author, e.at])).toEqual([
      ['restore', 'dr a', 't4'],
      ['delete', 'dr a', 't3'],
      ['update', 'dr b', 't2'],
      ['create', 'dr a', 't1'],
    ]);
    expect(history[2]!.before?.geometry).toEqual(square);
    expect(history[2]!.after.geometry).toEqual(moved);
    expect(history[3]!.before).toBeNull();
  });

  it('survives closing and reopening the store', () => {
    const a = createAnnotation(
      seeded.store,
      slideId,
      { tool: 'point', geometry: { type: 'Point', coordinates: [1.5, 2.25] }, className: null },
      'dr a',
    );
    closeStore(seeded.store);
    seeded.store = openStore(dir);
    expect(listAnnotations(seeded.store, slideId)).toEqual([a]);
  });

  it('refuses bad input with the store named, and an import is all or nothing', () => {
    const { store } = seeded;
    expect(() =>
      createAnnotation(
        store,
        999,
        { tool: 'point', geometry: { type: 'Point', coordinates: [0, 0] }, className: null },
        'dr a',
      ),
    ).toThrow(`${store.file}: has no slide with id 999`);
    expect(() =>
      createAnnotation(
        store,
        slideId,
        { tool: 'point', geometry: { type: 'Point', coordinates: [0, 0] }, className: null },
        ' ',
      ),
    ).toThrow(StoreError);
    const bad = {
      tool: 'polygon' as const,
      geometry: {
        type: 'Polygon' as const,
        coordinates: [
          [
            [0, 0],
            [1, 1],
          ],
        ] as [number, number][][],
      },
      className: null,
    };
    expect(() =>
      createAnnotations(
        store,
        slideId,
        [{ tool: 'rectangle', geometry: square, className: null }, bad],
        'dr a',
      ),
    ).toThrow(/invalid annotation: geometry/);
    expect(listAnnotations(store, slideId)).toEqual([]);
    expect(() => deleteAnnotation(store, 42, 'dr a')).toThrow(/has no annotation with id 42/);
  });

  it('keeps classes per folder: defaults, edits, and classes added by an import', () => {
    const { store, folderId } = seeded;
    expect(listClasses(store, folderId)).toEqual(DEFAULT_CLASSES);
    setClasses(store, folderId, [
      { name: 'Tumour', color: '#FF0000' },
      { name: 'Necrosis', color: '#000000' },
    ]);
    expect(listClasses(store, folderId)).toEqual([
      { name: 'Tumour', color: '#ff0000' },
      { name: 'Necrosis', color: '#000000' },
    ]);
    expect(() =>
      setClasses(store, folderId, [
        { name: 'A', color: '#000000' },
        { name: 'a', color: '#111111' },
      ]),
    ).toThrow(/listed twice/);
    expect(() => setClasses(store, folderId, [{ name: 'A', color: 'red' }])).toThrow(/colour/);
    addMissingClasses(store, folderId, [
      { name: 'tumour', color: '#123456' },
      { name: 'Fat', color: '#ffff00' },
    ]);
    expect(listClasses(store, folderId).map((c) => c.name)).toEqual(['Tumour', 'Necrosis', 'Fat']);
  });

  it('migrates a version-3 store with its reviews kept', async () => {
    await mkdir(join(dir, 'v3'));
    const file = join(dir, 'v3', STORE_FILE);
    const db = new Database(file);
    migrate(db, file, MIGRATIONS.slice(0, 3));
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.exec(`
      INSERT INTO folders (id, path, layout, added_at, opened_at) VALUES (1, '/data', 'panda', 't0', 't0');
      INSERT INTO slides (id, folder_id, image_id, path, label) VALUES (7, 1, 'abc', '/data/abc.tiff', 3);
      INSERT INTO reviews (slide_id, reviewer, reviewed_at, grade, status, note)
        VALUES (7, 'dr a', 't1', 4, 'overridden', 'kept');
    `);
    migrate(db, file, MIGRATIONS);
    expect(db.prepare('SELECT grade, status, note FROM reviews').all()).toEqual([
      { grade: 4, status: 'graded', note: 'kept' },
    ]);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(
      db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'annotation_events'").pluck().get(),
    ).toBe(1);
    db.close();
  });
});
