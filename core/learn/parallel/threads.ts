import os from 'node:os';

/** Backends whose kernels run on one thread in Node, so that worker threads add cores. */
const SINGLE_THREADED = new Set(['wasm', 'cpu']);

export interface ThreadChoice {
  threads: number;
  /** Why fewer threads run than were asked for (null when none is lost). */
  note: string | null;
}

/**
 * Engine threads for a run on `backend`: the requested count, else one per available core. TensorFlow's native
 * backends already use every core inside their kernels, so they always run on the calling thread.
 */
export function chooseThreads(requested: number | undefined, backend: string): ThreadChoice {
  if (!SINGLE_THREADED.has(backend))
    return {
      threads: 1,
      note:
        requested !== undefined && requested > 1
          ? `the ${backend} backend ${backend === 'webgpu' ? 'computes on the GPU' : 'uses every core itself'}: one engine thread instead of ${requested}`
          : null,
    };
  return { threads: requested ?? os.availableParallelism(), note: null };
}
