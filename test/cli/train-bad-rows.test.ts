/**
 * Issue 18 item 6: `train` sees the same findings, with the same severity, as `dataset check` — structure of the
 * slides included — and never drops rows silently: it refuses naming each bad row, or with --skip-bad-rows warns
 * about each and trains on the rest.
 */
import { existsSync } from 'node:fs';
import { appendFile, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset, formatFinding } from '../../core/io/dataset/index.ts';
import { writePandaFolder } from '../app/helpers.ts';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
const data = () => join(dir, 'panda');
const TINY = [
  '--backbone',
  'small',
  '--image-size',
  '64',
  '--patch-size',
  '16',
  '--latent',
  '8',
  '--epochs',
  '1',
];

beforeAll(async () => {
  dir = await makeTempDir('patchgd-bad-rows-');
  await writePandaFolder(
    data(),
    Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, grade: i % 2, width: 200, height: 150 })),
  );
  // The rows of the issue: grade 7, a non-numeric grade, a duplicate id, a missing image, a `../` id, and a
  // slide that exists but is empty.
  await appendFile(
    join(data(), 'train.csv'),
    [
      'g7,radboud,7,4+4',
      'nn,radboud,two,3+3',
      's0,radboud,0,negative',
      'gone,radboud,1,3+3',
      '../evil,radboud,1,3+3',
      'empty,radboud,1,3+3',
    ]
      .map((row) => row + '\n')
      .join(''),
  );
  await writeFile(join(data(), 'train_images', 'empty.tiff'), '');
  for (const id of ['g7', 'nn'])
    await copyFile(join(data(), 'train_images', 's1.tiff'), join(data(), 'train_images', `${id}.tiff`));
});
afterAll(() => removeDir(dir));

describe('train on data with error findings', () => {
  it('refuses before training, naming every row `dataset check` calls an error', async () => {
    const out = join(dir, 'refused');
    const r = await cli(['train', '--data', data(), '--out', out, '--folds', '2', ...TINY]);
    expect(r.code).toBe(1);
    const checked = await checkDataset(data());
    const errors = checked.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.code).sort()).toEqual(
      ['bad-grade', 'bad-grade', 'bad-id', 'duplicate-id', 'missing-file', 'unreadable-file'].sort(),
    );
    expect(r.stderr).toContain(
      `error: ${data()}: 6 error findings (as \`patchgd dataset check\` reports); fix them, or skip the bad rows to train on the 6 usable items:`,
    );
    for (const f of errors) expect(r.stderr).toContain(`  ${formatFinding(f, checked.root)}`);
    expect(r.stderr).not.toMatch(/cannot split/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('with --skip-bad-rows warns about each row and trains on the usable ones', async () => {
    const r = await cli([
      'train',
      '--data',
      data(),
      '--out',
      join(dir, 'skipped'),
      '--folds',
      '2',
      '--skip-bad-rows',
      '--json',
      ...TINY,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((line) => line.startsWith(`warning: ${data()}: skipped: `));
    expect(warnings).toHaveLength(6);
    expect(warnings.join('\n')).toMatch(/train\.csv:8 \[g7\]/);
    const result = JSON.parse(r.stdout) as { trainItems: number; valItems: number };
    expect(result.trainItems + result.valItems).toBe(6);
  }, 120_000);
});
