import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from '../../core/io/dataset/csv.ts';
import { MAX_CSV_BYTES, readCsvFile, writeCsvFile } from '../../core/io/dataset/csv-file.ts';
import { DatasetError } from '../../core/base/errors.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const fields = (text: string): string[][] => parseCsv(text, 'x.csv').map((r) => r.fields);

describe('parseCsv', () => {
  it('reads plain records with LF, CRLF and no final newline alike', () => {
    const expected = [
      ['a', 'b'],
      ['1', '2'],
    ];
    expect(fields('a,b\n1,2\n')).toEqual(expected);
    expect(fields('a,b\r\n1,2\r\n')).toEqual(expected);
    expect(fields('a,b\n1,2')).toEqual(expected);
  });

  it('strips a leading BOM only', () => {
    expect(fields('\uFEFFimage_id,label\nx,1\n')).toEqual([
      ['image_id', 'label'],
      ['x', '1'],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(fields('"a,b","say ""hi""","two\r\nlines",""\n')).toEqual([
      ['a,b', 'say "hi"', 'two\r\nlines', ''],
    ]);
  });

  it('keeps empty fields, including a trailing one at the end of the text', () => {
    expect(fields(',a,\n')).toEqual([['', 'a', '']]);
    expect(fields('a,\n,')).toEqual([
      ['a', ''],
      ['', ''],
    ]);
  });

  it('treats a lone CR as field content, not a line end', () => {
    expect(fields('a\rb,c\n')).toEqual([['a\rb', 'c']]);
  });

  it('numbers records by the line they start on, counting line breaks inside quotes and blank lines', () => {
    const records = parseCsv('h\n"x\ny"\n\nz\r\n', 'x.csv');
    expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(records[1]?.fields).toEqual(['x\ny']);
  });

  it('names the file and line of an unterminated quote', () => {
    expect(() => parseCsv('a\nb\n"open,\nmore\n', 'labels.csv')).toThrow(
      new DatasetError('labels.csv', 'line 3: quoted field is never closed'),
    );
  });

  it('rejects text after a closing quote and a quote inside an unquoted field', () => {
    expect(() => parseCsv('a\n"x"y\n', 'f.csv')).toThrow(
      'f.csv: line 2: text after the closing quote of a field',
    );
    expect(() => parseCsv('a\nx"y"\n', 'f.csv')).toThrow('f.csv: line 2: quote inside an unquoted field');
  });

  it('returns no records for empty text', () => {
    expect(parseCsv('', 'x.csv')).toEqual([]);
    expect(parseCsv('\uFEFF\n\n', 'x.csv')).toEqual([]);
  });
});

describe('formatCsv', () => {
  it('quotes only the fields that need it and ends every record with the line end', () => {
    expect(formatCsv([['a', 'b,c', 'd"e', 'f\ng']])).toBe('a,"b,c","d""e","f\ng"\n');
    expect(formatCsv([['a'], ['b']], '\r\n')).toBe('a\r\nb\r\n');
  });

  it('round-trips awkward content through parseCsv', () => {
    const rows = [
      ['id', 'note'],
      ['1', ' spaced '],
      ['2', '"quoted", with, commas'],
      ['3', 'multi\r\nline'],
      [''],
    ];
    expect(fields(formatCsv(rows))).toEqual(rows);
    expect(fields(formatCsv([['\uFEFFstarts with a BOM']]))).toEqual([['\uFEFFstarts with a BOM']]);
  });
});

describe('CSV files', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('writes atomically (no temporary file left) and reads back the same records', async () => {
    const path = join(dir, 'out.csv');
    await writeFile(path, 'old\n');
    await writeCsvFile(path, [
      ['image_id', 'label'],
      ['a', '1'],
    ]);
    expect(await readdir(dir)).toEqual(['out.csv']);
    expect((await readCsvFile(path)).map((r) => r.fields)).toEqual([
      ['image_id', 'label'],
      ['a', '1'],
    ]);
  });

  it('reports a write into a missing folder as a DatasetError naming the file', async () => {
    const path = join(dir, 'no', 'out.csv');
    await expect(writeCsvFile(path, [['a']])).rejects.toThrow(`${path}: cannot be written (ENOENT)`);
  });

  it('names the file for missing, empty, binary, non-UTF-8 and oversized input', async () => {
    const path = join(dir, 'in.csv');
    await expect(readCsvFile(path)).rejects.toThrow(`${path}: cannot be read (ENOENT)`);
    await writeFile(path, '');
    await expect(readCsvFile(path)).rejects.toThrow(`${path}: is empty (no header line)`);
    await writeFile(path, Buffer.from([0x49, 0x49, 0x2a, 0x00]));
    await expect(readCsvFile(path)).rejects.toThrow(`${path}: is a binary file, not CSV text`);
    await writeFile(path, Buffer.from([0x61, 0xff, 0x0a]));
    await expect(readCsvFile(path)).rejects.toThrow(`${path}: is not UTF-8 text`);
    await truncate(path, MAX_CSV_BYTES + 1); // sparse: costs no disk
    await expect(readCsvFile(path)).rejects.toThrow(/is \d+ bytes, more than/);
  });
});
