/** Builds dataset folders for the tests in a temporary directory (empty files stand in for slides). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes each `relative path → content` (empty content when only the file's presence matters). */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  const entries = Object.entries(files).map(([path, content]) => [join(root, path), content] as const);
  for (const dir of new Set(entries.map(([full]) => dirname(full)))) await mkdir(dir, { recursive: true });
  // In batches: thousands of stand-in slides are written in well under a second, without exhausting handles.
  for (let i = 0; i < entries.length; i += 256)
    await Promise.all(entries.slice(i, i + 256).map(([full, content]) => writeFile(full, content)));
}

export const PANDA_HEADER = 'image_id,data_provider,isup_grade,gleason_score';

/** A PANDA folder with the given train.csv rows, a slide for each listed id and a mask for each listed id. */
export async function writePanda(
  root: string,
  rows: readonly string[],
  slides: readonly string[],
  masks: readonly string[] = [],
): Promise<void> {
  await writeTree(root, {
    'train.csv': [PANDA_HEADER, ...rows].join('\n') + '\n',
    ...Object.fromEntries(slides.map((id) => [`train_images/${id}.tiff`, ''])),
    ...Object.fromEntries(masks.map((id) => [`train_label_masks/${id}_mask.tiff`, ''])),
  });
}
