import { inflateRawSync } from 'node:zlib';
import { UsageError } from '../../base/errors.ts';

/**
 * The entries of a zip archive (PKWARE APPNOTE 6.3: end of central directory, central directory, local headers),
 * stored or deflated, with the zip64 extensions PyTorch's writer uses past 4 GiB. Enough for `torch.save` files;
 * encryption, multi-disk archives and other compression methods are refused.
 */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string): never => {
    throw new UsageError(file, `not a readable zip archive: ${problem}`);
  };
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const inside = (at: number, length: number) => {
    if (at < 0 || at + length > bytes.length) fail(`a record at byte ${at} runs past the end`);
  };

  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== 0x07064b50) fail('zip64 sizes without a zip64 locator');
    const record = u64(locator + 8);
    inside(record, 56);
    if (u32(record) !== 0x06064b50) fail('the zip64 locator points at no zip64 record');
    count = u64(record + 32);
    cdSize = u64(record + 40);
    cdOffset = u64(record + 48);
  }
  inside(cdOffset, cdSize);

  const entries = new Map<string, Uint8Array>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    inside(at, 46);
    if (u32(at) !== 0x02014b50) fail(`central directory entry ${i} has a bad signature`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    inside(at + 46, nameLength + extraLength);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Zip64 extra field (id 1): the 64-bit values of those fields that hold 0xFFFFFFFF, in this order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 1) {
        let field = e + 4;
        const next = () => {
          const value = u64(field);
          field += 8;
          return value;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + length;
    }
    if (flags & 1) fail(`${name} is encrypted`);
    inside(local, 30);
    if (u32(local) !== 0x04034b50) fail(`${name}: bad local header signature`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    inside(start, compressed);
    const raw = bytes.subarray(start, start + compressed);
    if (method === 0) entries.set(name, raw);
    else if (method === 8) entries.set(name, new Uint8Array(inflateRawSync(raw)));
    else fail(`${name} uses compression method ${method} (only stored and deflate are supported)`);
    if (entries.get(name)!.length !== size)
      fail(`${name} holds ${entries.get(name)!.length} bytes, not ${size}`);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
