/**
 * Bounded decoders for TIFF LZW and PackBits. geotiff's versions grow a JS array without limit, and a hostile
 * tile made V8 abort the process in the fuzz test; these write into a buffer of the expected size and stop there.
 */

const CLEAR = 256;
const END = 257;

/** TIFF-flavoured LZW (MSB-first codes of 9–12 bits, "early change"), decoding at most `maxOutput` bytes. */
export function decodeLzw(input: Uint8Array, maxOutput: number): Uint8Array {
  const out = new Uint8Array(maxOutput);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let next = 258;
  let width = 9;
  let old = -1;
  let bit = 0;
  let o = 0;
  const totalBits = input.length * 8;

  /** Writes the string of `code` at `o`, clipped to the buffer; returns its length. */
  const emit = (code: number): number => {
    const n = length[code]!;
    for (let c = code, at = o + n - 1; at >= o; at--, c = prefix[c]!)
      if (at < maxOutput) out[at] = suffix[c]!;
    return n;
  };

  while (o < maxOutput && bit + width <= totalBits) {
    const byte = bit >> 3;
    const word = ((input[byte] ?? 0) << 16) | ((input[byte + 1] ?? 0) << 8) | (input[byte + 2] ?? 0);
    const code = (word >> (24 - (bit & 7) - width)) & ((1 << width) - 1);
    bit += width;
    if (code === END) break;
    if (code === CLEAR) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new Error(`LZW code ${code} follows a clear code`);
      out[o++] = code;
      old = code;
      continue;
    }
    let head: number;
    if (code < next) {
      o += emit(code);
      head = first[code]!;
    } else if (code === next) {
      // The KwKwK case: the new string is old's string plus its own first byte.
      head = first[old]!;
      o += emit(old);
      if (o < maxOutput) out[o] = head;
      o += 1;
    } else {
      throw new Error(`LZW code ${code} is not yet defined`);
    }
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = head;
      first[next] = first[old]!;
      length[next] = length[old]! + 1;
      next++;
      if (next >= (1 << width) - 1 && width < 12) width++;
    }
    old = code;
  }
  return out.subarray(0, Math.min(o, maxOutput));
}

/** PackBits run-length decoding of at most `maxOutput` bytes. */
export function decodePackBits(input: Uint8Array, maxOutput: number): Uint8Array {
  const out = new Uint8Array(maxOutput);
  let o = 0;
  for (let i = 0; i < input.length && o < maxOutput;) {
    const header = (input[i++]! << 24) >> 24;
    if (header >= 0) {
      const n = Math.min(header + 1, maxOutput - o, input.length - i);
      out.set(input.subarray(i, i + n), o);
      o += n;
      i += header + 1;
    } else if (header !== -128) {
      const n = Math.min(1 - header, maxOutput - o);
      out.fill(input[i++] ?? 0, o, o + n);
      o += n;
    }
  }
  return out.subarray(0, o);
}
