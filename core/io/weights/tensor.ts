import { UsageError } from '../../base/errors.ts';

/** Element types a weights file may hold (safetensors' names); all are read into float32. */
export const WEIGHT_DTYPES = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

export const DTYPE_BYTES: Record<WeightDtype, number> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** One named array of a state_dict, row-major (contiguous), its values widened or narrowed to float32. */
export interface WeightTensor {
  /** The type the file stored it in (written back as F32, or I64 for integer counters). */
  dtype: WeightDtype;
  shape: number[];
  values: Float32Array;
}

/** Parameter name → tensor, in the file's order. */
export type StateDict = Map<string, WeightTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, s) => n * s, 1);
}

const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE 754 half precision → number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (little-endian unless told otherwise) into float32; `what`
 * names the tensor in the error when the bytes are short.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: WeightDtype,
  count: number,
  file: string,
  what: string,
  littleEndian = true,
): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.length < count * size)
    throw new UsageError(
      file,
      `${what}: holds ${bytes.length} bytes, ${count} ${dtype} values need ${count * size}`,
    );
  // The common case, float32 in the platform's (little-endian) order: one copy.
  if (dtype === 'F32' && littleEndian && LITTLE_ENDIAN_PLATFORM) {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const read: (at: number) => number = {
    F32: (at: number) => view.getFloat32(at, littleEndian),
    F64: (at: number) => view.getFloat64(at, littleEndian),
    F16: (at: number) => halfToNumber(view.getUint16(at, littleEndian)),
    // bfloat16 is the upper half of a float32.
    BF16: (at: number) => {
      const scratch = new DataView(new ArrayBuffer(4));
      scratch.setUint32(0, view.getUint16(at, littleEndian) << 16);
      return scratch.getFloat32(0);
    },
    I64: (at: number) => Number(view.getBigInt64(at, littleEndian)),
    I32: (at: number) => view.getInt32(at, littleEndian),
    I16: (at: number) => view.getInt16(at, littleEndian),
    I8: (at: number) => view.getInt8(at),
    U8: (at: number) => view.getUint8(at),
    BOOL: (at: number) => view.getUint8(at),
  }[dtype];
  for (let i = 0; i < count; i++) out[i] = read(i * size);
  return out;
}
