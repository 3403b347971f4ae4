import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/base/errors.ts';
import { createBackbone } from '../../core/learn/models/registry.ts';
import { applyStateDict, exportStateDict } from '../../core/learn/models/pytorch-weights.ts';
import { correspondences } from '../../core/learn/models/torchvision-names.ts';
import { readNpy } from '../../core/io/weights/npy.ts';
import { readSafetensors, writeSafetensors } from '../../core/io/weights/safetensors.ts';
import { readStateDictFile } from '../../core/io/weights/state-dict.ts';
import type { StateDict } from '../../core/io/weights/tensor.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { reference, torchMissing } from './reference.ts';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTempDir('weights-formats-');
});
afterAll(async () => {
  await removeDir(dir);
});

describe.skipIf(torchMissing !== null)('torch.save files', () => {
  beforeAll(async () => {
    await reference('formats', dir);
  }, 60_000);

  it('reads views with offsets and strides, float64, float16 and int64 as PyTorch holds them', async () => {
    const dict = await readStateDictFile(path.join(dir, 'views.pt'));
    const expected = JSON.parse(await readFile(path.join(dir, 'views.json'), 'utf8')) as Record<
      string,
      { shape: number[]; values: number[] }
    >;
    expect([...dict.keys()]).toEqual(Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const got = dict.get(name)!;
      expect(got.shape, name).toEqual(want.shape);
      expect(Array.from(got.values), name).toEqual(want.values.map(Math.fround));
    }
    expect(dict.get('double')!.dtype).toBe('F64');
    expect(dict.get('half')!.dtype).toBe('F16');
    expect(dict.get('counter')!.dtype).toBe('I64');
  });

  it('refuses globals outside the allow-list, naming the file and the global, and runs nothing', async () => {
    const file = path.join(dir, 'evil.pt');
    await expect(readStateDictFile(file)).rejects.toThrow(UsageError);
    await expect(readStateDictFile(file)).rejects.toThrow(
      new RegExp(
        `^${file}: cannot read the pickle: it refers to posix\\.system, which a weights file may not`,
      ),
    );
  });

  it('refuses opcodes outside the state_dict subset, naming the opcode', async () => {
    await expect(readStateDictFile(path.join(dir, 'opcode.pt'))).rejects.toThrow(
      /opcode\.pt: cannot read the pickle: unsupported opcode 0x49 'I' at byte 2/,
    );
  });

  it("says how to convert torch's legacy format", async () => {
    await expect(readStateDictFile(path.join(dir, 'legacy.pt'))).rejects.toThrow(/legacy.*torch\.save/);
  });

  it('names the file of a truncated or foreign archive', async () => {
    const bytes = await readFile(path.join(dir, 'views.pt'));
    const cut = path.join(dir, 'cut.pt');
    await writeFile(cut, bytes.subarray(0, bytes.length - 40));
    await expect(readStateDictFile(cut)).rejects.toThrow(/cut\.pt: not a readable zip archive/);
    const other = path.join(dir, 'other.bin');
    await writeFile(other, 'hello, not weights');
    await expect(readStateDictFile(other)).rejects.toThrow(
      /other\.bin: neither a torch\.save zip nor a safetensors/,
    );
  });
});

describe('safetensors', () => {
  const dict: StateDict = new Map([
    ['a.weight', { dtype: 'F32', shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 4, 5, 6]) }],
    ['a.num_batches_tracked', { dtype: 'I64', shape: [], values: Float32Array.from([17]) }],
  ]);

  it('round-trips tensors with an 8-byte aligned header', () => {
    const bytes = writeSafetensors(dict, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = readSafetensors(bytes, 'x.safetensors');
    expect([...back]).toEqual([...dict]);
  });

  it('names the file and the tensor of a malformed header', () => {
    const bytes = writeSafetensors(dict);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 4), 'short.safetensors')).toThrow(
      /short\.safetensors: .*a\.num_batches_tracked ends at byte 32 of a 28-byte data section/,
    );
    const header = JSON.stringify({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } });
    const odd = new Uint8Array(8 + header.length + 8);
    new DataView(odd.buffer).setBigUint64(0, BigInt(header.length), true);
    odd.set(new TextEncoder().encode(header), 8);
    expect(() => readSafetensors(odd, 'odd.safetensors')).toThrow(/odd\.safetensors: .*w has dtype C64/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => readSafetensors(huge, 'huge.safetensors')).toThrow(/header of 1000 bytes runs past the end/);
  });
});

