import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateAttrs } from '../kernels/adam.ts';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam's state as plain arrays (moments in the order of the variable list), for checkpoints. */
export interface AdamState {
  iteration: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** [p', m', v'] of one Adam update, as tfjs ops (backends without the fused kernel). */
function opByOp(a: AdamUpdateAttrs, p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor): tf.Tensor[] {
  const m1 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
  const v1 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
  const denom = tf.add(tf.sqrt(tf.div(v1, a.correction2)), a.epsilon);
  return [tf.sub(p, tf.mul(tf.div(m1, denom), a.stepSize)), m1, v1];
}

/**
 * Adam as PyTorch computes it (bias-corrected moments, ε added after the square root). Written here rather than
 * using tf.train.adam so that the learning rate can change per step and the whole state (moments and iteration)
 * can be saved and restored exactly for resume. Moments are kept per position in the variable list, which is
 * stable across processes (tfjs variable names are not: they get uniquifying suffixes).
 */
export class Adam {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private iteration = 0;
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];

  constructor(
    private readonly variables: readonly tf.Variable[],
    options: AdamOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    // Allocated up front so that memory probes see the moments a running optimizer holds.
    this.allocate(null);
  }

  get iterations(): number {
    return this.iteration;
  }

  /** One update; `grads[i]` is the gradient of `variables[i]`. */
  step(grads: readonly tf.Tensor[], lr: number): void {
    if (grads.length !== this.variables.length) throw new Error('one gradient per variable expected');
    this.iteration++;
    const correction1 = 1 - this.beta1 ** this.iteration;
    const correction2 = 1 - this.beta2 ** this.iteration;
    const attrs: AdamUpdateAttrs = {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      correction2,
      stepSize: lr / correction1,
    };
    // The fused kernel where the backend has one (wasm): the same float32 arithmetic in one dispatch, not 13.
    const fused = getKernel(ADAM_UPDATE, tf.engine().backendName) !== undefined;
    this.variables.forEach((variable, i) => {
      const g = grads[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      tf.tidy(() => {
        const [p1, m1, v1] = fused
          ? (tf
              .engine()
              .runKernel(ADAM_UPDATE, { param: variable, grad: g, m, v }, { ...attrs }) as tf.Tensor[])
          : opByOp(attrs, variable, g, m, v);
        m.assign(m1!);
        v.assign(v1!);
        variable.assign(p1!);
      });
    });
  }

  async getState(): Promise<AdamState> {
    const read = (vars: tf.Variable[]) =>
      Promise.all(vars.map(async (x) => (await x.data()) as Float32Array));
    return { iteration: this.iteration, m: await read(this.m), v: await read(this.v) };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length)
      throw new Error(
        `optimizer state holds ${state.m.length} moments, the model has ${this.variables.length} variables`,
      );
    this.dispose();
    this.iteration = state.iteration;
    this.allocate(state);
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
    this.m = [];
    this.v = [];
  }

  private allocate(state: AdamState | null): void {
    // tidy frees the initial-value tensors; variables survive it.
    const make = (saved: Float32Array | undefined, variable: tf.Variable) =>
      tf.tidy(() => tf.variable(saved ? tf.tensor(saved, variable.shape) : tf.zerosLike(variable), false));
    this.m = this.variables.map((x, i) => make(state?.m[i], x));
    this.v = this.variables.map((x, i) => make(state?.v[i], x));
  }
}
