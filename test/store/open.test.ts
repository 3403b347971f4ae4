import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeStore,
  currentReview,
  LATEST_VERSION,
  MIGRATIONS,
  migrate,
  openStore,
  reviewHistory,
  saveReview,
  STORE_FILE,
  StoreError,
} from '../../core/io/store/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

describe('openStore', () => {
  it('creates the folder and a WAL store with full sync, foreign keys and the latest schema', () => {
    const store = openStore(join(dir, 'user-data', 'nested'));
    try {
      expect(store.file).toBe(join(dir, 'user-data', 'nested', STORE_FILE));
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(
        expect.arrayContaining([
          'folders',
          'slides',
          'runs',
          'checkpoints',
          'predictions',
          'reviews',
          'review_events',
        ]),
      );
    } finally {
      closeStore(store);
    }
  });

  it('reopens an up-to-date store without migrating again', () => {
    closeStore(openStore(dir));
    const store = openStore(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    closeStore(store);
  });

  it('refuses a store written by a newer version, naming the file', () => {
    closeStore(openStore(dir));
    const db = new Database(join(dir, STORE_FILE));
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => openStore(dir)).toThrow(StoreError);
    expect(() => openStore(dir)).toThrow(
      `${join(dir, STORE_FILE)}: has schema version ${LATEST_VERSION + 1}`,
    );
  });

  it('names a store folder that cannot be created', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    expect(() => openStore(join(blocker, 'store'))).toThrow(`${join(blocker, 'store')}: cannot be created`);
  });

  it('turns a file that is not SQLite into a StoreError naming it', async () => {
    await writeFile(join(dir, STORE_FILE), 'this is not a database, just some text '.repeat(200));
    expect(() => openStore(dir)).toThrow(/patchgd-studio\.sqlite: cannot be opened as a project store/);
  });

  it('upgrades a v1 store to the latest, keeping data and backfilling the review history', () => {
    const file = join(dir, STORE_FILE);
    const v1 = new Database(file);
    migrate(v1, file, MIGRATIONS.slice(0, 1));
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.exec(`
      INSERT INTO folders (id, path, layout, added_at, opened_at) VALUES (1, '/data', 'panda', 't0', 't0');
      INSERT INTO slides (id, folder_id, image_id, path, label) VALUES (7, 1, 'abc', '/data/abc.tiff', 3);
      INSERT INTO slides (id, folder_id, image_id, path, label) VALUES (8, 1, 'def', '/data/def.tiff', 1);
      INSERT INTO runs (id, folder_id, run_dir, config_json, status, created_at)
        VALUES (1, 1, '/runs/r', '{}', 'done', 't0');
      INSERT INTO predictions (id, slide_id, run_id, grade, confidence, probabilities_json, predicted_at)
        VALUES (1, 8, 1, 2, 0.9, '[0,0,1]', 't0');
      INSERT INTO reviews (slide_id, reviewer, reviewed_at, grade, status, note, prediction_id)
        VALUES (7, 'dr a', '2026-01-01T00:00:00.000Z', 4, 'overridden', 'v1 note', NULL),
               (8, 'dr a', '2026-01-01T00:00:00.000Z', 1, 'overridden', '', 1);
    `);
    v1.close();

    const store = openStore(dir);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      const history = reviewHistory(store, 7);
      expect(history).toHaveLength(1);
      // An "overridden" review without a prediction overrode nothing: the upgrade calls it "graded".
      expect(history[0]).toMatchObject({
        grade: 4,
        oldGrade: null,
        reviewer: 'dr a',
        note: 'v1 note',
        status: 'graded',
        primaryPattern: null,
      });
      expect(currentReview(store, 7)?.status).toBe('graded');
      expect(currentReview(store, 8)).toMatchObject({ status: 'overridden', grade: 1, predictionId: 1 });
      // The upgraded store keeps working: a new save chains onto the migrated review.
      saveReview(store, {
        slideId: 7,
        reviewer: 'dr b',
        status: 'overridden',
        grade: 5,
        primaryPattern: 5,
        secondaryPattern: 4,
      });
      expect(currentReview(store, 7)).toMatchObject({ grade: 5, derivedGrade: 5, status: 'graded' });
      expect(reviewHistory(store, 7).map((e) => [e.oldGrade, e.grade])).toEqual([
        [4, 5],
        [null, 4],
      ]);
      expect(currentReview(store, 7)?.grade).toBe(5);
      const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
      expect(indexes).toContain('predictions_by_slide_run');
      expect(indexes).toContain('review_events_by_slide');
    } finally {
      closeStore(store);
    }
  });

  it('rolls back every step of an upgrade that fails part-way', () => {
    const file = join(dir, STORE_FILE);
    const db = new Database(file);
    const broken = [
      ...MIGRATIONS.slice(0, 1),
      { version: 2, description: 'fine', sql: 'CREATE TABLE extra (x INTEGER);' },
      { version: 3, description: 'broken', sql: 'CREATE TABLE nope (;' },
    ];
    expect(() => migrate(db, file, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(
      db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('folders', 'extra')").pluck().get(),
    ).toBe(0);
    db.close();
  });

  it('numbers the migration steps 1, 2, 3… with no gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});
