/**
 * Byte-level JPEG stream surgery for tile passthrough: TIFF tiles may be "abbreviated" JPEG streams whose
 * quantisation/Huffman tables live in the TIFF's JPEGTables tag, and RGB-photometric tiles need an Adobe marker
 * so decoders do not apply a YCbCr→RGB conversion. Pure functions; no decoding.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP14 = 0xee;

/** Marker codes of the segments before the first SOS (after SOI), each with its byte range. */
export function headerMarkers(jpeg: Uint8Array): { marker: number; start: number; end: number }[] {
  const out: { marker: number; start: number; end: number }[] = [];
  if (jpeg[0] !== 0xff || jpeg[1] !== SOI) return out;
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) {
      out.push({ marker, start: at, end: at + 2 });
      break;
    }
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    out.push({ marker, start: at, end: at + 2 + length });
    at += 2 + length;
  }
  return out;
}

/** The table segments of a JPEGTables value: the stream without its own SOI and trailing EOI. */
function tableSegments(tables: Uint8Array): Uint8Array {
  let end = tables.length;
  if (end >= 2 && tables[end - 2] === 0xff && tables[end - 1] === EOI) end -= 2;
  const start = tables[0] === 0xff && tables[1] === SOI ? 2 : 0;
  return tables.subarray(start, end);
}

/** Adobe APP14 segment with transform 0: the components are stored as-is (RGB), not YCbCr. */
const ADOBE_RGB = Uint8Array.of(
  0xff,
  APP14,
  0x00,
  0x0e,
  0x41,
  0x64,
  0x6f,
  0x62,
  0x65,
  0x00,
  0x64,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
);

function hasAdobeMarker(jpeg: Uint8Array): boolean {
  return headerMarkers(jpeg).some(
    (m) =>
      m.marker === APP14 &&
      m.end - m.start >= 9 &&
      String.fromCharCode(...jpeg.subarray(m.start + 4, m.start + 9)) === 'Adobe',
  );
}

/**
 * A complete, standalone JPEG from a TIFF tile: JPEGTables (if any) spliced in after the tile's SOI, and for
 * RGB-photometric tiles an Adobe transform-0 marker when the stream has none (JFIF APP0, which implies YCbCr,
 * is dropped in that case). Returns the tile itself when nothing needs changing.
 */
export function completeTileJpeg(
  tile: Uint8Array,
  tables: Uint8Array | null,
  rgbPhotometric: boolean,
): Uint8Array {
  const tablePart = tables && tables.length > 4 ? tableSegments(tables) : new Uint8Array(0);
  const needsAdobe = rgbPhotometric && !hasAdobeMarker(tile) && !(tables && hasAdobeMarker(tables));
  if (tablePart.length === 0 && !needsAdobe) return tile;
  let body = tile.subarray(2);
  if (needsAdobe) {
    const first = headerMarkers(tile)[0];
    if (first && first.marker === APP0) body = tile.subarray(first.end);
  }
  const adobe = needsAdobe ? ADOBE_RGB : new Uint8Array(0);
  const out = new Uint8Array(2 + adobe.length + tablePart.length + body.length);
  out[0] = 0xff;
  out[1] = SOI;
  out.set(adobe, 2);
  out.set(tablePart, 2 + adobe.length);
  out.set(body, 2 + adobe.length + tablePart.length);
  return out;
}
