/**
 * The debug switch: with PATCHGD_DUMP_WAT=DIR, `registerWasmKernels` writes the module of every SIMD unit in each
 * variant this runtime validates, as DIR/<unit>.<variant>.wat (e.g. tap-gemms.fused.wat).
 */
import { writeFileSync } from 'node:fs';
import { makeDirSync } from '../../base/dirs.ts';
import { join } from 'node:path';
import { simdUnits } from './registry.ts';
import { assembledModule } from './simd.ts';
import { disassemble } from './wat.ts';

/** Writes the `.wat` files into `dir` (created if need be) and returns their paths. */
export function dumpWat(dir: string): string[] {
  makeDirSync(dir);
  const written: string[] = [];
  for (const unit of simdUnits)
    for (const variant of ['fused', 'separate'] as const) {
      const assembled = assembledModule(unit, variant);
      if (!assembled) continue;
      const path = join(dir, `${unit.name}.${variant}.wat`);
      const names = Object.values(assembled.specs).map((spec) => spec.paramNames);
      writeFileSync(path, disassemble(assembled.bytes, names));
      written.push(path);
    }
  return written;
}

/** `dumpWat` into PATCHGD_DUMP_WAT where it is set. */
export function dumpWatFromEnv(): void {
  const dir = process.env.PATCHGD_DUMP_WAT;
  if (dir) dumpWat(dir);
}
