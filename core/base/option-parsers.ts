import { UsageError } from './errors.ts';

/** commander parser for an integer option `--name` of at least `min`. */
export function integer(name: string, min = -Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(
        null,
        `--${name} must be an integer${min > -Infinity ? ` ≥ ${min}` : ''}, got '${value}'`,
      );
    }
    return n;
  };
}

/** commander parser for a number option `--name` at least `min` (or above it when `strict`); accepts 1/8. */
export function decimal(name: string, min = -Infinity, strict = false): (value: string) => number {
  return (value) => {
    const fraction = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
    const n = fraction
      ? Number(fraction[1]) / Number(fraction[2])
      : Number(value.trim() === '' ? NaN : value);
    if (!Number.isFinite(n) || n < min || (strict && n === min)) {
      const bound = min > -Infinity ? ` ${strict ? '>' : '≥'} ${min}` : '';
      throw new UsageError(null, `--${name} must be a number${bound}, got '${value}'`);
    }
    return n;
  };
}
