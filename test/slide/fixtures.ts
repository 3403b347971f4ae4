/** Test-time slide fixtures: synthetic images, sharp-written TIFFs, hand-built TIFFs and OpenSlide as a reference. */
import { execFile } from 'node:child_process';
import { writeFile, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { RgbImage } from '../../core/io/slide/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const run = promisify(execFile);

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await makeTempDir('patchgd-slide-');
  return { dir, cleanup: () => removeDir(dir) };
}

/**
 * A deterministic tissue-like image: white background, a pink-purple ellipse with smooth texture and a few
 * sharp edges, so both JPEG and lossless paths have structure to get wrong.
 */
export function syntheticImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const dx = (x - width * 0.45) / (width * 0.35);
      const dy = (y - height * 0.5) / (height * 0.35);
      const inside = dx * dx + dy * dy < 1;
      const wave = Math.sin(x / 7) * Math.cos(y / 11);
      if (inside) {
        data[i] = 200 + Math.round(30 * wave);
        data[i + 1] = 90 + Math.round(40 * Math.sin((x + y) / 13));
        data[i + 2] = 170 + ((x >> 4) & 1 ? 30 : -30);
      } else {
        data[i] = 250;
        data[i + 1] = 248 + (((x ^ y) >> 3) & 3);
        data[i + 2] = 252;
      }
    }
  }
  return { width, height, data };
}

export type TiffCompression = 'jpeg' | 'lzw' | 'deflate' | 'none';

/** Writes a tiled pyramidal TIFF with sharp (libvips); `xres` is pixels per mm as sharp takes it. */
export async function writePyramid(
  path: string,
  image: RgbImage,
  options: {
    compression: TiffCompression;
    tile: number;
    bigtiff?: boolean;
    pyramid?: boolean;
    xres?: number;
    quality?: number;
  },
): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .tiff({
      tile: true,
      pyramid: options.pyramid ?? true,
      compression: options.compression,
      tileWidth: options.tile,
      tileHeight: options.tile,
      xres: options.xres ?? 2000,
      yres: options.xres ?? 2000,
      resolutionUnit: 'cm',
      bigtiff: options.bigtiff ?? false,
      quality: options.quality ?? 90,
    })
    .toFile(path);
}

/** A stripped (untiled) TIFF, as small scanners and image tools write them. */
export async function writeStripped(
  path: string,
  image: RgbImage,
  compression: TiffCompression,
): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .tiff({ compression, tile: false })
    .toFile(path);
}