describe('.npy batches', () => {
  function npy(header: string, data: Uint8Array): Uint8Array {
    const text = header.padEnd(118) + '\n';
    const out = new Uint8Array(10 + text.length + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(out.buffer).setUint16(8, text.length, true);
    out.set(new TextEncoder().encode(text), 10);
    out.set(data, 10 + text.length);
    return out;
  }

  it('reads float32 and big-endian float64 in C order, and refuses Fortran order', () => {
    const f32 = new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
    expect(readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f32), 'a.npy')).toEqual(
      {
        shape: [2, 2],
        values: Float32Array.from([1, 2, 3, 4]),
      },
    );
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, 0.25, false);
    new DataView(f64.buffer).setFloat64(8, -8, false);
    expect(
      readNpy(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", f64), 'b.npy').values,
    ).toEqual(Float32Array.from([0.25, -8]));
    expect(() =>
      readNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f32), 'c.npy'),
    ).toThrow(/c\.npy: .*Fortran order/);
    expect(() =>
      readNpy(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", f32), 'd.npy'),
    ).toThrow(/d\.npy: .*dtype i4/);
  });
});

describe('mapping onto our backbones', () => {
  // Small inputs: the weights do not depend on the input side.
  const half = () =>
    createBackbone('mobilenetv2', { patchSize: 32, latentDim: 8, widthMultiplier: 0.5, seed: 3 });

  it('lists missing, unexpected and mis-shaped names and copies nothing', () => {
    const source = half();
    const dict = exportStateDict(source, 'mobilenetv2');
    const target = createBackbone('mobilenetv2', { patchSize: 32, latentDim: 8, seed: 4 });
    const before = target.getLayer('stem').getWeights()[0]!.dataSync().slice();
    expect(() => applyStateDict(target, 'mobilenetv2', dict, 'half.pt')).toThrow(
      /^half\.pt: does not fit torchvision mobilenetv2 with this width: mis-shaped features\.0\.0\.weight \[16, 3, 3, 3\] ≠ \[32, 3, 3, 3\], /,
    );
    expect(target.getLayer('stem').getWeights()[0]!.dataSync()).toEqual(before);

    const other = half();
    const damaged = new Map(dict);
    damaged.delete('features.3.conv.1.0.weight');
    damaged.set('features.99.weight', { dtype: 'F32', shape: [1], values: new Float32Array(1) });
    expect(() => applyStateDict(other, 'mobilenetv2', damaged, 'damaged.pt')).toThrow(
      /damaged\.pt: .*missing features\.3\.conv\.1\.0\.weight; unexpected features\.99\.weight$/,
    );
    for (const model of [source, target, other]) model.dispose();
  });

  it('takes timm names and DataParallel prefixes to the same weights as torchvision names', () => {
    const source = half();
    const dict = exportStateDict(source, 'mobilenetv2');
    const timmModule = new Map(
      correspondences('mobilenetv2', 'torchvision').map((c, i) => [
        c.module,
        correspondences('mobilenetv2', 'timm')[i]!.module,
      ]),
    );
    const renamed: StateDict = new Map(
      [...dict].map(([key, t]) => {
        const cut = key.lastIndexOf('.');
        return [`module.${timmModule.get(key.slice(0, cut))}${key.slice(cut)}`, t];
      }),
    );
    const target = half();
    target.setWeights(target.getWeights().map((w) => tf.zerosLike(w)));
    expect(applyStateDict(target, 'mobilenetv2', renamed, 'timm.pt').scheme).toBe('timm');
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 5);
    expect((target.predict(x) as tf.Tensor).dataSync()).toEqual((source.predict(x) as tf.Tensor).dataSync());
  });

  it('keeps the backbone of an ImageNet classifier and a fresh latent layer, and says so', () => {
    const imagenet = createBackbone('mobilenetv2', {
      patchSize: 32,
      latentDim: 1000,
      widthMultiplier: 0.5,
      seed: 3,
    });
    const dict = exportStateDict(imagenet, 'mobilenetv2');
    const target = half();
    const fresh = target.getLayer('latent').getWeights()[0]!.dataSync().slice();
    const report = applyStateDict(target, 'mobilenetv2', dict, 'imagenet.pt');
    expect(report.latent).toBe('fresh');
    expect(report.notes.join()).toMatch(
      /imagenet\.pt has a 1000-class classifier\.1 .*8-wide latent layer keeps a fresh/,
    );
    expect(target.getLayer('latent').getWeights()[0]!.dataSync()).toEqual(fresh);
    expect(target.getLayer('stem').getWeights()[0]!.dataSync()).toEqual(
      imagenet.getLayer('stem').getWeights()[0]!.dataSync(),
    );
  });
});
