// What may cross a thread or a socket: plain data, which both structuredClone and msgpackr carry.
// Values a machine returns are checked with this on every member at apply, so the check must be
// a pure function of the value: the same verdict everywhere, whatever thread runs it. It runs on
// every reply and effect of every command, so the walk allocates nothing but a key list per object.

/**
 * Nesting deeper than this is refused: the encoders recurse, and a value that passes here must
 * not overflow a thread's stack on the way out (worker threads and the main thread differ).
 */
export const maxPlainDepth = 64;
/**
 * Values (counted along every path, as an encoder copies a shared object once per reference)
 * past which a value is refused: a few references per level would otherwise make a small object
 * graph cost the encoder, and this walk, exponential time.
 */
export const maxPlainValues = 1_000_000;

/** Built-in objects structuredClone refuses to copy. */
const uncloneable: readonly (abstract new (...args: never[]) => unknown)[] = [
  Promise,
  WeakMap,
  WeakSet,
  WeakRef,
];

/** The walk's state: the objects on the path from the root (for cycles) and their keys (for the report). */
class Walk {
  readonly ancestors: object[] = [];
  readonly keys: (string | number)[] = [];
  values = 0;
  problem: string | null = null;

  fail(what: string): false {
    this.problem = what;
    return false;
  }

  /** Where the walk is, as a path from the root (`.f`, `[2].x`), for a message. */
  get at(): string {
    if (this.keys.length === 0) return '';
    let path = '';
    for (const key of this.keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
    return ` at ${path}`;
  }
}

/**
 * Null when `value` is plain data; otherwise what is wrong and where (`what` names the value, as
 * in "the reply"). Plain data: primitives but symbols, binary views, dates, and objects, arrays,
 * maps and sets of plain data, with no cycles and no deeper than `maxPlainDepth`. Functions are
 * refused rather than dropped, as msgpackr would drop them, so what a caller gets is what the
 * machine meant.
 */
export function plainDataProblem(value: unknown, what: string): string | null {
  // The common replies (a number, a string, nothing) need no walk at all.
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return null;
  const walk = new Walk();
  return visit(value, walk) ? null : `${what} ${walk.problem}${walk.at}`;
}

function visit(value: unknown, walk: Walk): boolean {
  walk.values += 1;
  if (walk.values > maxPlainValues) return walk.fail(`holds more than ${maxPlainValues} values`);
  switch (typeof value) {
    case 'symbol':
      return walk.fail('holds a symbol');
    case 'function':
      return walk.fail('holds a function');
    case 'object':
      break;
    default:
      return true;
  }
  if (value === null) return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date) return true;
  if (walk.ancestors.length >= maxPlainDepth)
    return walk.fail(`is nested deeper than ${maxPlainDepth} levels`);
  if (walk.ancestors.includes(value)) return walk.fail('refers to itself');
  for (const kind of uncloneable) if (value instanceof kind) return walk.fail(`holds a ${kind.name}`);
  walk.ancestors.push(value);
  try {
    return visitChildren(value, walk);
  } catch (error) {
    // A getter that throws: reading the value is what an encoder would do too.
    return walk.fail(`cannot be read: ${String(error)}`);
  } finally {
    walk.ancestors.pop();
  }
}

function visitChildren(value: object, walk: Walk): boolean {
  const keys = walk.keys;
  if (Array.isArray(value)) {
    for (let position = 0; position < value.length; position += 1) {
      keys.push(position);
      if (!visit(value[position], walk)) return false;
      keys.pop();
    }
    return true;
  }
  if (value instanceof Map) {
    for (const [key, item] of value) {
      keys.push('<key>');
      if (!visit(key, walk)) return false;
      keys.pop();
      keys.push('get(…)');
      if (!visit(item, walk)) return false;
      keys.pop();
    }
    return true;
  }
  if (value instanceof Set) {
    for (const item of value) {
      keys.push('<item>');
      if (!visit(item, walk)) return false;
      keys.pop();
    }
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    keys.push(key);
    if (!visit((value as Record<string, unknown>)[key], walk)) return false;
    keys.pop();
  }
  return true;
}
