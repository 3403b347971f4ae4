/**
 * RFC 4180 CSV, as pure functions: quoted fields, doubled quotes, CRLF or LF line ends, a leading BOM and an
 * optional final newline. Structural problems throw a DatasetError naming the file and the line.
 */
import { DatasetError } from '../errors.ts';

/** One record and the (1-based) line it starts on, so findings can point at it. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const BOM = '\uFEFF';

/**
 * Parses CSV text into records. Empty lines are skipped (a label file with a stray blank line is not an error
 * worth stopping for); `file` only labels error messages.
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const src = text.startsWith(BOM) ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  // True once the current record has any content, so an empty line yields no record.
  let started = false;
  let i = 0;

  const endRecord = (): void => {
    if (started) records.push({ line: recordLine, fields: [...fields, field] });
    fields = [];
    field = '';
    started = false;
  };

  while (i < src.length) {
    const ch = src[i];
    if (ch === '"') {
      if (field !== '') throw new DatasetError(file, `line ${line}: quote inside an unquoted field`);
      if (!started) recordLine = line;
      started = true;
      const quoteLine = line;
      i++;
      let closed = false;
      while (i < src.length) {
        const c = src[i];
        if (c === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      if (!closed) throw new DatasetError(file, `line ${quoteLine}: quoted field is never closed`);
      const next = src[i];
      if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && src[i + 1] === '\n'))
        throw new DatasetError(file, `line ${line}: text after the closing quote of a field`);
      continue;
    }
    if (ch === ',') {
      if (!started) recordLine = line;
      started = true;
      fields.push(field);
      field = '';
      i++;
      continue;
    }
    if (ch === '\n' || (ch === '\r' && src[i + 1] === '\n')) {
      endRecord();
      i += ch === '\r' ? 2 : 1;
      line++;
      continue;
    }
    if (!started) recordLine = line;
    started = true;
    field += ch;
    i++;
  }
  endRecord();
  return records;
}

/** Whether a field must be quoted to survive a round trip. */
function needsQuotes(field: string): boolean {
  return /[",\r\n]/.test(field) || field.startsWith(BOM);
}

function quoteField(field: string): string {
  return needsQuotes(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/**
 * Formats records as CSV, quoting only the fields that need it, every record (the last one too) ended by `eol`.
 * A record of one empty field is quoted (`""`) because an empty line would be read back as no record.
 */
export function formatCsv(rows: readonly (readonly string[])[], eol: '\n' | '\r\n' = '\n'): string {
  return rows
    .map((row) => (row.length === 1 && row[0] === '' ? '""' : row.map(quoteField).join(',')) + eol)
    .join('');
}
