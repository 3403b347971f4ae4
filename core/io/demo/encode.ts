/** Tile encoders: JPEG (through sharp/libvips) for slides, zlib Deflate for masks. */
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import sharp from 'sharp';

const deflateAsync = promisify(deflate);

/** JPEG quality of slide tiles: PANDA-like file sizes while nuclei stay crisp. */
export const JPEG_QUALITY = 90;

/**
 * Encodes an RGB tile as a self-contained baseline JPEG: JFIF YCbCr with 2×2 chroma subsampling, which the
 * TIFF declares with Photometric = YCbCr and YCbCrSubSampling = 2,2.
 */
export async function encodeJpegTile(rgb: Uint8Array, size: number): Promise<Uint8Array> {
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

/** Encodes a label tile as a Deflate-compressed RGB tile with the label in R and G = B = 0, as PANDA masks are. */
export async function encodeMaskTile(labels: Uint8Array): Promise<Uint8Array> {
  const rgb = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) rgb[i * 3] = labels[i] as number;
  return deflateAsync(rgb, { level: 6 });
}
