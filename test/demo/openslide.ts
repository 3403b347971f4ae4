/** Reads slides through the reference reader, OpenSlide (Debian's python3-openslide), for tests. */
import { execFileSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

export interface OpenSlideInfo {
  levelCount: number;
  downsamples: number[];
  dimensions: [number, number][];
  properties: Record<string, string>;
}

export function openslideInfo(file: string): OpenSlideInfo {
  const script = `
import json, sys, openslide
s = openslide.OpenSlide(sys.argv[1])
print(json.dumps({"levelCount": s.level_count, "downsamples": list(s.level_downsamples),
  "dimensions": [list(d) for d in s.level_dimensions], "properties": dict(s.properties)}))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as OpenSlideInfo;
}

/** RGB bytes of a region of `level`, at level-0 coordinates (x, y) and size w × h in that level's pixels. */
export function openslideRead(
  file: string,
  level: number,
  x: number,
  y: number,
  w: number,
  h: number,
): Uint8Array {
  const script = `
import sys, openslide
a = [int(v) for v in sys.argv[2:]]
s = openslide.OpenSlide(sys.argv[1])
sys.stdout.buffer.write(s.read_region((a[0], a[1]), a[2], (a[3], a[4])).convert("RGB").tobytes())`;
  const out = execFileSync(PYTHON, ['-c', script, file, ...[x, y, level, w, h].map(String)], {
    maxBuffer: w * h * 3 + 1024,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Mean absolute difference of two equally long byte arrays. */
export function mad(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}
