/**
 * A small streaming writer of tiled, multi-resolution TIFF files (classic TIFF or BigTIFF, little-endian).
 * Tiles are appended as they are produced, in any order; the image file directories (IFDs) go at the end,
 * once every tile's offset is known, and the header is patched to point at them. The file is written under a
 * temporary name and renamed into place on close, so a reader never sees a half-written TIFF.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { commitTemp, tempPathFor } from '../../base/atomic.ts';

export interface TiffImageSpec {
  width: number;
  height: number;
  tileSize: number;
  compression: 'jpeg' | 'deflate';
  /** `ycbcr` with JPEG tiles whose chroma is subsampled 2×2 (JFIF-style); `rgb` for lossless tiles. */
  photometric: 'ycbcr' | 'rgb';
  /** Marks a reduced-resolution level (NewSubfileType = 1). */
  reduced: boolean;
  /** Pixels per centimetre as a rational [numerator, denominator], or null to omit resolution tags. */
  pixelsPerCm: [number, number] | null;
}

const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  SamplesPerPixel: 277,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  YCbCrSubSampling: 530,
} as const;

const TYPE = { ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, LONG8: 16 } as const;
const TYPE_SIZE: Record<number, number> = { 2: 1, 3: 2, 4: 4, 5: 8, 16: 8 };

interface Entry {
  tag: number;
  type: number;
  /** Numbers (a RATIONAL takes two), or the bytes of an ASCII value. */
  values: number[];
}

/** Upper bound on a classic TIFF's size; past it offsets need BigTIFF's 64 bits. */
export const CLASSIC_TIFF_LIMIT = 2 ** 32 - 1;

function tilesAcross(spec: TiffImageSpec): { cols: number; rows: number } {
  return { cols: Math.ceil(spec.width / spec.tileSize), rows: Math.ceil(spec.height / spec.tileSize) };
}

function entriesFor(spec: TiffImageSpec, offsets: number[], counts: number[], bigTiff: boolean): Entry[] {
  const e: Entry[] = [
    { tag: TAG.NewSubfileType, type: TYPE.LONG, values: [spec.reduced ? 1 : 0] },
    { tag: TAG.ImageWidth, type: TYPE.LONG, values: [spec.width] },
    { tag: TAG.ImageLength, type: TYPE.LONG, values: [spec.height] },
    { tag: TAG.BitsPerSample, type: TYPE.SHORT, values: [8, 8, 8] },
    { tag: TAG.Compression, type: TYPE.SHORT, values: [spec.compression === 'jpeg' ? 7 : 8] },
    { tag: TAG.Photometric, type: TYPE.SHORT, values: [spec.photometric === 'ycbcr' ? 6 : 2] },
    { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, values: [3] },
    { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, values: [1] },
    { tag: TAG.Software, type: TYPE.ASCII, values: [...Buffer.from('PatchGD Studio demo-data\0', 'latin1')] },
    { tag: TAG.TileWidth, type: TYPE.LONG, values: [spec.tileSize] },
    { tag: TAG.TileLength, type: TYPE.LONG, values: [spec.tileSize] },
    { tag: TAG.TileOffsets, type: bigTiff ? TYPE.LONG8 : TYPE.LONG, values: offsets },
    { tag: TAG.TileByteCounts, type: TYPE.LONG, values: counts },
  ];
  if (spec.pixelsPerCm) {
    e.push({ tag: TAG.XResolution, type: TYPE.RATIONAL, values: spec.pixelsPerCm });
    e.push({ tag: TAG.YResolution, type: TYPE.RATIONAL, values: spec.pixelsPerCm });
    e.push({ tag: TAG.ResolutionUnit, type: TYPE.SHORT, values: [3] });
  }
  if (spec.photometric === 'ycbcr') e.push({ tag: TAG.YCbCrSubSampling, type: TYPE.SHORT, values: [2, 2] });
  return e.sort((a, b) => a.tag - b.tag);
}

function writeValue(buf: Buffer, at: number, type: number, value: number): void {
  if (type === TYPE.ASCII) buf.writeUInt8(value, at);
  else if (type === TYPE.SHORT) buf.writeUInt16LE(value, at);
  else if (type === TYPE.LONG || type === TYPE.RATIONAL) buf.writeUInt32LE(value, at);
  else buf.writeBigUInt64LE(BigInt(value), at);
}

/** Bytes one entry's values take (a RATIONAL's two numbers count as one 8-byte value). */
function valueBytes(e: Entry): number {
  return e.type === TYPE.RATIONAL ? 4 * e.values.length : TYPE_SIZE[e.type]! * e.values.length;
}

/**
 * Encodes one IFD placed at `at`, followed by the values too large for their entries. Returns the bytes;
 * `next` is the offset of the following IFD (0 for the last).
 */
