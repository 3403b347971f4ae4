import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset } from '../../core/io/dataset/open.ts';
import { usableItems } from '../../core/io/dataset/summary.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { writeTree } from './helpers.ts';

describe('openDataset on labelled image folders', () => {
  let root = '';
  beforeEach(async () => {
    root = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(root);
  });

  it('reads images from images/ (the UltraMNIST generator layout)', async () => {
    await writeTree(root, {
      'labels.csv': 'image_id,label\nb,3\na,0\nc,12\n',
      'images/a.png': '',
      'images/b.jpg': '',
      'images/c.TIFF': '',
    });
    const ds = await openDataset(root);
    expect(ds.layout).toBe('images');
    expect(ds.findings).toEqual([]);
    expect(ds.numClasses).toBe(13);
    expect(ds.items.map((i) => [i.id, i.label, i.imagePath, i.maskPath])).toEqual([
      ['a', 0, join(root, 'images', 'a.png'), null],
      ['b', 3, join(root, 'images', 'b.jpg'), null],
      ['c', 12, join(root, 'images', 'c.TIFF'), null],
    ]);
  });

  it('reads images next to labels.csv when there is no images/ folder', async () => {
    await writeTree(root, { 'labels.csv': 'image_id,label\nx,1\n', 'x.jpeg': '', 'notes.txt': '' });
    const ds = await openDataset(root);
    expect(ds.findings).toEqual([]);
    expect(ds.items.map((i) => i.imagePath)).toEqual([join(root, 'x.jpeg')]);
  });

  it('reports bad labels, missing, ambiguous and orphan images', async () => {
    await writeTree(root, {
      'labels.csv': 'image_id,label\nok,1\nneg,-1\nfrac,1.5\nbig,10000\nmissing,2\ntwice,0\n',
      'images/ok.png': '',
      'images/neg.png': '',
      'images/frac.png': '',
      'images/big.png': '',
      'images/twice.png': '',
      'images/twice.jpg': '',
      'images/stray.png': '',
    });
    const ds = await openDataset(root);
    const summary = ds.findings.map((f) => `${f.code} ${f.imageId} ${f.severity}`);
    expect(summary).toEqual([
      'bad-label neg error',
      'bad-label frac error',
      'bad-label big error',
      'missing-file missing error',
      'ambiguous-file twice error',
      'orphan-file stray warning',
    ]);
    expect(ds.findings.find((f) => f.code === 'missing-file')?.message).toContain(
      join(root, 'images', 'missing.png'),
    );
    expect(usableItems(ds).map((i) => i.id)).toEqual(['ok']);
    expect(ds.numClasses).toBe(3);
  });

  it('has no class count when no label is usable', async () => {
    await writeTree(root, { 'labels.csv': 'image_id,label\na,x\n', 'images/a.png': '' });
    expect((await openDataset(root)).numClasses).toBeNull();
  });

  it('refuses a labels.csv without a label column', async () => {
    await writeTree(root, { 'labels.csv': 'image_id,class\na,1\n' });
    await expect(openDataset(root)).rejects.toThrow(
      `${join(root, 'labels.csv')}: line 1: header lacks column label (expected image_id,label; found image_id,class)`,
    );
  });
});
