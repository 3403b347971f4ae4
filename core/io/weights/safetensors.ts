import { UsageError } from '../../base/errors.ts';
import {
  DTYPE_BYTES,
  WEIGHT_DTYPES,
  decodeElements,
  elementCount,
  type StateDict,
  type WeightDtype,
} from './tensor.ts';

/** Header entries of a safetensors file (huggingface/safetensors' format: u64 LE header size, JSON, raw data). */
interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads a safetensors file: every tensor, little-endian, into float32. */
export function readSafetensors(bytes: Uint8Array, file: string): StateDict {
  const fail = (problem: string): never => {
    throw new UsageError(file, `not a readable safetensors file: ${problem}`);
  };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) fail(`its header of ${headerLength} bytes runs past the end`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (err) {
    return fail(`its header is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('its header is not an object');
  const data = bytes.subarray(8 + headerLength);
  const dict: StateDict = new Map();
  const spans: Array<[number, number]> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as HeaderEntry;
    const dtype = entry?.dtype as WeightDtype;
    if (!WEIGHT_DTYPES.includes(dtype)) fail(`${name} has dtype ${String(entry?.dtype)}`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0))
      fail(`${name} has a malformed shape`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    )
      fail(`${name} has malformed data_offsets`);
    const [begin, end] = offsets;
    const count = elementCount(shape);
    if (end - begin !== count * DTYPE_BYTES[dtype])
      fail(`${name} spans ${end - begin} bytes, ${count} ${dtype} values need ${count * DTYPE_BYTES[dtype]}`);
    if (end > data.length) fail(`${name} ends at byte ${end} of a ${data.length}-byte data section`);
    spans.push([begin, end]);
    dict.set(name, {
      dtype,
      shape: [...shape],
      values: decodeElements(data.subarray(begin, end), dtype, count, file, name),
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++)
    if (spans[i]![0] < spans[i - 1]![1]) fail('two tensors overlap in the data section');
  return dict;
}

/**
 * Writes tensors as safetensors: float32 values as F32, and I64 where the tensor came as an integer counter
 * (batch norm's num_batches_tracked), in the given order; the header is padded with spaces to 8 bytes as the
 * reference writer does, so the data section stays aligned.
 */
export function writeSafetensors(dict: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  const parts: Array<{ at: number; dtype: 'F32' | 'I64'; values: Float32Array }> = [];
  for (const [name, tensor] of dict) {
    const dtype = tensor.dtype === 'I64' ? 'I64' : 'F32';
    const length = tensor.values.length * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    parts.push({ at: offset, dtype, values: tensor.values });
    offset += length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const part of parts) {
    part.values.forEach((v, i) => {
      if (part.dtype === 'F32') view.setFloat32(base + part.at + 4 * i, v, true);
      else view.setBigInt64(base + part.at + 8 * i, BigInt(Math.round(v)), true);
    });
  }
  return out;
}
