/**
 * The cheap look inside every image file that `openDataset` leaves out: slides get their TIFF structure checked
 * (header, directories, levels, tile data inside the file — no pixel decoded), plain images their header. A file
 * that fails becomes an `unreadable-file` error on its item, so `dataset check`, training and inference agree on
 * which items are usable before any of them starts.
 */
import sharp from 'sharp';
import { describeError } from '../../base/errors.ts';
import { mapLimit } from '../slide/concurrency.ts';
import { checkSlideFile } from '../slide/slide.ts';
import { openDataset } from './open.ts';
import { report, sortFindings } from './rows.ts';
import type { Dataset, DatasetItem } from './types.ts';

/** Files checked at once: the checks are small reads, so a few in flight hide the disk's latency. */
const CONCURRENCY = 8;

async function imageProblem(dataset: Dataset, item: DatasetItem): Promise<string | null> {
  try {
    if (dataset.layout === 'images') {
      const meta = await sharp(item.imagePath).metadata();
      if (!meta.width || !meta.height) return 'has no image size in its header';
    } else {
      await checkSlideFile(item.imagePath);
    }
    return null;
  } catch (err) {
    return describeError(err).replace(`${item.imagePath}: `, '');
  }
}

/** Adds an `unreadable-file` error for every otherwise usable item whose file does not pass the cheap check. */
export async function checkImageFiles(dataset: Dataset): Promise<Dataset> {
  const candidates = dataset.items.filter((item) => !item.findings.some((f) => f.severity === 'error'));
  const problems = await mapLimit(candidates, CONCURRENCY, (item) => imageProblem(dataset, item));
  const findings = [...dataset.findings];
  candidates.forEach((item, i) => {
    const problem = problems[i];
    if (problem)
      report(findings, item, {
        severity: 'error',
        code: 'unreadable-file',
        file: item.imagePath,
        imageId: item.id,
        message: `cannot be read: ${problem}`,
      });
  });
  return { ...dataset, findings: sortFindings(findings) };
}

/** `openDataset` plus the file checks: what `dataset check` reports and what training refuses on. */
export async function checkDataset(dir: string): Promise<Dataset> {
  return checkImageFiles(await openDataset(dir));
}