function encodeIfd(entries: Entry[], at: number, next: number, bigTiff: boolean): Buffer {
  const entrySize = bigTiff ? 20 : 12;
  const inline = bigTiff ? 8 : 4;
  const headSize = (bigTiff ? 8 : 2) + entries.length * entrySize + (bigTiff ? 8 : 4);
  let extra = 0;
  for (const e of entries) {
    const n = valueBytes(e);
    if (n > inline) extra += n + (n % 2);
  }
  const buf = Buffer.alloc(headSize + extra);
  if (bigTiff) buf.writeBigUInt64LE(BigInt(entries.length), 0);
  else buf.writeUInt16LE(entries.length, 0);
  let pos = bigTiff ? 8 : 2;
  let spill = headSize;
  for (const e of entries) {
    const n = valueBytes(e);
    const count = e.type === TYPE.RATIONAL ? e.values.length / 2 : e.values.length;
    buf.writeUInt16LE(e.tag, pos);
    buf.writeUInt16LE(e.type, pos + 2);
    if (bigTiff) buf.writeBigUInt64LE(BigInt(count), pos + 4);
    else buf.writeUInt32LE(count, pos + 4);
    const field = pos + (bigTiff ? 12 : 8);
    let target = field;
    if (n > inline) {
      if (bigTiff) buf.writeBigUInt64LE(BigInt(at + spill), field);
      else buf.writeUInt32LE(at + spill, field);
      target = spill;
      spill += n + (n % 2);
    }
    const step = e.type === TYPE.RATIONAL ? 4 : TYPE_SIZE[e.type]!;
    e.values.forEach((v, i) => writeValue(buf, target + i * step, e.type, v));
    pos += entrySize;
  }
  if (bigTiff) buf.writeBigUInt64LE(BigInt(next), pos);
  else buf.writeUInt32LE(next, pos);
  return buf;
}

export class TiledTiffWriter {
  private readonly offsets: number[][];
  private readonly counts: number[][];
  private end: number;

  private constructor(
    private readonly file: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    private readonly images: TiffImageSpec[],
    private readonly bigTiff: boolean,
  ) {
    this.offsets = images.map((s) => new Array<number>(tilesAcross(s).cols * tilesAcross(s).rows).fill(-1));
    this.counts = images.map((s) => new Array<number>(tilesAcross(s).cols * tilesAcross(s).rows).fill(0));
    this.end = 0;
  }

  /** Opens a temporary file next to `finalPath` and writes the header; `images[0]` is the first IFD. */
  static async create(
    finalPath: string,
    images: TiffImageSpec[],
    bigTiff: boolean,
  ): Promise<TiledTiffWriter> {
    const tmpPath = tempPathFor(finalPath);
    const file = await open(tmpPath, 'wx');
    const writer = new TiledTiffWriter(file, tmpPath, finalPath, images, bigTiff);
    const header = Buffer.alloc(bigTiff ? 16 : 8);
    header.write('II', 0, 'latin1');
    if (bigTiff) {
      header.writeUInt16LE(43, 2);
      header.writeUInt16LE(8, 4);
    } else header.writeUInt16LE(42, 2);
    await writer.append(header);
    return writer;
  }

  private async append(bytes: Uint8Array): Promise<number> {
    const at = this.end;
    await this.file.write(bytes, 0, bytes.length, at);
    // Keep every object word-aligned, as TIFF asks.
    this.end += bytes.length + (bytes.length % 2);
    if (!this.bigTiff && this.end > CLASSIC_TIFF_LIMIT)
      throw new RangeError(`${this.finalPath}: larger than a classic TIFF allows; BigTIFF is needed`);
    return at;
  }

  /** Appends one encoded tile of image `image` at tile column `col`, row `row`. */
  async writeTile(image: number, col: number, row: number, bytes: Uint8Array): Promise<void> {
    const spec = this.images[image];
    if (!spec) throw new RangeError(`no image ${image}`);
    const { cols, rows } = tilesAcross(spec);
    if (col < 0 || col >= cols || row < 0 || row >= rows)
      throw new RangeError(`tile ${col},${row} outside image ${image}`);
    const i = row * cols + col;
    (this.offsets[image] as number[])[i] = await this.append(bytes);
    (this.counts[image] as number[])[i] = bytes.length;
  }

  /** Writes the IFDs, patches the header, flushes to disk and renames the file into place. */
  async close(): Promise<void> {
    this.offsets.forEach((offs, image) => {
      if (offs.includes(-1)) throw new RangeError(`${this.finalPath}: image ${image} is missing tiles`);
    });
    const entries = this.images.map((spec, i) =>
      entriesFor(spec, this.offsets[i] as number[], this.counts[i] as number[], this.bigTiff),
    );
    // Lay the IFDs out back to back: each one's size is known before its bytes are encoded.
    const positions: number[] = [];
    let at = this.end;
    for (const e of entries) {
      positions.push(at);
      const size = encodeIfd(e, 0, 0, this.bigTiff).length;
      at += size + (size % 2);
    }
    for (let i = 0; i < entries.length; i++)
      await this.append(
        encodeIfd(entries[i] as Entry[], positions[i] as number, positions[i + 1] ?? 0, this.bigTiff),
      );
    const first = Buffer.alloc(8);
    first.writeBigUInt64LE(BigInt(positions[0] ?? 0));
    if (this.bigTiff) await this.file.write(first, 0, 8, 8);
    else await this.file.write(first, 0, 4, 4);
    await this.file.sync();
    await this.file.close();
    await commitTemp(this.tmpPath, this.finalPath);
  }

  /** Drops the temporary file after a failure. */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await unlink(this.tmpPath).catch(() => undefined);
  }
}
