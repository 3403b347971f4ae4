import { UsageError } from '../../base/errors.ts';
import { unpickle, type PickleCallable, type PickleEnvironment } from './pickle.ts';
import {
  DTYPE_BYTES,
  decodeElements,
  elementCount,
  type StateDict,
  type WeightDtype,
  type WeightTensor,
} from './tensor.ts';
import { readZip } from './zip.ts';

/** torch's storage classes (torch/storage.py) and the element type each holds. */
const STORAGES: Record<string, WeightDtype> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

interface StorageType {
  storageDtype: WeightDtype;
}

interface Storage {
  dtype: WeightDtype;
  values: Float32Array;
}

function callable(qualifiedName: string, call: (args: unknown[]) => unknown): PickleCallable {
  return { qualifiedName, call };
}

function isTensor(value: unknown): value is WeightTensor {
  return typeof value === 'object' && value !== null && 'values' in value && 'shape' in value;
}

function intList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v) && v >= 0);
}

/** A tensor's elements in row-major order from its storage, offset and strides (views need not be contiguous). */
function gather(
  storage: Storage,
  offset: number,
  shape: number[],
  strides: number[],
  file: string,
): Float32Array {
  const count = elementCount(shape);
  const out = new Float32Array(count);
  if (count === 0) return out;
  const last = offset + shape.reduce((sum, s, d) => sum + (s - 1) * strides[d]!, 0);
  if (last >= storage.values.length)
    throw new UsageError(file, `a tensor reaches element ${last} of a storage of ${storage.values.length}`);
  // Row-major strides: one copy of the span.
  let step = 1;
  const contiguous = shape.every((_, d) => {
    const i = shape.length - 1 - d;
    const ok = shape[i] === 1 || strides[i] === step;
    step *= shape[i]!;
    return ok;
  });
  if (contiguous) return storage.values.slice(offset, offset + count);
  const index = new Array<number>(shape.length).fill(0);
  let position = offset;
  for (let i = 0; i < count; i++) {
    out[i] = storage.values[position]!;
    // Odometer over the dimensions, last fastest.
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      position += strides[d]!;
      if (index[d]! < shape[d]!) break;
      position -= shape[d]! * strides[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Reads a state_dict written by `torch.save` (the zip format of torch ≥ 1.6: `<archive>/data.pkl`, the pickled
 * dict, whose tensors name their storages `<archive>/data/<key>` through persistent ids). Only the globals a
 * state_dict needs are allowed. A checkpoint dict holding the state_dict under `state_dict` or `model` is unwrapped.
 */
export function readTorchZip(bytes: Uint8Array, file: string): StateDict {
  const entries = readZip(bytes, file);
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1)
    throw new UsageError(file, `expected one <archive>/data.pkl in the zip, found ${pickles.length}`);
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  const littleEndian = !order || new TextDecoder().decode(order).trim() !== 'big';
  const storages = new Map<string, Storage>();

  const globals = new Map<string, PickleCallable>([
    ['collections.OrderedDict', callable('collections.OrderedDict', () => new Map())],
    [
      'torch._utils._rebuild_tensor_v2',
      callable('torch._utils._rebuild_tensor_v2', (args) => {
        const [storage, offset, shape, strides] = args as [Storage, number, unknown, unknown];
        if (!storage?.values || !Number.isInteger(offset) || !intList(shape) || !intList(strides))
          throw new UsageError(
            file,
            'a tensor in the pickle has a malformed storage, offset, size or stride',
          );
        if (shape.length !== strides.length)
          throw new UsageError(file, `a tensor has ${shape.length} sizes but ${strides.length} strides`);
        return {
          dtype: storage.dtype,
          shape,
          values: gather(storage, offset, shape, strides, file),
        } satisfies WeightTensor;
      }),
    ],
    [
      'torch._utils._rebuild_parameter',
      callable('torch._utils._rebuild_parameter', (args) => {
        if (!isTensor(args[0])) throw new UsageError(file, 'a parameter in the pickle wraps no tensor');
        return args[0];
      }),
    ],
    ...Object.entries(STORAGES).map(
      ([name, dtype]) =>
        [
          `torch.${name}`,
          { qualifiedName: `torch.${name}`, storageDtype: dtype, call: () => null } as PickleCallable &
            StorageType,
        ] as const,
    ),
  ]);

  const env: PickleEnvironment = {
    global: (module, name) => globals.get(`${module}.${name}`),
    allowed: [...globals.keys()],
    persistentLoad: (pid) => {
      // ('storage', storage type, key, location, element count)
      const [kind, type, key, , numel] = Array.isArray(pid) ? pid : [];
      const dtype = (type as StorageType | undefined)?.storageDtype;
      if (kind !== 'storage' || !dtype || typeof key !== 'string' || !Number.isInteger(numel))
        throw new UsageError(file, `unexpected persistent id in the pickle: ${JSON.stringify(pid)}`);
      const cached = storages.get(key);
      if (cached) return cached;
      const raw = entries.get(`${prefix}data/${key}`);
      if (!raw) throw new UsageError(file, `the pickle names storage ${key}, which the zip does not hold`);
      if (raw.length !== (numel as number) * DTYPE_BYTES[dtype])
        throw new UsageError(
          file,
          `storage ${key} holds ${raw.length} bytes, ${numel} ${dtype} values need ${(numel as number) * DTYPE_BYTES[dtype]}`,
        );
      const storage = {
        dtype,
        values: decodeElements(raw, dtype, numel as number, file, `storage ${key}`, littleEndian),
      };
      storages.set(key, storage);
      return storage;
    },
    // A state_dict is an OrderedDict whose `_metadata` (module versions) comes as BUILD state; it is dropped.
    build: (target) => target instanceof Map,
  };

  let root = unpickle(entries.get(pickles[0]!)!, file, env);
  for (const key of ['state_dict', 'model'])
    if (root instanceof Map && root.get(key) instanceof Map) root = root.get(key);
  if (!(root instanceof Map)) throw new UsageError(file, 'the pickle holds no dict of tensors');
  const dict: StateDict = new Map();
  for (const [name, value] of root) {
    if (typeof name !== 'string' || !isTensor(value))
      throw new UsageError(file, `entry ${String(name)} of the state_dict is not a tensor`);
    dict.set(name, value);
  }
  return dict;
}
