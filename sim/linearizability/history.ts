// The client history the checker reads: one record per operation a simulated client issued, what it
// saw and when. Also what the checker needs to know about such a record: whether it is well formed,
// how it splits per key, and which of its operations constrain a linearization at all.

export type Outcome = 'ok' | 'timeout' | 'failed';

export interface Operation {
  /** Unique in the history. */
  readonly id: number;
  /** A client issues one operation at a time. */
  readonly client: number;
  readonly kind: 'put' | 'get';
  readonly key: string;
  /** For a put, the value written (never null); for a get, null. */
  readonly value: string | null;
  /** Simulated time of invocation. */
  readonly invokedAt: number;
  /** Simulated time the client saw the outcome; null when the outcome is 'timeout'. */
  readonly completedAt: number | null;
  readonly outcome: Outcome;
  /** For a get with outcome 'ok', the value read (null when the key was absent); otherwise null. */
  readonly result: string | null;
}

/** Throws a TypeError naming the first operation that breaks the contract of `Operation`. */
export function validateHistory(history: readonly Operation[]): void {
  const ids = new Set<number>();
  for (const operation of history) {
    validateOperation(operation);
    if (ids.has(operation.id)) throw malformed(operation, 'its id is used by another operation too');
    ids.add(operation.id);
  }
}

function validateOperation(operation: Operation): void {
  const { kind, outcome, invokedAt, completedAt, result } = operation;
  if (typeof operation.key !== 'string') throw malformed(operation, 'key must be a string');
  if (kind !== 'put' && kind !== 'get') throw malformed(operation, `kind must be 'put' or 'get'`);
  if (outcome !== 'ok' && outcome !== 'timeout' && outcome !== 'failed') {
    throw malformed(operation, `outcome must be 'ok', 'timeout' or 'failed'`);
  }
  if (kind === 'put' && typeof operation.value !== 'string') {
    throw malformed(operation, 'a put must carry the string value it writes');
  }
  if (kind === 'get' && operation.value !== null) throw malformed(operation, 'a get carries no value');
  if (!Number.isFinite(invokedAt)) throw malformed(operation, 'invokedAt must be a finite number');
  if (outcome === 'timeout') {
    if (completedAt !== null) throw malformed(operation, 'a timed-out operation has no completedAt');
  } else if (completedAt === null || !Number.isFinite(completedAt)) {
    throw malformed(operation, `an operation with outcome '${outcome}' needs a finite completedAt`);
  } else if (completedAt < invokedAt) {
    throw malformed(operation, `completedAt ${completedAt} is before invokedAt ${invokedAt}`);
  }
  if (kind === 'get' && outcome === 'ok') {
    if (result !== null && typeof result !== 'string')
      throw malformed(operation, 'result must be a string or null');
  } else if (result !== null) {
    throw malformed(operation, 'only a get that completed ok has a result');
  }
}

function malformed(operation: Operation, problem: string): TypeError {
  return new TypeError(`malformed operation ${String(operation.id)} in history: ${problem}`);
}

/** The history split per key, keys in sorted order so that checks and verdicts are deterministic. */
export function operationsByKey(history: readonly Operation[]): ReadonlyMap<string, readonly Operation[]> {
  const unordered = new Map<string, Operation[]>();
  for (const operation of history) {
    const operations = unordered.get(operation.key);
    if (operations === undefined) unordered.set(operation.key, [operation]);
    else operations.push(operation);
  }
  const keys = [...unordered.keys()].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
  return new Map(keys.map((key) => [key, unordered.get(key) ?? []]));
}

/**
 * The operations that constrain a linearization. A failed operation did not take effect and a
 * timed-out get saw nothing, so both go. A timed-out put whose value no get read goes too: a
 * linearization that places it has no get between it and the next put (that get would have read
 * its value), so leaving it out keeps every other result intact.
 */
export function constrainingOperations(operations: readonly Operation[]): Operation[] {
  const valuesRead = new Set<string>();
  for (const operation of operations) {
    if (operation.kind === 'get' && operation.outcome === 'ok' && operation.result !== null) {
      valuesRead.add(operation.result);
    }
  }
  return operations.filter(
    (operation) =>
      operation.outcome === 'ok' ||
      (operation.outcome === 'timeout' &&
        operation.kind === 'put' &&
        operation.value !== null &&
        valuesRead.has(operation.value)),
  );
}
