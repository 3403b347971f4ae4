/**
 * A gate that opens for the first call and then at most once per `intervalMs`: training steps come many per
 * second and only the latest matters to a reader. `due(true)` always opens (e.g. an epoch's last step) and, like
 * any opening, starts the interval again. `now` is injectable so the rule can be tested without waiting.
 */
export function intervalGate(
  intervalMs: number,
  now: () => number = () => performance.now(),
): (force?: boolean) => boolean {
  let last = -Infinity;
  return (force = false) => {
    const t = now();
    if (!force && t - last < intervalMs) return false;
    last = t;
    return true;
  };
}
