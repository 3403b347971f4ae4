import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset } from '../../core/io/dataset/open.ts';
import { usableItems } from '../../core/io/dataset/summary.ts';
import { DatasetError } from '../../core/base/errors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { writeTree } from './helpers.ts';

describe('openDataset on plain slide folders', () => {
  let root = '';
  beforeEach(async () => {
    root = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(root);
  });

  it('lists every slide file, unlabelled, sorted by id, ignoring other files', async () => {
    await writeTree(root, {
      'b.svs': '',
      'a.tiff': '',
      'c.ndpi': '',
      'd.btf': '',
      'e.TIF': '',
      'readme.md': '',
      '.hidden.tiff': '',
      'sub/f.tiff': '',
    });
    const ds = await openDataset(root);
    expect(ds.layout).toBe('slides');
    expect(ds.numClasses).toBeNull();
    expect(ds.findings).toEqual([]);
    expect(ds.items.map((i) => [i.id, i.imagePath, i.label])).toEqual([
      ['a', join(root, 'a.tiff'), null],
      ['b', join(root, 'b.svs'), null],
      ['c', join(root, 'c.ndpi'), null],
      ['d', join(root, 'd.btf'), null],
      ['e', join(root, 'e.TIF'), null],
    ]);
  });

  it('reports two slides sharing an id', async () => {
    await writeTree(root, { 'a.svs': '', 'a.tiff': '' });
    const ds = await openDataset(root);
    expect(ds.items.map((i) => i.imagePath)).toEqual([join(root, 'a.svs'), join(root, 'a.tiff')]);
    expect(ds.findings.map((f) => [f.code, f.severity, f.file])).toEqual([
      ['duplicate-id', 'error', join(root, 'a.tiff')],
    ]);
    expect(usableItems(ds).map((i) => i.imagePath)).toEqual([join(root, 'a.svs')]);
  });

  it('refuses a folder with nothing it recognises, a missing folder and a file', async () => {
    await writeTree(root, { 'notes.txt': '' });
    await expect(openDataset(root)).rejects.toThrow(DatasetError);
    await expect(openDataset(root)).rejects.toThrow(
      `${root}: holds no train.csv, labels.csv, test.csv or slide files`,
    );
    await expect(openDataset(join(root, 'nope'))).rejects.toThrow(`${join(root, 'nope')}: does not exist`);
    await expect(openDataset(join(root, 'notes.txt'))).rejects.toThrow(
      `${join(root, 'notes.txt')}: is a file, not a folder`,
    );
  });
});
