/**
 * Issue 18 item 7: `dataset check` looks inside every slide (structure only, no pixel decoded): 0-byte, truncated
 * and PNG-renamed TIFFs are errors naming the file, not "usable".
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset, usableItems } from '../../core/io/dataset/index.ts';
import { writeSlide } from '../app/helpers.ts';
import { cli } from '../helpers/cli.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { buildTiff, ifdOffsetsOf } from '../slide/fixtures.ts';
import { writePanda, writeTree } from './helpers.ts';

let root: string;
const slide = (id: string) => join(root, 'train_images', `${id}.tiff`);

/** A one-tile TIFF whose directory is intact but whose tile data would end past the end of the file. */
function tileBeyondEof(): Uint8Array {
  const file = buildTiff([
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
  const view = new DataView(file.buffer);
  const ifd = ifdOffsetsOf(file)[0]!;
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    const at = ifd + 2 + 12 * i;
    if (view.getUint16(at, true) === 324) view.setUint32(at + 8, file.length - 100, true);
  }
  return file;
}

beforeAll(async () => {
  root = await makeTempDir('patchgd-check-files-');
  const ids = ['good', 'empty', 'half', 'beyond', 'png'];
  await writePanda(
    root,
    ids.map((id, i) => `${id},radboud,${i % 2},${i % 2 ? '3+3' : 'negative'}`),
    ids,
  );
  await writeSlide(slide('good'), { id: 'good', grade: 0, width: 300, height: 200 });
  const good = await readFile(slide('good'));
  await writeFile(slide('half'), good.subarray(0, good.length >> 1));
  await writeFile(slide('beyond'), tileBeyondEof());
  await writeFile(
    slide('png'),
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
      .png()
      .toBuffer(),
  );
});
afterAll(() => removeDir(root));

describe('the structure of every slide', () => {
  it('is checked: only the sound slide stays usable, each other one is an error naming its file', async () => {
    const dataset = await checkDataset(root);
    expect(usableItems(dataset).map((item) => item.id)).toEqual(['good']);
    const unreadable = dataset.findings.filter((f) => f.code === 'unreadable-file');
    expect(Object.fromEntries(unreadable.map((f) => [f.imageId, f.message]))).toEqual({
      empty: expect.stringMatching(/^cannot be read: .*(empty|too short|TIFF)/),
      half: expect.stringMatching(/^cannot be read: /),
      beyond: expect.stringMatching(
        /^cannot be read: level 0 tile 0: data ends at byte \d+, past the end of the \d+-byte file \(truncated\?\)$/,
      ),
      png: expect.stringMatching(/^cannot be read: .*TIFF/),
    });
    expect(unreadable.every((f) => f.severity === 'error' && f.file === slide(f.imageId!))).toBe(true);
  });

  it('makes `dataset check` exit 1 and list them', async () => {
    const { code, stdout } = await cli(['dataset', 'check', root]);
    expect(code).toBe(1);
    expect(stdout).toContain('items      5 (1 usable)');
    expect(stdout).toContain('  error unreadable-file (4)');
  }, 60_000);

  it('checks the header of plain images too', async () => {
    const images = join(root, 'images-folder');
    await writeTree(images, { 'labels.csv': 'image_id,label\nok,0\nbad,1\n', 'bad.png': 'not a png' });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } })
      .png()
      .toFile(join(images, 'ok.png'));
    const dataset = await checkDataset(images);
    expect(usableItems(dataset).map((item) => item.id)).toEqual(['ok']);
    expect(dataset.findings).toMatchObject([{ code: 'unreadable-file', imageId: 'bad', severity: 'error' }]);
  });
});
