/** `patchgd annotations import|export` on a generated demo folder and a store of its own. */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoDataset } from '../../core/io/demo/index.ts';
import { fromGeoJson } from '../../core/shared/geojson.ts';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

let dir: string;
let data: string;
let ids: string[];
const store = () => ['--data', data, '--user-data', join(dir, 'user')];

beforeAll(async () => {
  dir = await makeTempDir('patchgd-cli-annotations-');
  data = join(dir, 'demo');
  ids = (await generateDemoDataset({ out: data, slides: 2, seed: 9, size: 512 })).records.map(
    (r) => r.imageId,
  );
});

afterAll(async () => removeDir(dir));

describe('patchgd annotations', () => {
  it('imports a mask, exports a slide, re-imports it elsewhere, and exports the folder', async () => {
    const mask = await cli([
      'annotations',
      'import',
      ...store(),
      '--slide',
      ids[0]!,
      '--mask',
      '--author',
      'dr a',
    ]);
    expect(mask.stderr).toBe('');
    expect(mask.stdout).toMatch(/^imported \d+ mask classes of /);

    const one = join(dir, 'one.geojson');
    const exported = await cli(['annotations', 'export', ...store(), '--slide', ids[0]!, '--out', one]);
    expect(exported.code).toBe(0);
    const first = fromGeoJson(await readFile(one, 'utf8'));
    expect(first.annotations.length).toBeGreaterThan(0);
    expect(first.annotations.every((a) => a.geometry.type === 'MultiPolygon')).toBe(true);
    expect(first.classes.length).toBe(first.annotations.length);

    const again = await cli(['annotations', 'import', ...store(), '--slide', ids[1]!, '--in', one]);
    expect(again.stdout).toBe(`imported ${first.annotations.length} annotations\n`);

    const out = join(dir, 'all');
    const all = await cli(['annotations', 'export', ...store(), '--out', out]);
    expect(all.stdout).toBe(`wrote ${2 * first.annotations.length} annotations of 2 slides to ${out}\n`);
    expect((await readdir(out)).sort()).toEqual(ids.map((id) => `${id}.geojson`).sort());
    const second = fromGeoJson(await readFile(join(out, `${ids[1]}.geojson`), 'utf8'));
    expect(second.annotations).toEqual(first.annotations);
  });

  it('fails with the file and the problem', async () => {
    const bad = join(dir, 'bad.geojson');
    await writeFile(
      bad,
      '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}]}',
    );
    const r = await cli(['annotations', 'import', ...store(), '--slide', ids[0]!, '--in', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: feature 1 has no geometry`);
    const unknown = await cli(['annotations', 'export', ...store(), '--slide', 'nope', '--out', bad]);
    expect(unknown.stderr).toContain('has no slide with image id nope');
  });
});
