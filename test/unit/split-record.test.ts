import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heldOutIds, readSplitRecord, splitRecord, SPLIT_FILE } from '../../core/jobs/split-record.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

const record = {
  data: '/data/demo',
  source: 'fold' as const,
  folds: 5,
  valFold: 0,
  valData: null,
  train: ['a', 'b'],
  val: ['c'],
};

describe('split record', () => {
  it('reads back what the run wrote, and the held-out ids of its folder', async () => {
    await writeFile(join(dir, SPLIT_FILE), splitRecord(record)[SPLIT_FILE]!);
    expect(await readSplitRecord(dir)).toEqual(record);
    expect(await heldOutIds(dir, '/data/demo')).toEqual(new Set(['c']));
  });

  it('names split.json when it is missing or not a record', async () => {
    const file = join(dir, SPLIT_FILE);
    await expect(readSplitRecord(dir)).rejects.toThrow(
      `${file}: the run has no record of its held-out items`,
    );
    await writeFile(file, '{"train": 3}');
    await expect(readSplitRecord(dir)).rejects.toThrow(`${file}: not a valid split record`);
  });
});
