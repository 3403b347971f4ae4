import { fromFile, type GeoTIFF } from 'geotiff';

/** What the reader needs from one IFD, with every array already loaded (bounded by the file size). */
export interface Ifd {
  index: number;
  width: number;
  height: number;
  tiled: boolean;
  /** Tile size, or image width × rows per strip for stripped images. */
  tileWidth: number;
  tileHeight: number;
  compression: number;
  photometric: number;
  samplesPerPixel: number;
  bitsPerSample: number[];
  planar: number;
  predictor: number;
  offsets: number[];
  byteCounts: number[];
  jpegTables: Uint8Array | null;
  description: string;
  /** Pixels per ResolutionUnit (the stored rational's value), or null when absent. */
  xResolution: number | null;
  yResolution: number | null;
  resolutionUnit: number;
  subfileType: number;
}

type Directory = Awaited<ReturnType<GeoTIFF['getImage']>>['fileDirectory'];
type Tag = Parameters<Directory['loadValue']>[0];

async function num(dir: Directory, tag: Tag, fallback: number): Promise<number> {
  const v: unknown = await dir.loadValue(tag);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'length' in v && (v as ArrayLike<number>).length > 0)
    return Number((v as ArrayLike<number>)[0]);
  return fallback;
}

async function numbers(dir: Directory, tag: Tag): Promise<number[]> {
  const v: unknown = await dir.loadValue(tag);
  if (v === undefined || v === null) return [];
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  return Array.from(v as ArrayLike<number | bigint>, Number);
}

async function rational(dir: Directory, tag: Tag): Promise<number | null> {
  const v = await numbers(dir, tag);
  if (v.length === 1) return v[0]!;
  if (v.length < 2 || v[1] === 0) return null;
  return v[0]! / v[1]!;
}

async function describe(dir: Directory, index: number): Promise<Ifd> {
  const width = await num(dir, 'ImageWidth', 0);
  const height = await num(dir, 'ImageLength', 0);
  const tiled = dir.hasTag('TileWidth') || dir.hasTag('TileOffsets');
  const rowsPerStrip = Math.min(await num(dir, 'RowsPerStrip', height), height);
  const tables: unknown = await dir.loadValue('JPEGTables');
  const description: unknown = await dir.loadValue('ImageDescription');
  return {
    index,
    width,
    height,
    tiled,
    tileWidth: tiled ? await num(dir, 'TileWidth', 0) : width,
    tileHeight: tiled ? await num(dir, 'TileLength', 0) : rowsPerStrip,
    compression: await num(dir, 'Compression', 1),
    photometric: await num(dir, 'PhotometricInterpretation', -1),
    samplesPerPixel: await num(dir, 'SamplesPerPixel', 1),
    bitsPerSample: await numbers(dir, 'BitsPerSample'),
    planar: await num(dir, 'PlanarConfiguration', 1),
    predictor: await num(dir, 'Predictor', 1),
    offsets: await numbers(dir, tiled ? 'TileOffsets' : 'StripOffsets'),
    byteCounts: await numbers(dir, tiled ? 'TileByteCounts' : 'StripByteCounts'),
    jpegTables: tables && typeof tables === 'object' ? Uint8Array.from(tables as ArrayLike<number>) : null,
    description: typeof description === 'string' ? description : '',
    xResolution: await rational(dir, 'XResolution'),
    yResolution: await rational(dir, 'YResolution'),
    resolutionUnit: await num(dir, 'ResolutionUnit', 2),
    subfileType: await num(dir, 'NewSubfileType', 0),
  };
}

/**
 * Loads the first `count` IFDs with geotiff. The caller has already checked the chain (no loops, everything
 * inside the file), so geotiff's own chain walk terminates. The geotiff file handle is closed before returning.
 */
export async function loadIfds(path: string, count: number): Promise<Ifd[]> {
  const tiff = await fromFile(path);
  try {
    const ifds: Ifd[] = [];
    for (let i = 0; i < count; i++) ifds.push(await describe((await tiff.getImage(i)).fileDirectory, i));
    return ifds;
  } finally {
    await tiff.close();
  }
}
