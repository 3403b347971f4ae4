import { UsageError } from '../base/errors.ts';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Parses a size such as `1GB`, `512MiB` or `1500000` (decimal kB/MB/GB; binary KiB/MiB/GiB) to bytes. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined)
    throw new UsageError(null, `cannot read "${text}" as a size (examples: 1GB, 512MiB, 2000000)`);
  return Math.round(Number(match[1]) * factor);
}
