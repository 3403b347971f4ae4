/**
 * The kernel units' plumbing: arguments bound by parameter name, the registry's module assembly, and the `.wat`
 * disassembler behind PATCHGD_DUMP_WAT, on a known function and on the whole assembled module.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../../core/learn/backend/relaxed-simd.ts';
import { bindCall } from '../../core/learn/kernels/kernel-unit.ts';
import { bindSimdKernels, simdUnits, wasmKernelConfigs } from '../../core/learn/kernels/registry.ts';
import { assembledModule } from '../../core/learn/kernels/simd.ts';
import { encodeModule, op, signature } from '../../core/learn/kernels/wasm-asm.ts';
import { disassemble } from '../../core/learn/kernels/wat.ts';
import { dumpWatFromEnv } from '../../core/learn/kernels/wat-dump.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { wasmHeap } from '../helpers/wasm-heap.ts';

enableRelaxedSimd();

const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

/** store2(out, x, y): the floats x and y at out and out + 4. */
function store2() {
  const { params, paramNames, locals, at } = signature({ out: 'i32', x: 'f32', y: 'f32' }, {});
  const body = [
    [...op.get(at.out), ...op.get(at.x), ...op.f32Store()],
    [...op.get(at.out), ...op.get(at.y), ...op.f32Store(4)],
  ];
  return { name: 'store2', params, paramNames, locals, body };
}

/** lanes(out): a shuffle and a lane of constants stored at out, inside a loop that runs once. */
function lanes() {
  const { params, paramNames, locals, at } = signature({ out: 'i32' }, { v: 'v128', k: 'i32' });
  const loop = op.loop(
    [...op.i32(-3), ...op.set(at.k)],
    [...op.get(at.out), ...op.f32x4Const(1.5), ...op.i8x16Const(0), ...op.f32x4Shuffle([4, 1, 2, 3])],
    [...op.tee(at.v), ...op.v128Store(16)],
    [...op.get(at.out), ...op.get(at.v), ...op.f32x4ExtractLane(1), ...op.f32Store(32)],
    [...op.get(at.k), ...op.i32(-3), ...op.add, ...op.brIf(1)],
  );
  return { name: 'lanes', params, paramNames, locals, body: [op.block(loop)] };
}

const KNOWN = `(module
  (import "env" "memory" (memory 1))
  (func $store2 (export "store2") (param i32) (param f32) (param f32)
    local.get 0
    local.get 1
    f32.store align=4
    local.get 0
    local.get 2
    f32.store offset=4 align=4
  )
  (func $lanes (export "lanes") (param i32) (local v128 i32)
    block
      loop
        i32.const -3
        local.set 2
        local.get 0
        v128.const i8x16 0x00 0x00 0xc0 0x3f 0x00 0x00 0xc0 0x3f 0x00 0x00 0xc0 0x3f 0x00 0x00 0xc0 0x3f
        v128.const i8x16 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00
        i8x16.shuffle 16 17 18 19 4 5 6 7 8 9 10 11 12 13 14 15
        local.tee 1
        v128.store offset=16 align=4
        local.get 0
        local.get 1
        f32x4.extract_lane 1
        f32.store offset=32 align=4
        local.get 2
        i32.const -3
        i32.add
        br_if 1
      end
    end
  )
)
`;

describe('kernel units', () => {
  const bytes = encodeModule([store2(), lanes()]);
  const instance = (memory: object) => new wasm.Instance(new wasm.Module(bytes), { env: { memory } });

  it('binds arguments by parameter name, whatever order the caller writes them in', () => {
    const h = wasmHeap(1);
    const call = bindCall(instance(h.memory).exports, store2());
    call({ y: 2.5, x: -1, out: 64 });
    expect([...h.read(64, 2)]).toEqual([-1, 2.5]);
    // @ts-expect-error a call without one of the function's parameters does not compile
    const missing = () => call({ x: 1, y: 2 });
    expect(typeof missing).toBe('function');
  });

  it('refuses a parameter name that is not an identifier', () => {
    const spec = { ...store2(), paramNames: ['out', 'x); y(', 'y'] };
    expect(() => bindCall(instance(wasmHeap(1).memory).exports, spec)).toThrow(
      "wasm kernels: 'store2' has a parameter named 'x); y('",
    );
  });

  it('runs the known module as its text reads', () => {
    const h = wasmHeap(1);
    bindCall(instance(h.memory).exports, lanes())({ out: 64 });
    expect([...h.read(80, 4)]).toEqual([0, 1.5, 1.5, 1.5]);
    expect(h.read(96, 1)[0]).toBe(1.5);
  });

  it('disassembles a known module into its text', () => {
    expect(wasm.validate(bytes)).toBe(true);
    expect(disassemble(bytes)).toBe(KNOWN);
  });

  it('names the parameters it is given', () => {
    const text = disassemble(bytes, [store2().paramNames]);
    expect(text).toContain('(func $store2 (export "store2") (param $out i32) (param $x f32) (param $y f32)');
    expect(text).toContain('    local.get $out\n    local.get $y\n    f32.store offset=4 align=4\n');
    expect(text).toContain('(func $lanes (export "lanes") (param i32) (local v128 i32)');
  });

  it('names the byte offset of what it cannot read', () => {
    const bad = bytes.slice();
    bad[bad.length - 2] = 0xff; // inside lanes' last instructions
    expect(() => disassemble(bad)).toThrow(/wat: unknown opcode 0xff at byte \d+/);
  });

  it.each(['fused', 'separate'] as const)(
    'assembles each unit into a %s module that disassembles, and binds them all',
    (variant) => {
      for (const unit of simdUnits) {
        const assembled = assembledModule(unit, variant)!;
        expect(assembled, unit.name).not.toBeNull();
        const names = Object.values(assembled.specs).map((f) => f.name);
        const text = disassemble(assembled.bytes);
        expect(text.match(/^ {2}\(func /gm)).toHaveLength(names.length);
        for (const name of names) expect(text).toContain(`(func $${name} (export "${name}")`);
      }
      const fusedSomewhere = simdUnits.some((unit) =>
        disassemble(assembledModule(unit, variant)!.bytes).includes('f32x4.relaxed_madd'),
      );
      expect(fusedSomewhere).toBe(variant === 'fused');
      const kernels = bindSimdKernels(wasmHeap(1).memory, variant)!;
      for (const method of ['relu6', 'adam', 'maskedProduct', 'forwardGemm', 'winogradInput', 'columnSum'])
        expect(typeof (kernels as unknown as Record<string, unknown>)[method]).toBe('function');
    },
  );

  it('registers each kernel config once', () => {
    const names = wasmKernelConfigs.map((k) => k.kernelName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining(['Conv2DBackpropFilter', 'PatchGDAdamUpdate', 'PatchGDRelu6']),
    );
  });

  describe('PATCHGD_DUMP_WAT', () => {
    let dir = '';
    afterAll(async () => {
      delete process.env.PATCHGD_DUMP_WAT;
      await removeDir(dir);
    });

    it("writes each unit's module in each variant as .wat into the folder it names", async () => {
      dir = await makeTempDir('patchgd-wat-');
      process.env.PATCHGD_DUMP_WAT = join(dir, 'wat');
      dumpWatFromEnv();
      for (const unit of simdUnits)
        for (const variant of ['fused', 'separate'] as const) {
          const text = await readFile(join(dir, 'wat', `${unit.name}.${variant}.wat`), 'utf8');
          const assembled = assembledModule(unit, variant)!;
          const names = Object.values(assembled.specs).map((spec) => spec.paramNames);
          expect(text).toBe(disassemble(assembled.bytes, names));
        }
    });
  });
});
