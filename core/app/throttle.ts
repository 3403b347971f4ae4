/**
 * A gate that opens for the first call and then at most once per `intervalMs`: training steps come many per
 * second and only the latest matters to the UI. `now` is injectable so the rule can be tested without waiting.
 */
export function intervalGate(intervalMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    return true;
  };
}
