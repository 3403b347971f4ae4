/**
 * Batch norm's per-channel passes (`channel-ops.ts`) on wasm, where SIMD kernels run them, against the cpu backend,
 * where the same functions run as tfjs ops: values, channel counts off the SIMD path, row counts across the
 * two-level sum blocks, channelAffine's gradient, and a training-mode SyncBatchNorm step through them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/learn/backend/backend.ts';
import {
  CHANNEL_AFFINE,
  CHANNEL_AFFINE2,
  CHANNEL_CENTRE,
  CHANNEL_DOT,
  CHANNEL_MOMENTS,
  channelAffine,
  channelCentre,
  channelMoments,
  channelDot,
} from '../../core/learn/kernels/channel-ops.ts';
import { SyncBatchNorm } from '../../core/learn/models/sync-batch-norm.ts';
import { relError, uniformValues } from '../helpers/tensors.ts';

const host = (shape: number[], seed: number) => ({
  shape,
  values: uniformValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
    -2,
    3,
  ),
});
type Host = ReturnType<typeof host>;

/** Runs `f` on `backend` over tensors of the host arrays; returns its outputs' values and the kernels it ran. */
async function on(backend: string, inputs: Host[], f: (...t: tf.Tensor[]) => tf.Tensor[]) {
  await tf.setBackend(backend);
  const tensors = inputs.map((h) => tf.tensor(h.values, h.shape));
  const profile = await tf.profile(() => f(...tensors));
  const outs = f(...tensors);
  const values = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...tensors, ...outs]);
  return { values, kernels: profile.kernelNames };
}

async function expectSame(inputs: Host[], f: (...t: tf.Tensor[]) => tf.Tensor[], fast: string[]) {
  const wasm = await on('wasm', inputs, f);
  const cpu = await on('cpu', inputs, f);
  wasm.values.forEach((v, i) => expect(relError(v, cpu.values[i]!)).toBeLessThan(1e-5));
  for (const name of fast) expect(wasm.kernels).toContain(name);
  return wasm;
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('batch-norm channel passes on wasm match cpu', () => {
  // 2·3·50 = 300 rows: two full 128-row blocks of the two-level sum and a rest.
  it.each([
    ['NHWC', [2, 3, 50, 8]],
    ['rank 2', [7, 12]],
  ])('channelDot, channelCentre and both channelAffine forms, %s', async (_name, shape) => {
    const c = shape[shape.length - 1]!;
    const inputs = [host(shape, 1), host(shape, 2), host([c], 3), host([c], 4), host([c], 5)];
    await expectSame(
      inputs,
      (x, z, a, shift, b) => [
        channelDot(x!, z!),
        channelDot(x!, x!),
        ...Object.values(channelCentre(x!, a!)),
        ...Object.values(channelMoments(x!, a!)),
        channelAffine(x!, a!, shift!),
        channelAffine(x!, a!, shift!, { z: z!, b: b! }),
      ],
      [CHANNEL_DOT, CHANNEL_CENTRE, CHANNEL_MOMENTS, CHANNEL_AFFINE, CHANNEL_AFFINE2],
    );
  });

  it('channels not a multiple of 4 take the tfjs ops on wasm too', async () => {
    const inputs = [host([3, 5, 6], 1), host([3, 5, 6], 2), host([6], 3), host([6], 4)];
    const wasm = await expectSame(
      inputs,
      (x, z, a, shift) => [
        channelDot(x!, z!),
        ...Object.values(channelCentre(x!, a!)),
        ...Object.values(channelMoments(x!, a!)),
        channelAffine(x!, a!, shift!, { z: z!, b: a! }),
      ],
      [],
    );
    expect(wasm.kernels).not.toContain(CHANNEL_DOT);
    expect(wasm.kernels).not.toContain(CHANNEL_CENTRE);
    expect(wasm.kernels).not.toContain(CHANNEL_MOMENTS);
    expect(wasm.kernels).not.toContain(CHANNEL_AFFINE2);
  });

  it("channelAffine's gradient", async () => {
    const inputs = [host([2, 3, 4, 8], 1), host([8], 2), host([8], 3), host([2, 3, 4, 8], 4)];
    await expectSame(
      inputs,
      (x, a, shift, dy) =>
        tf.grads((xx, aa, ss) => tf.sum(tf.mul(channelAffine(xx, aa, ss), dy!)))([x!, a!, shift!]),
      [CHANNEL_AFFINE],
    );
  });

  it('a training-mode SyncBatchNorm step: output, input and weight gradients, and a gradient-free pass', async () => {
    const inputs = [host([2, 5, 6, 8], 1), host([2, 5, 6, 8], 2)];
    await expectSame(
      inputs,
      (x, dy) => {
        const layer = new SyncBatchNorm({ name: 'bn' });
        layer.build(x!.shape);
        layer.setWeights([
          tf.tensor1d(host([8], 3).values),
          tf.tensor1d(host([8], 4).values),
          ...layer.getWeights().slice(2),
        ]);
        const loss = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, dy!));
        const dx = tf.grad(loss)(x!);
        const { grads } = tf.variableGrads(() => loss(x!) as tf.Scalar);
        // Training mode outside any gradient (a Z fill) takes the moments path, which writes no centred copy.
        const filled = layer.apply(x!, { training: true }) as tf.Tensor;
        const out = [dx, ...Object.values(grads), filled, layer.apply(x!, { training: false }) as tf.Tensor];
        layer.weights.forEach((w) => w.dispose());
        return out;
      },
      [CHANNEL_DOT, CHANNEL_CENTRE, CHANNEL_MOMENTS, CHANNEL_AFFINE, CHANNEL_AFFINE2],
    );
  });
});

// tfjs-layers is imported for its side effect of registering the gradients SyncBatchNorm's ops use.
void tfl;
