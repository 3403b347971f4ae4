import type { FileHandle } from 'node:fs/promises';
import { SlideError } from '../../base/errors.ts';
import { MAX_IFD_ENTRIES, MAX_IFDS } from './limits.ts';
import { readAt } from './read-at.ts';

/** The TIFF header and the offsets of the main IFD chain, checked against the file before geotiff sees it. */
export interface TiffChain {
  littleEndian: boolean;
  bigTiff: boolean;
  ifdOffsets: number[];
}

/** Byte size of each TIFF field type (1 BYTE … 18 IFD8); unknown types have no size. */
const FIELD_TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

function readUint(view: DataView, at: number, size: number, le: boolean): number {
  if (size === 2) return view.getUint16(at, le);
  if (size === 4) return view.getUint32(at, le);
  return Number(view.getBigUint64(at, le));
}

/**
 * Parses the header and walks the IFD chain: every IFD and every out-of-line tag value must lie inside the file,
 * and no IFD may be visited twice (geotiff would follow a loop forever).
 */
export async function readTiffChain(path: string, handle: FileHandle, fileSize: number): Promise<TiffChain> {
  const head = await readAt(handle, 0, 16);
  if (head.length < 8) throw new SlideError(path, 'not a TIFF file (shorter than a TIFF header)');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const order = view.getUint16(0, false);
  if (order !== 0x4949 && order !== 0x4d4d)
    throw new SlideError(path, 'not a TIFF file (no II/MM byte-order mark)');
  const le = order === 0x4949;
  const magic = view.getUint16(2, le);
  if (magic !== 42 && magic !== 43) throw new SlideError(path, `not a TIFF file (magic number ${magic})`);
  const bigTiff = magic === 43;
  if (bigTiff && (head.length < 16 || view.getUint16(4, le) !== 8)) {
    throw new SlideError(path, 'corrupt BigTIFF header');
  }
  const offsetSize = bigTiff ? 8 : 4;
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;

  const ifdOffsets: number[] = [];
  const seen = new Set<number>();
  let offset = readUint(view, bigTiff ? 8 : 4, offsetSize, le);
  if (offset === 0) throw new SlideError(path, 'TIFF file holds no image (first IFD offset is 0)');
  while (offset !== 0) {
    if (seen.has(offset)) throw new SlideError(path, `IFD chain loops back to offset ${offset}`);
    if (ifdOffsets.length >= MAX_IFDS) throw new SlideError(path, `more than ${MAX_IFDS} IFDs`);
    if (offset + countSize > fileSize)
      throw new SlideError(path, `IFD at offset ${offset} lies past the end of the file (truncated?)`);
    seen.add(offset);
    ifdOffsets.push(offset);
    const countBytes = await readAt(handle, offset, countSize);
    const count = readUint(new DataView(countBytes.buffer), 0, countSize, le);
    if (count === 0 || count > MAX_IFD_ENTRIES)
      throw new SlideError(path, `IFD at offset ${offset} declares ${count} entries`);
    const ifdLength = countSize + count * entrySize + offsetSize;
    if (offset + ifdLength > fileSize)
      throw new SlideError(path, `IFD at offset ${offset} runs past the end of the file (truncated?)`);
    const ifd = await readAt(handle, offset, ifdLength);
    const ifdView = new DataView(ifd.buffer);
    for (let i = 0; i < count; i++)
      checkEntry(path, ifdView, countSize + i * entrySize, bigTiff, le, fileSize);
    offset = readUint(ifdView, countSize + count * entrySize, offsetSize, le);
  }
  return { littleEndian: le, bigTiff, ifdOffsets };
}

/** An entry whose values do not fit inline must point inside the file; this bounds every later allocation. */
function checkEntry(
  path: string,
  view: DataView,
  at: number,
  bigTiff: boolean,
  le: boolean,
  fileSize: number,
): void {
  const tag = view.getUint16(at, le);
  const type = view.getUint16(at + 2, le);
  const typeSize = FIELD_TYPE_SIZE[type];
  if (typeSize === undefined) throw new SlideError(path, `tag ${tag} has unknown field type ${type}`);
  const count = readUint(view, at + 4, bigTiff ? 8 : 4, le);
  const length = count * typeSize;
  if (length <= (bigTiff ? 8 : 4)) return;
  const valueOffset = readUint(view, at + (bigTiff ? 12 : 8), bigTiff ? 8 : 4, le);
  if (valueOffset + length > fileSize) {
    throw new SlideError(
      path,
      `tag ${tag} points at bytes ${valueOffset}–${valueOffset + length} past the end of the file`,
    );
  }
}
