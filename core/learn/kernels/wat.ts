/**
 * A disassembler of the subset of WebAssembly that `wasm-asm.ts` encodes, into the text format (`.wat`), for
 * reading what the generators emit (`PATCHGD_DUMP_WAT`, see `wat-dump.ts`). It reads the sections encodeModule
 * writes (types, the memory import, functions, exports, code) and the instructions of its `op` table; anything
 * else is an error naming the byte offset. Instruction names follow the WebAssembly core and SIMD specifications.
 */

/** Plain instructions by opcode, and SIMD ones (after the 0xfd prefix) by their LEB128 opcode. */
const PLAIN: Record<number, string> = {
  0x49: 'i32.lt_u',
  0x4f: 'i32.ge_u',
  0x6a: 'i32.add',
  0x6b: 'i32.sub',
  0x6c: 'i32.mul',
  0x71: 'i32.and',
  0x76: 'i32.shr_u',
  0x92: 'f32.add',
};
const MEMORY: Record<number, string> = { 0x28: 'i32.load', 0x2a: 'f32.load', 0x38: 'f32.store' };
const LOCAL: Record<number, string> = { 0x20: 'local.get', 0x21: 'local.set', 0x22: 'local.tee' };
const SIMD_PLAIN: Record<number, string> = {
  0x13: 'f32x4.splat',
  0x41: 'f32x4.eq',
  0x42: 'f32x4.ne',
  0x44: 'f32x4.gt',
  0x45: 'f32x4.le',
  0x4e: 'v128.and',
  0x4f: 'v128.andnot',
  0x50: 'v128.or',
  0x65: 'i8x16.narrow_i16x8_s',
  0x85: 'i16x8.narrow_i32x4_s',
  0xe1: 'f32x4.neg',
  0xe3: 'f32x4.sqrt',
  0xe4: 'f32x4.add',
  0xe5: 'f32x4.sub',
  0xe6: 'f32x4.mul',
  0xe7: 'f32x4.div',
  0xe8: 'f32x4.min',
  0xe9: 'f32x4.max',
  0x105: 'f32x4.relaxed_madd',
};
const SIMD_MEMORY: Record<number, string> = {
  0x00: 'v128.load',
  0x09: 'v128.load32_splat',
  0x0b: 'v128.store',
};
const TYPES: Record<number, string> = { 0x7f: 'i32', 0x7d: 'f32', 0x7b: 'v128' };

