/** Reading and atomically writing CSV files, with the checks that keep a wrong file from becoming a crash. */
import { open } from 'node:fs/promises';
import { DatasetError } from '../../base/errors.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { type CsvRecord, formatCsv, parseCsv } from './csv.ts';

/** Label files are small (PANDA's train.csv is ~0.5 MB); anything far larger is the wrong file. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;

/** Reads a UTF-8 CSV file; a missing, huge, binary or empty file is a DatasetError naming it. */
export async function readCsvFile(path: string): Promise<CsvRecord[]> {
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_CSV_BYTES)
        throw new DatasetError(
          path,
          `is ${size} bytes, more than the ${MAX_CSV_BYTES} a label file may have`,
        );
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      cause: err,
    });
  }
  if (bytes.includes(0)) throw new DatasetError(path, 'is a binary file, not CSV text');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new DatasetError(path, 'is not UTF-8 text', { cause: err });
  }
  const records = parseCsv(text, path);
  if (records.length === 0) throw new DatasetError(path, 'is empty (no header line)');
  return records;
}

/** Writes CSV through a temporary file and a rename, so readers never see half a file. */
export async function writeCsvFile(path: string, rows: readonly (readonly string[])[]): Promise<void> {
  await writeFileAtomic(path, formatCsv(rows));
}
