/**
 * At most `limit` tasks at once, the rest waiting in arrival order. Rendering a thumbnail decodes a whole low
 * pyramid level (megapixels), so a slide list asking for a hundred at once must not decode a hundred at once.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake it.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
