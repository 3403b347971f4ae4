import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { buildTiff } from '../slide/fixtures.ts';
import { writePanda, writeTree } from './helpers.ts';

/** The smallest sound slide: one uncompressed 16 px tile. */
const tinyTiff = () =>
  buildTiff([
    {
      width: 16,
      height: 16,
      tileWidth: 16,
      tileHeight: 16,
      compression: 1,
      photometric: 2,
      tiles: [new Uint8Array(768)],
    },
  ]);

const patchgd = (...args: string[]) => cli(args);

describe('patchgd dataset check', () => {
  let root = '';
  beforeEach(async () => {
    root = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(root);
  });

  it('exits 0 with warnings only, and prints one JSON object', async () => {
    const id = 'b0a92a74cb53899311acc30b7405e101';
    await writePanda(root, [`${id},karolinska,2,4+3`, 'a,radboud,0,negative'], [id, 'a']);
    // `dataset check` looks inside each slide: these two must be real TIFFs, not empty stand-ins.
    for (const name of [id, 'a']) await writeFile(join(root, 'train_images', `${name}.tiff`), tinyTiff());
    const { code, stdout, stderr } = await patchgd('dataset', 'check', root, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      root,
      layout: 'panda',
      items: 2,
      usable: 2,
      numClasses: 6,
      classCounts: [1, 0, 1, 0, 0, 0],
      providers: { karolinska: 1, radboud: 1 },
      errors: 0,
      warnings: 1,
      groups: [{ code: 'isup-mismatch', severity: 'warning', count: 1 }],
      findings: [{ code: 'isup-mismatch', severity: 'warning', line: 2, imageId: id }],
    });
  });

  it('exits 1 on error findings, grouping them in the human-readable report', async () => {
    await writePanda(
      root,
      ['a,radboud,1,3+3', 'b,radboud,1,3+3', 'c,radboud,1,3+3', 'd,radboud,1,3+3', 'e,radboud,9,3+3'],
      ['e'],
    );
    const { code, stdout, stderr } = await patchgd('dataset', 'check', root);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: ${root}: 5 error findings\n`);
    const lines = stdout.split('\n');
    expect(lines).toContain(`dataset    ${root} (panda)`);
    expect(lines).toContain('items      5 (0 usable)');
    expect(lines).toContain('findings   5 errors, 0 warnings');
    expect(lines).toContain('  error missing-file (4)');
    expect(lines).toContain(
      `    train.csv:2 [a]: image ${join(root, 'train_images', 'a.tiff')} does not exist`,
    );
    expect(lines).toContain('    … and 1 more');
    expect(lines).toContain('  error bad-grade (1)');
  });

  it('exits 1 with JSON still on stdout when there are errors', async () => {
    await writeTree(root, { 'labels.csv': 'image_id,label\na,x\n', 'images/a.png': '' });
    const { code, stdout } = await patchgd('dataset', 'check', root, '--json');
    expect(code).toBe(1);
    const json = JSON.parse(stdout) as { layout: string; errors: number; findings: { code: string }[] };
    expect(json.layout).toBe('images');
    expect(json.errors).toBe(1);
    expect(json.findings.map((f) => f.code)).toEqual(['bad-label']);
  });

  it('prints `error: <file>: <problem>` when the folder cannot be opened', async () => {
    await writeTree(root, { 'train.csv': 'image_id\n' });
    const { code, stdout, stderr } = await patchgd('dataset', 'check', root);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^error: ${join(root, 'train.csv')}: line 1: header lacks columns`));
    expect(stderr.split('\n')).toHaveLength(2);
  });
});
