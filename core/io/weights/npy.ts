import { UsageError } from '../../base/errors.ts';
import { decodeElements, elementCount, type WeightDtype } from './tensor.ts';

export interface NpyArray {
  shape: number[];
  values: Float32Array;
}

const DESCRS: Record<string, WeightDtype> = { f4: 'F32', f8: 'F64', f2: 'F16' };

/**
 * Reads a NumPy `.npy` array (format versions 1–3: magic, header length, a Python dict literal with descr,
 * fortran_order and shape, then the data) of float32, float64 or float16 in C order, into float32.
 */
export function readNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (problem: string): never => {
    throw new UsageError(file, `not a usable .npy array: ${problem}`);
  };
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) fail('no \\x93NUMPY magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const [headerLength, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (start + headerLength > bytes.length) fail('its header runs past the end');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeText) fail(`cannot parse its header ${header.trim()}`);
  if (/'fortran_order':\s*True/.test(header)) fail('it is in Fortran order; save it C-contiguous');
  const dtype = DESCRS[descr![2]!];
  if (!dtype) fail(`dtype ${descr![2]} (float32, float64 or float16 expected)`);
  const shape = shapeText![1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) fail(`malformed shape (${shapeText![1]})`);
  const count = elementCount(shape);
  const values = decodeElements(
    bytes.subarray(start + headerLength),
    dtype!,
    count,
    file,
    'the array',
    descr![1] !== '>',
  );
  return { shape, values };
}
