import { UsageError } from '../../base/errors.ts';

/** A class or function a pickle names (GLOBAL), allowed by the caller; REDUCE calls it on the argument tuple. */
export interface PickleCallable {
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

/** What the caller lets a pickle reach: named globals (anything else is refused), persistent ids, BUILD. */
export interface PickleEnvironment {
  /** The allowed callable for `module.name`, or undefined to refuse it. */
  global(module: string, name: string): PickleCallable | undefined;
  /** Names listed in the error when a global is refused. */
  allowed: readonly string[];
  persistentLoad(pid: unknown): unknown;
  /** Applies BUILD's state to an object (e.g. a state_dict's `_metadata`); returns false to refuse. */
  build(target: unknown, state: unknown): boolean;
}

const MARK = Symbol('mark');

/**
 * Runs the subset of the pickle virtual machine (protocols 2–5) that `torch.save`'s state_dicts use. Dicts become
 * Maps, tuples and lists arrays; every global goes through `env` (an allow-list), so no code a file names runs.
 * Anything else (instances, extension codes, string-encoded persistent ids…) is refused naming the opcode.
 */
export function unpickle(data: Uint8Array, file: string, env: PickleEnvironment): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const text = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  const fail = (problem: string): never => {
    throw new UsageError(file, `cannot read the pickle: ${problem}`);
  };
  const need = (n: number) => {
    if (at + n > data.length) fail(`truncated at byte ${at}`);
    const start = at;
    at += n;
    return start;
  };
  const bytes = (n: number) => data.subarray(need(n), at);
  const utf8 = (n: number) => {
    try {
      return text.decode(bytes(n));
    } catch {
      return fail(`a string at byte ${at - n} is not UTF-8`);
    }
  };
  const line = () => {
    const end = data.indexOf(0x0a, at);
    if (end < 0) fail(`unterminated GLOBAL at byte ${at}`);
    const value = new TextDecoder().decode(data.subarray(at, end));
    at = end + 1;
    return value;
  };
  const pop = () => (stack.length ? stack.pop() : fail('stack underflow'));
  const top = () => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = () => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) fail('no MARK on the stack');
    const items = stack.splice(mark);
    return items.slice(1);
  };
  const resolve = (module: string, name: string) => {
    const callable = env.global(module, name);
    if (!callable)
      fail(
        `it refers to ${module}.${name}, which a weights file may not (allowed: ${env.allowed.join(', ')})`,
      );
    return callable;
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) return fail('SETITEM(S) on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) return fail('APPEND(S) on something that is not a list');
    target.push(...items);
  };

  for (;;) {
    if (at >= data.length) fail('no STOP opcode');
    const opAt = at;
    const op = data[need(1)]!;
    switch (op) {
      case 0x80: // PROTO
        if (data[need(1)]! > 5) fail(`pickle protocol ${data[at - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: a length prefix only; the frame's bytes follow inline.
        need(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28:
        stack.push(MARK);
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x29:
        stack.push([]);
        break;
      case 0x74:
        stack.push(popMark());
        break;
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c:
        stack.push(popMark());
        break;
      case 0x64: {
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x61: {
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b:
        stack.push(data[need(1)]);
        break;
      case 0x4d:
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: {
        // Little-endian two's complement of n bytes.
        const raw = bytes(data[need(1)]!);
        let value = 0n;
        for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]!);
        if (raw.length && raw[raw.length - 1]! & 0x80) value -= 1n << BigInt(8 * raw.length);
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
          fail(`integer ${value} at byte ${opAt} is too large`);
        stack.push(Number(value));
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58:
        stack.push(utf8(view.getUint32(need(4), true)));
        break;
      case 0x8c:
        stack.push(utf8(data[need(1)]!));
        break;
      case 0x8d:
        stack.push(utf8(Number(view.getBigUint64(need(8), true))));
        break;
      case 0x43:
        stack.push(bytes(data[need(1)]!).slice());
        break;
      case 0x42:
        stack.push(bytes(view.getUint32(need(4), true)).slice());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x63: {
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop() as PickleCallable;
        if (!Array.isArray(args) || typeof callable?.call !== 'function') fail(`bad REDUCE at byte ${opAt}`);
        stack.push(callable.call(args as unknown[]));
        break;
      }
      case 0x62: {
        const state = pop();
        if (!env.build(top(), state)) fail(`BUILD at byte ${opAt} on an object a weights file may not hold`);
        break;
      }
      case 0x51:
        stack.push(env.persistentLoad(pop()));
        break;
      case 0x71:
        memo.set(data[need(1)]!, top());
        break;
      case 0x72:
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a: {
        const key = op === 0x68 ? data[need(1)]! : view.getUint32(need(4), true);
        if (!memo.has(key)) fail(`memo entry ${key} read before it was written`);
        stack.push(memo.get(key));
        break;
      }
      case 0x30:
        pop();
        break;
      default: {
        const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
        fail(
          `unsupported opcode 0x${op.toString(16).padStart(2, '0')}${printable} at byte ${opAt} ` +
            '(not one that torch.save writes for a state_dict)',
        );
      }
    }
  }
}
