/**
 * A worker's replica of the backbone: built from the main thread's topology, loaded from the shared weights
 * buffer, embedding its share of each chunk of patches. Batch-norm statistics are all-reduced over the workers of
 * each call, so together they compute what one process would on the whole chunk.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setBatchNormGroup, SyncBatchNorm } from '../models/sync-batch-norm.ts';
import { embedPatches } from '../patchgd/step.ts';
import { groupCollectives, type SyncBuffers } from './all-reduce.ts';
import type { WeightLayout, WeightSelection } from './protocol.ts';
import type { Share } from './split.ts';
import { copyOut, tensorOf } from './tensor-copy.ts';

/**
 * The topology with tfjs-layers' BatchNormalization (models saved before SyncBatchNorm existed) replaced by
 * SyncBatchNorm, which reads the same configuration and weights: a replica must synchronise every batch norm.
 */
export function syncTopology(topology: string): tf.io.ModelJSON['modelTopology'] {
  return JSON.parse(topology, (key, value: unknown) =>
    key === 'class_name' && value === 'BatchNormalization' ? SyncBatchNorm.className : value,
  ) as tf.io.ModelJSON['modelTopology'];
}

export class Replica {
  private gradientSum: tf.Tensor[] | null = null;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly layout: WeightLayout,
    private readonly weights: Float32Array,
    private readonly sync: SyncBuffers,
  ) {}

  static async create(
    topology: string,
    layout: WeightLayout,
    weights: SharedArrayBuffer,
    sync: SyncBuffers,
  ): Promise<Replica> {
    const model = await tfl.models.modelFromJSON({ modelTopology: syncTopology(topology) });
    if (model.weights.length !== layout.shapes.length)
      throw new Error(
        `the replica has ${model.weights.length} weights, the main thread's backbone ${layout.shapes.length}`,
      );
    const replica = new Replica(model, layout, new Float32Array(weights), sync);
    replica.loadWeights('all');
    return replica;
  }

  /** Copies the selected weights from the shared buffer (the main thread wrote them before asking). */
  loadWeights(which: WeightSelection): void {
    this.model.weights.forEach((w, i) => {
      const trainable = this.layout.trainable[i]!;
      if ((which === 'trainable' && !trainable) || (which === 'statistics' && trainable)) return;
      const shape = this.layout.shapes[i]!;
      const offset = this.layout.offsets[i]!;
      const value = tensorOf(this.weights.subarray(offset, offset + tf.util.sizeFromShape(shape)), shape);
      w.write(value);
      value.dispose();
    });
  }

  /** [B, n, d] embeddings of the shares (in order, concatenated), batch norm synchronised per share's group. */
  fill(
    shares: readonly Share[],
    patches: readonly Float32Array[],
    batchSize: number,
    training: boolean,
  ): tf.Tensor3D {
    const parts = shares.map((share, i) =>
      this.withGroup(share, training, () => this.embed(share, patches[i]!, batchSize, training)),
    );
    const out = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    if (parts.length > 1) tf.dispose(parts);
    return out;
  }

  /**
   * One inner iteration's backbone share: embeds with gradient, hands the embeddings to `exchange`, which
   * returns dL/de for them (blocking: the main thread computes it from every worker's share), and adds this
   * share's dL/dθ = Σ e·dL/de differentiated in θ to the running sum. The tape stays alive across the exchange,
   * so nothing is recomputed.
   */
  inner(
    share: Share,
    patches: Float32Array,
    batchSize: number,
    exchange: (e: tf.Tensor3D) => tf.Tensor3D,
  ): void {
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = this.withGroup(share, true, () =>
      tf.variableGrads(() => {
        const e = this.embed(share, patches, batchSize, true);
        const upstream = exchange(e);
        return tf.sum(tf.mul(e, upstream)) as tf.Scalar;
      }, variables),
    );
    value.dispose();
    const ordered = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    if (!this.gradientSum) this.gradientSum = ordered;
    else
      this.gradientSum = this.gradientSum.map((sum, i) => {
        const total = tf.add(sum, ordered[i]!);
        tf.dispose([sum, ordered[i]!]);
        return total;
      });
  }

  /** Writes the running gradient sum into `target` in trainable-weight order and clears it; false when empty. */
  takeGradients(target: Float32Array): boolean {
    if (!this.gradientSum) return false;
    let offset = 0;
    for (const g of this.gradientSum) {
      copyOut(g, target, offset);
      offset += g.size;
    }
    tf.dispose(this.gradientSum);
    this.gradientSum = null;
    return true;
  }

  /** The batch-norm moving statistics, concatenated in non-trainable-weight order. */
  statistics(): Float32Array {
    const stats = this.model.nonTrainableWeights.map((w) => w.read().dataSync());
    const flat = new Float32Array(stats.reduce((n, s) => n + s.length, 0));
    let offset = 0;
    for (const s of stats) {
      flat.set(s, offset);
      offset += s.length;
    }
    return flat;
  }

  dispose(): void {
    if (this.gradientSum) tf.dispose(this.gradientSum);
    this.model.dispose();
  }

  /** The share's pixels [B, n, m, m, 3] embedded: [B, n, d]. */
  private embed(share: Share, patches: Float32Array, batchSize: number, training: boolean): tf.Tensor3D {
    return tf.tidy(() => {
      const n = share.indices.length;
      const m = Math.round(Math.sqrt(patches.length / (batchSize * n * 3)));
      if (batchSize * n * m * m * 3 !== patches.length)
        throw new Error(`${patches.length} values are not ${n} square RGB patches of ${batchSize} images`);
      return embedPatches(this.model, tf.tensor5d(patches, [batchSize, n, m, m, 3]), training);
    });
  }

  /** Runs `fn` with batch norm synchronised over the share's group (inference needs no synchronisation). */
  private withGroup<T>(share: Share, training: boolean, fn: () => T): T {
    setBatchNormGroup(
      training && share.group > 1 ? groupCollectives(this.sync, share.rank, share.group) : null,
    );
    try {
      return fn();
    } finally {
      setBatchNormGroup(null);
    }
  }
}
