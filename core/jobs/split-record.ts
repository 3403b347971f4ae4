/**
 * The run folder's record of which items trained and which were held out (`split.json`), so that the held-out
 * fold can be graded later without re-deriving the split from its seed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../base/errors.ts';

export const SPLIT_FILE = 'split.json';

const splitRecordSchema = z.object({
  /** Absolute path of the training data folder. */
  data: z.string(),
  /** 'fold': `val` is fold `valFold` of a stratified `folds`-fold split of `data`; 'folder': `valData`. */
  source: z.enum(['fold', 'folder']),
  folds: z.number().int().nullable(),
  valFold: z.number().int().nullable(),
  valData: z.string().nullable(),
  train: z.array(z.string()),
  val: z.array(z.string()),
});

export type SplitRecord = z.infer<typeof splitRecordSchema>;

/** The record as a run file (`TrainOptions.runFiles`). */
export function splitRecord(record: SplitRecord): Record<string, string> {
  return { [SPLIT_FILE]: JSON.stringify(record, null, 1) + '\n' };
}

/** The run's split record, or a UsageError naming `split.json` when it is missing or not a record. */
export async function readSplitRecord(runDir: string): Promise<SplitRecord> {
  const file = path.join(runDir, SPLIT_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(
        file,
        'the run has no record of its held-out items (trained by an older version?)',
      );
    throw err;
  }
  try {
    return splitRecordSchema.parse(JSON.parse(text));
  } catch {
    throw new UsageError(file, 'not a valid split record');
  }
}

/**
 * The ids a run held out of `dataDir` for validation. Fails, naming the file, when the run has no record, when it
 * validated on a separate folder, or when `dataDir` is not the folder it trained on.
 */
export async function heldOutIds(runDir: string, dataDir: string): Promise<Set<string>> {
  const file = path.join(runDir, SPLIT_FILE);
  const record = await readSplitRecord(runDir);
  if (record.source === 'folder')
    throw new UsageError(file, `the run validated on a separate folder: grade ${record.valData} itself`);
  if (path.resolve(dataDir) !== record.data)
    throw new UsageError(file, `the run held out items of ${record.data}, not of ${path.resolve(dataDir)}`);
  return new Set(record.val);
}