/** A cursor over the module's bytes; every read checks the end. */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public at = 0,
  ) {}
  fail(what: string): never {
    throw new Error(`wat: ${what} at byte ${this.at}`);
  }
  byte(): number {
    if (this.at >= this.bytes.length) this.fail('unexpected end of module');
    return this.bytes[this.at++]!;
  }
  take(count: number): Uint8Array {
    if (this.at + count > this.bytes.length) this.fail('unexpected end of module');
    return this.bytes.slice(this.at, (this.at += count));
  }
  uleb(): number {
    let [value, shift, byte] = [0, 0, 0x80];
    while (byte & 0x80) {
      byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    return value;
  }
  /** A signed LEB128 of a 32-bit integer. */
  sleb(): number {
    let [value, shift, byte] = [0, 0, 0x80];
    while (byte & 0x80) {
      byte = this.byte();
      value |= (byte & 0x7f) << shift;
      shift += 7;
    }
    return shift < 32 && byte & 0x40 ? value | (-1 << shift) : value;
  }
  name(): string {
    return new TextDecoder().decode(this.take(this.uleb()));
  }
  vector<T>(item: () => T): T[] {
    return Array.from({ length: this.uleb() }, item);
  }
  type(): string {
    const code = this.byte();
    return TYPES[code] ?? this.fail(`unknown value type 0x${code.toString(16)}`);
  }
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');

/** The instructions of one function body up to its final `end`, indented by nesting; named locals as `$name`. */
function instructions(r: Reader, end: number, names: readonly string[]): string[] {
  const lines: string[] = [];
  let depth = 2;
  const memarg = () => {
    const [align, offset] = [r.uleb(), r.uleb()];
    return `${offset ? ` offset=${offset}` : ''} align=${2 ** align}`;
  };
  while (r.at < end) {
    const code = r.byte();
    let text: string;
    if (code === 0x0b) {
      depth--;
      if (depth === 1) break;
      text = 'end';
    } else if (code === 0x02 || code === 0x03) {
      if (r.byte() !== 0x40) r.fail('a block with a result type');
      text = code === 0x02 ? 'block' : 'loop';
    } else if (code === 0x0c || code === 0x0d) text = `${code === 0x0c ? 'br' : 'br_if'} ${r.uleb()}`;
    else if (LOCAL[code]) {
      const local = r.uleb();
      text = `${LOCAL[code]} ${local < names.length ? `$${names[local]}` : local}`;
    } else if (code === 0x41) text = `i32.const ${r.sleb()}`;
    else if (PLAIN[code]) text = PLAIN[code];
    else if (MEMORY[code]) text = `${MEMORY[code]}${memarg()}`;
    else if (code === 0xfd) {
      const simd = r.uleb();
      if (SIMD_PLAIN[simd]) text = SIMD_PLAIN[simd];
      else if (SIMD_MEMORY[simd]) text = `${SIMD_MEMORY[simd]}${memarg()}`;
      else if (simd === 0x0c) text = `v128.const i8x16 ${hex(r.take(16))}`;
      else if (simd === 0x0d) text = `i8x16.shuffle ${[...r.take(16)].join(' ')}`;
      else if (simd === 0x1f) text = `f32x4.extract_lane ${r.byte()}`;
      else r.fail(`unknown SIMD opcode 0x${simd.toString(16)}`);
    } else r.fail(`unknown opcode 0x${code.toString(16)}`);
    // A construct's `end` lines up with its `block` or `loop`.
    lines.push(`${'  '.repeat(depth)}${text}`);
    if (code === 0x02 || code === 0x03) depth++;
  }
  if (r.at !== end) r.fail('a function body that does not end at its size');
  return lines;
}

/**
 * The text format of a module encoded by `encodeModule`; `paramNames[k]`, where given, names function k's
 * parameters (`FunctionSpec.paramNames`), the rest of the locals keep their numbers.
 */
export function disassemble(bytes: Uint8Array, paramNames: readonly (readonly string[])[] = []): string {
  const r = new Reader(bytes);
  if (hex(r.take(8)) !== '0x00 0x61 0x73 0x6d 0x01 0x00 0x00 0x00') r.fail('no wasm version 1 header');
  let types: string[][] = [];
  let funcTypes: number[] = [];
  const imports: string[] = [];
  const exportNames = new Map<number, string>();
  const bodies: string[][] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const end = r.uleb() + r.at;
    if (id === 1)
      types = r.vector(() => {
        if (r.byte() !== 0x60) r.fail('a type that is not a function type');
        const params = r.vector(() => r.type());
        if (r.uleb() !== 0) r.fail('a function type with results');
        return params;
      });
    else if (id === 2)
      r.vector(() => {
        const [module, field] = [r.name(), r.name()];
        if (r.byte() !== 0x02 || r.byte() !== 0x00)
          r.fail('an import that is not a memory with a minimum only');
        imports.push(`(import "${module}" "${field}" (memory ${r.uleb()}))`);
      });
    else if (id === 3) funcTypes = r.vector(() => r.uleb());
    else if (id === 7)
      r.vector(() => {
        const name = r.name();
        if (r.byte() !== 0x00) r.fail('an export that is not a function');
        exportNames.set(r.uleb(), name);
      });
    else if (id === 10)
      r.vector(() => {
        const bodyEnd = r.uleb() + r.at;
        const locals = r.vector(() => {
          const count = r.uleb();
          return Array<string>(count).fill(r.type());
        });
        const index = bodies.length;
        const params = types[funcTypes[index] ?? -1] ?? r.fail(`function ${index} without a type`);
        const name = exportNames.get(index) ?? `f${index}`;
        const names = paramNames[index] ?? [];
        const head = [
          `  (func $${name} (export "${name}")`,
          ...params.map((type, k) => ` (param${names[k] ? ` $${names[k]}` : ''} ${type})`),
          ...(locals.flat().length ? [` (local ${locals.flat().join(' ')})`] : []),
        ].join('');
        bodies.push([head, ...instructions(r, bodyEnd, names), '  )']);
      });
    else r.fail(`unknown section ${id}`);
    if (r.at !== end) r.fail(`section ${id} that does not end at its size`);
  }
  return ['(module', ...imports.map((i) => `  ${i}`), ...bodies.flat(), ')', ''].join('\n');
}