/** Mean absolute difference per channel value between two same-sized RGB images. */
export function meanAbsDiff(a: RgbImage, b: { width: number; height: number; data: Uint8Array }): number {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`size ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/** The part of `image` at (x, y) of the given size, white outside. */
export function cropRef(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const sx = x + i;
      const sy = y + j;
      if (sx < 0 || sy < 0 || sx >= image.width || sy >= image.height) continue;
      data.set(
        image.data.subarray((sy * image.width + sx) * 3, (sy * image.width + sx) * 3 + 3),
        (j * width + i) * 3,
      );
    }
  }
  return { width, height, data };
}

export interface OpenSlideReport {
  dimensions: [number, number];
  level_dimensions: [number, number][];
  level_downsamples: number[];
  mpp_x: string | null;
  /** OpenSlide 3.4 reports no MPP for generic TIFFs, but passes the resolution tags through. */
  x_resolution: string | null;
  resolution_unit: string | null;
}

const OPENSLIDE_SCRIPT = `
import json, sys, openslide
s = openslide.OpenSlide(sys.argv[1])
out = {"dimensions": s.dimensions, "level_dimensions": s.level_dimensions,
       "level_downsamples": s.level_downsamples, "mpp_x": s.properties.get("openslide.mpp-x"),
       "x_resolution": s.properties.get("tiff.XResolution"),
       "resolution_unit": s.properties.get("tiff.ResolutionUnit")}
if len(sys.argv) > 2:
    level, x, y, w, h = map(int, sys.argv[3:8])
    region = s.read_region((x, y), level, (w, h))
    # Composite transparent areas onto white, as our reader fills them.
    from PIL import Image
    bg = Image.new("RGBA", region.size, (255, 255, 255, 255))
    open(sys.argv[2], "wb").write(Image.alpha_composite(bg, region).convert("RGB").tobytes())
print(json.dumps(out))
`;

/** Python OpenSlide's view of a slide, and optionally one region (RGB composited on white). */
export async function openSlideReference(
  path: string,
  region?: { level: number; x: number; y: number; width: number; height: number; out: string },
): Promise<{ report: OpenSlideReport; region: RgbImage | null }> {
  const args = ['-c', OPENSLIDE_SCRIPT, path];
  if (region)
    args.push(region.out, ...[region.level, region.x, region.y, region.width, region.height].map(String));
  const { stdout } = await run('/usr/bin/python3', args);
  const report = JSON.parse(stdout) as OpenSlideReport;
  if (!region) return { report, region: null };
  const data = new Uint8Array(await readFile(region.out));
  return { report, region: { width: region.width, height: region.height, data } };
}

/** One IFD of a hand-built little-endian classic TIFF with tiles (or null for a missing tile). */
export interface RawIfd {
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  compression: number;
  photometric: number;
  samplesPerPixel?: number;
  tiles: (Uint8Array | null)[];
  jpegTables?: Uint8Array;
  description?: string;
  /** Written as XResolution/YResolution in pixels per centimetre (ResolutionUnit 3), as PANDA slides have. */
  pixelsPerCm?: number;
  /** NewSubfileType; 1 marks a reduced-resolution level (OpenSlide 3.4 requires it beyond the first IFD). */
  subfileType?: number;
}

/** Field types: 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL (values are numerator, denominator pairs), 7 UNDEFINED. */
type Field = { tag: number; type: 2 | 3 | 4 | 5 | 7; values: number[] | Uint8Array };

/** Builds a TIFF from raw tile data: header, tile data, then each IFD with its out-of-line values. */
export function buildTiff(ifds: RawIfd[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 8;
  const append = (bytes: Uint8Array): number => {
    const at = size;
    chunks.push(bytes);
    size += bytes.length;
    if (size % 2) {
      chunks.push(new Uint8Array(1));
      size += 1;
    }
    return at;
  };
  const placed = ifds.map((ifd) =>
    ifd.tiles.map((t) => (t ? { offset: append(t), count: t.length } : { offset: 0, count: 0 })),
  );
  const ifdOffsets: number[] = [];
  ifds.forEach((ifd, n) => {
    const spp = ifd.samplesPerPixel ?? 3;
    const fields: Field[] = [
      { tag: 256, type: 4, values: [ifd.width] },
      { tag: 257, type: 4, values: [ifd.height] },
      { tag: 258, type: 3, values: new Array<number>(spp).fill(8) },
      { tag: 259, type: 3, values: [ifd.compression] },
      { tag: 262, type: 3, values: [ifd.photometric] },
      { tag: 277, type: 3, values: [spp] },
      { tag: 284, type: 3, values: [1] },
      { tag: 322, type: 4, values: [ifd.tileWidth] },
      { tag: 323, type: 4, values: [ifd.tileHeight] },
      { tag: 324, type: 4, values: placed[n]!.map((p) => p.offset) },
      { tag: 325, type: 4, values: placed[n]!.map((p) => p.count) },
    ];
    if (ifd.subfileType !== undefined) fields.push({ tag: 254, type: 4, values: [ifd.subfileType] });
    if (ifd.description)
      fields.push({ tag: 270, type: 2, values: new TextEncoder().encode(ifd.description + '\0') });
    if (ifd.jpegTables) fields.push({ tag: 347, type: 7, values: ifd.jpegTables });
    if (ifd.pixelsPerCm) {
      const rational = [Math.round(ifd.pixelsPerCm * 1000), 1000];
      fields.push(
        { tag: 282, type: 5, values: rational },
        { tag: 283, type: 5, values: rational },
        { tag: 296, type: 3, values: [3] },
      );
    }
    fields.sort((a, b) => a.tag - b.tag);
    const out = fields.map((f) => {
      const bytes = fieldBytes(f);
      return { f, bytes, offset: bytes.length > 4 ? append(bytes) : 0 };
    });
    const table = new Uint8Array(2 + 12 * fields.length + 4);
    const view = new DataView(table.buffer);
    view.setUint16(0, fields.length, true);
    out.forEach(({ f, bytes, offset }, i) => {
      const at = 2 + 12 * i;
      view.setUint16(at, f.tag, true);
      view.setUint16(at + 2, f.type, true);
      view.setUint32(at + 4, f.type === 5 ? f.values.length / 2 : f.values.length, true);
      if (bytes.length > 4) view.setUint32(at + 8, offset, true);
      else table.set(bytes, at + 8);
    });
    const at = append(table);
    ifdOffsets.push(at);
  });
  const file = new Uint8Array(size);
  const view = new DataView(file.buffer);
  file.set([0x49, 0x49, 42, 0], 0);
  view.setUint32(4, ifdOffsets[0]!, true);
  let at = 8;
  for (const c of chunks) {
    file.set(c, at);
    at += c.length;
  }
  // Link each IFD to the next through its trailing next-IFD offset.
  ifdOffsets.forEach((offset, n) => {
    const count = view.getUint16(offset, true);
    view.setUint32(offset + 2 + 12 * count, ifdOffsets[n + 1] ?? 0, true);
  });
  return file;
}

function fieldBytes(f: Field): Uint8Array {
  if (f.type === 2 || f.type === 7) return Uint8Array.from(f.values);
  const size = f.type === 3 ? 2 : 4; // a RATIONAL is two LONGs
  const bytes = new Uint8Array(size * f.values.length);
  const view = new DataView(bytes.buffer);
  Array.from(f.values).forEach((v, i) =>
    size === 2 ? view.setUint16(i * size, v, true) : view.setUint32(i * size, v, true),
  );
  return bytes;
}

/** Offsets of the main IFD chain of a classic little-endian TIFF. */
export function ifdOffsetsOf(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const offsets: number[] = [];
  for (let at = view.getUint32(4, true); at !== 0 && offsets.length < 64;) {
    offsets.push(at);
    at = view.getUint32(at + 2 + 12 * view.getUint16(at, true), true);
  }
  return offsets;
}

export async function writeBytes(path: string, bytes: Uint8Array): Promise<string> {
  await writeFile(path, bytes);
  return path;
}
