/** A CSV file seen as a table with named columns: header checks, then rows looked up by column name. */
import { DatasetError } from '../../base/errors.ts';
import type { CsvRecord } from './csv.ts';

export interface TableRow {
  line: number;
  /** Number of fields the row actually has, to report rows that do not match the header. */
  fieldCount: number;
  /** Trimmed value of a column; '' when the row is too short to have it. */
  get(column: string): string;
}

export interface Table {
  file: string;
  columns: string[];
  rows: TableRow[];
}

/**
 * Checks the header holds every required column (any order, extra columns allowed) and gives the rows.
 * A wrong header is a DatasetError: nothing below it can be interpreted.
 */
export function toTable(records: readonly CsvRecord[], file: string, required: readonly string[]): Table {
  const [header, ...body] = records;
  if (!header) throw new DatasetError(file, 'is empty (no header line)');
  const columns = header.fields.map((name) => name.trim());
  const index = new Map<string, number>();
  for (const [i, name] of columns.entries()) {
    if (index.has(name)) throw new DatasetError(file, `line ${header.line}: column "${name}" appears twice`);
    index.set(name, i);
  }
  const missing = required.filter((name) => !index.has(name));
  if (missing.length > 0)
    throw new DatasetError(
      file,
      `line ${header.line}: header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(expected ${required.join(',')}; found ${columns.join(',')})`,
    );
  const rows = body.map((record): TableRow => ({
    line: record.line,
    fieldCount: record.fields.length,
    get: (column) => {
      const at = index.get(column);
      return at === undefined ? '' : (record.fields[at]?.trim() ?? '');
    },
  }));
  return { file, columns, rows };
}
