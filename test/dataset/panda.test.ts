import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset } from '../../core/io/dataset/open.ts';
import { usableItems } from '../../core/io/dataset/summary.ts';
import type { Dataset, FindingCode } from '../../core/io/dataset/types.ts';
import { DatasetError } from '../../core/base/errors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { PANDA_HEADER, writePanda, writeTree } from './helpers.ts';

/** The findings of one code, as `line imageId severity` strings (compact to compare). */
function found(dataset: Dataset, code: FindingCode): string[] {
  return dataset.findings
    .filter((f) => f.code === code)
    .map((f) => `${f.line ?? '-'} ${f.imageId ?? '-'} ${f.severity}`);
}

describe('openDataset on PANDA folders', () => {
  let root = '';
  beforeEach(async () => {
    root = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(root);
  });

  it('reads a clean folder: items sorted by id, labels, providers, masks, no findings', async () => {
    await writePanda(
      root,
      ['c,karolinska,0,0+0', 'a,radboud,5,4+5', 'b,radboud,0,negative'],
      ['a', 'b', 'c'],
      ['a'],
    );
    const ds = await openDataset(root);
    expect(ds.layout).toBe('panda');
    expect(ds.root).toBe(root);
    expect(ds.numClasses).toBe(6);
    expect(ds.findings).toEqual([]);
    expect(ds.items.map((i) => [i.id, i.label, i.provider, i.gleason])).toEqual([
      ['a', 5, 'radboud', '4+5'],
      ['b', 0, 'radboud', 'negative'],
      ['c', 0, 'karolinska', '0+0'],
    ]);
    expect(ds.items[0]?.imagePath).toBe(join(root, 'train_images', 'a.tiff'));
    expect(ds.items[0]?.maskPath).toBe(join(root, 'train_label_masks', 'a_mask.tiff'));
    expect(ds.items[1]?.maskPath).toBeNull();
    expect(usableItems(ds)).toHaveLength(3);
  });

  it('flags the real PANDA contradiction (4+3 labelled ISUP 2) as a warning, keeping the item usable', async () => {
    const id = 'b0a92a74cb53899311acc30b7405e101';
    await writePanda(root, [`${id},karolinska,2,4+3`], [id]);
    const ds = await openDataset(root);
    expect(ds.findings).toEqual([
      {
        severity: 'warning',
        code: 'isup-mismatch',
        file: join(root, 'train.csv'),
        line: 2,
        imageId: id,
        message: 'gleason_score 4+3 means ISUP 3, but isup_grade is 2',
      },
    ]);
    expect(ds.items[0]?.findings).toEqual(ds.findings);
    expect(usableItems(ds).map((i) => i.id)).toEqual([id]);
  });

  it('reports a missing slide and a slide without a row', async () => {
    await writePanda(root, ['a,radboud,1,3+3', 'b,radboud,1,3+3'], ['a', 'orphan']);
    const ds = await openDataset(root);
    expect(found(ds, 'missing-file')).toEqual(['3 b error']);
    expect(ds.findings.find((f) => f.code === 'missing-file')?.message).toContain(
      join(root, 'train_images', 'b.tiff'),
    );
    expect(found(ds, 'orphan-file')).toEqual(['- orphan warning']);
    expect(ds.findings.find((f) => f.code === 'orphan-file')?.file).toBe(
      join(root, 'train_images', 'orphan.tiff'),
    );
    expect(ds.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(usableItems(ds).map((i) => i.id)).toEqual(['a']);
  });

  it('reports a mask whose slide has no row', async () => {
    await writePanda(root, ['a,radboud,1,3+3'], ['a'], ['a', 'ghost']);
    expect(found(await openDataset(root), 'orphan-mask')).toEqual(['- ghost warning']);
  });

  it('reports a duplicate id on its second row, keeping the first usable', async () => {
    await writePanda(root, ['a,radboud,1,3+3', 'a,radboud,2,3+4'], ['a']);
    const ds = await openDataset(root);
    expect(found(ds, 'duplicate-id')).toEqual(['3 a error']);
    expect(ds.items.map((i) => i.label)).toEqual([1, 2]);
    expect(usableItems(ds).map((i) => i.label)).toEqual([1]);
  });

  it('reports grades that are not integers 0–5, with no label', async () => {
    const grades = ['6', '-1', '2.0', 'x', '', '1e0'];
    const ids = grades.map((_, i) => `s${i}`);
    await writePanda(
      root,
      grades.map((g, i) => `${ids[i]},radboud,${g},3+3`),
      ids,
    );
    const ds = await openDataset(root);
    expect(found(ds, 'bad-grade')).toEqual(ids.map((id, i) => `${i + 2} ${id} error`));
    expect(ds.items.every((i) => i.label === null)).toBe(true);
    expect(usableItems(ds)).toEqual([]);
  });

  it('warns about an unknown provider', async () => {
    await writePanda(root, ['a,utrecht,1,3+3'], ['a']);
    const ds = await openDataset(root);
    expect(found(ds, 'unknown-provider')).toEqual(['2 a warning']);
    expect(ds.findings[0]?.message).toBe('data_provider "utrecht" is not radboud or karolinska');
  });

  it('warns about a malformed Gleason score without judging the ISUP grade against it', async () => {
    await writePanda(root, ['a,radboud,1,3+2', 'b,radboud,1,'], ['a', 'b']);
    const ds = await openDataset(root);
    expect(found(ds, 'bad-gleason')).toEqual(['2 a warning', '3 b warning']);
    expect(found(ds, 'isup-mismatch')).toEqual([]);
    expect(usableItems(ds)).toHaveLength(2);
  });

  it('warns about the benign form a provider does not use', async () => {
    await writePanda(
      root,
      ['r1,radboud,0,negative', 'r2,radboud,0,0+0', 'k1,karolinska,0,0+0', 'k2,karolinska,0,negative'],
      ['r1', 'r2', 'k1', 'k2'],
    );
    const ds = await openDataset(root);
    expect(found(ds, 'gleason-convention')).toEqual(['3 r2 warning', '5 k2 warning']);
    expect(ds.findings.map((f) => f.message)).toEqual([
      'benign written as 0+0; radboud writes negative',
      'benign written as negative; karolinska writes 0+0',
    ]);
  });

  it('takes the more common benign form as the convention of an unknown provider', async () => {
    await writePanda(
      root,
      ['u1,utrecht,0,0+0', 'u2,utrecht,0,negative', 'u3,utrecht,0,negative'],
      ['u1', 'u2', 'u3'],
    );
    expect(found(await openDataset(root), 'gleason-convention')).toEqual(['2 u1 warning']);
  });

  it('reports bad ids and rows whose field count differs from the header', async () => {
    await writePanda(
      root,
      ['../x,radboud,1,3+3', ',radboud,1,3+3', 'a,radboud,1', 'b,radboud,1,3+3,extra'],
      ['a', 'b'],
    );
    const ds = await openDataset(root);
    expect(found(ds, 'bad-id')).toEqual(['2 ../x error', '3 - error']);
    expect(found(ds, 'wrong-field-count')).toEqual(['4 a error', '5 b error']);
    expect(found(ds, 'missing-file')).toEqual([]);
    expect(usableItems(ds)).toEqual([]);
  });

  it('reports a header with no rows', async () => {
    await writeTree(root, { 'train.csv': PANDA_HEADER + '\n' });
    const ds = await openDataset(root);
    expect(ds.items).toEqual([]);
    expect(ds.findings.map((f) => [f.code, f.severity])).toEqual([['no-rows', 'error']]);
  });

  it('refuses a wrong header, naming the file and the missing columns', async () => {
    await writeTree(root, { 'train.csv': 'image_id,provider,isup_grade\na,radboud,1\n' });
    const file = join(root, 'train.csv');
    await expect(openDataset(root)).rejects.toThrow(DatasetError);
    await expect(openDataset(root)).rejects.toThrow(
      `${file}: line 1: header lacks columns data_provider, gleason_score ` +
        '(expected image_id,data_provider,isup_grade,gleason_score; found image_id,provider,isup_grade)',
    );
  });

  it('refuses an empty train.csv', async () => {
    await writeTree(root, { 'train.csv': '' });
    await expect(openDataset(root)).rejects.toThrow(`${join(root, 'train.csv')}: is empty (no header line)`);
  });

  it('accepts a BOM, CRLF line ends, quoted fields and extra columns in any order', async () => {
    await writeTree(root, {
      'train.csv':
        '\uFEFFgleason_score,image_id,note,isup_grade,data_provider\r\n"3+4",a,"x, y",2,radboud\r\n',
      'train_images/a.tiff': '',
    });
    const ds = await openDataset(root);
    expect(ds.findings).toEqual([]);
    expect(ds.items.map((i) => [i.id, i.label, i.gleason])).toEqual([['a', 2, '3+4']]);
  });

  it('reads Kaggle test.csv (no labels) from test_images', async () => {
    await writeTree(root, {
      'test.csv': 'image_id,data_provider\nt1,radboud\nt2,karolinska\n',
      'test_images/t1.tiff': '',
    });
    const ds = await openDataset(root);
    expect(ds.layout).toBe('panda');
    expect(ds.numClasses).toBeNull();
    expect(ds.items.map((i) => [i.id, i.label, i.imagePath])).toEqual([
      ['t1', null, join(root, 'test_images', 't1.tiff')],
      ['t2', null, join(root, 'test_images', 't2.tiff')],
    ]);
    expect(found(ds, 'missing-file')).toEqual(['3 t2 error']);
  });

  it('opens a 10,000-row folder with one missing slide, one orphan and one contradiction', async () => {
    const n = 10_000;
    const ids = Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, '0'));
    const gleason = ['negative', '3+3', '3+4', '4+3', '4+4', '4+5'];
    const rows = ids.map((id, i) => {
      const grade = i % 6;
      return i === 7 ? `${id},radboud,2,4+3` : `${id},radboud,${grade},${gleason[grade]}`;
    });
    const slides = ids.filter((_, i) => i !== 5000);
    await writePanda(root, [...rows].reverse(), [...slides, 'extra']);
    const ds = await openDataset(root);
    expect(ds.items).toHaveLength(n);
    expect(ds.items.map((i) => i.id)).toEqual(ids);
    expect(found(ds, 'missing-file').map((s) => s.split(' ')[1])).toEqual([ids[5000]]);
    expect(found(ds, 'orphan-file')).toEqual(['- extra warning']);
    expect(found(ds, 'isup-mismatch')).toEqual([`${n + 2 - 8} ${ids[7]} warning`]);
    expect(ds.findings).toHaveLength(3);
    expect(usableItems(ds)).toHaveLength(n - 1);
  });
});
