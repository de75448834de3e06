// What may cross a thread or a socket: plain data, which both structuredClone and msgpackr carry.
// Values a machine returns are checked with this on every member at apply, so the check must be
// a pure function of the value: the same verdict everywhere, whatever thread runs it.

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

/**
 * Null when `value` is plain data; otherwise what is wrong and where (`what` names the value, as
 * in "the reply"). Plain data: primitives but symbols, binary views, and objects, arrays, maps
 * and sets of plain data, with no cycles and no deeper than `maxPlainDepth`. Functions are
 * refused rather than dropped, as msgpackr would drop them, so what a caller gets is what the
 * machine meant.
 */
export function plainDataProblem(value: unknown, what: string): string | null {
  const onPath = new Set<object>();
  let values = 0;
  const visit = (current: unknown, path: string, depth: number): string | null => {
    values += 1;
    if (values > maxPlainValues) return `${what} holds more than ${maxPlainValues} values`;
    switch (typeof current) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'undefined':
        return null;
      case 'symbol':
        return `${what} holds a symbol${at(path)}`;
      case 'function':
        return `${what} holds a function${at(path)}`;
      default:
        break;
    }
    if (current === null) return null;
    const object = current as object;
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer || object instanceof Date) return null;
    if (depth >= maxPlainDepth) return `${what} is nested deeper than ${maxPlainDepth} levels${at(path)}`;
    if (onPath.has(object)) return `${what} refers to itself${at(path)}`;
    for (const kind of uncloneable)
      if (object instanceof kind) return `${what} holds a ${kind.name}${at(path)}`;
    onPath.add(object);
    try {
      if (object instanceof Map) {
        for (const [key, item] of object) {
          const problem = visit(key, `${path}<key>`, depth + 1) ?? visit(item, `${path}.get(…)`, depth + 1);
          if (problem !== null) return problem;
        }
        return null;
      }
      if (object instanceof Set) {
        for (const item of object) {
          const problem = visit(item, `${path}<item>`, depth + 1);
          if (problem !== null) return problem;
        }
        return null;
      }
      if (Array.isArray(object)) {
        for (let position = 0; position < object.length; position += 1) {
          const problem = visit(object[position], `${path}[${position}]`, depth + 1);
          if (problem !== null) return problem;
        }
        return null;
      }
      for (const key of Object.keys(object)) {
        const problem = visit((object as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
        if (problem !== null) return problem;
      }
      return null;
    } catch (error) {
      // A getter that throws: reading the value is what an encoder would do too.
      return `${what} cannot be read${at(path)}: ${String(error)}`;
    } finally {
      onPath.delete(object);
    }
  };
  return visit(value, '', 0);
}

function at(path: string): string {
  return path === '' ? '' : ` at ${path}`;
}
