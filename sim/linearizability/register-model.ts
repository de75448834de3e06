// The sequential specification each key is checked against: a register that starts absent, that a
// put overwrites and that a get must read; values interned to small integers so the search compares
// and memoizes states cheaply; and the reads the register rules out without any search.

import type { Operation } from './history.js';

/** The state of a register no put has written. */
export const absentState = 0;

/**
 * The state after a put of a value no get reads. All such values are one state to the model:
 * nothing can tell them apart, and merging them lets the search's memo treat them as one.
 */
export const unreadState = 1;

/** What `stepRegister` returns when the operation cannot take effect in the given state. */
export const illegalStep = -1;

/**
 * Gives each value a state number: null is `absentState`, values no get reads `unreadState`, the
 * others 2 onwards, so n operations need fewer than n + 2 state numbers.
 */
export class ValueTable {
  private readonly states = new Map<string, number>();
  private readonly read: ReadonlySet<string>;

  constructor(operations: readonly Operation[]) {
    const read = new Set<string>();
    for (const operation of operations) {
      if (operation.kind === 'get' && operation.outcome === 'ok' && operation.result !== null) {
        read.add(operation.result);
      }
    }
    this.read = read;
  }

  intern(value: string | null): number {
    if (value === null) return absentState;
    if (!this.read.has(value)) return unreadState;
    let state = this.states.get(value);
    if (state === undefined) {
      state = this.states.size + 2;
      this.states.set(value, state);
    }
    return state;
  }
}

/**
 * The state after applying an operation, or `illegalStep`. `argument` is the interned value a put
 * writes or a get read.
 */
export function stepRegister(state: number, isPut: boolean, argument: number): number {
  if (isPut) return argument;
  return state === argument ? state : illegalStep;
}

/** A get no linearization can explain, and the completed put that rules it out, if one does. */
export interface ImpossibleRead {
  readonly read: Operation;
  readonly overwrittenBy: Operation | undefined;
}

/**
 * A get that no linearization can explain, found without searching: every put of its value either
 * was invoked after the get completed, or completed before some other completed put began that
 * itself completed before the get began. (A read of nothing is ruled out by any completed put that
 * completed before it began.) The search would find these too, but only after trying every order
 * of the operations before them.
 */
export function impossibleRead(operations: readonly Operation[]): ImpossibleRead | undefined {
  const completedPuts = operations.filter(
    (operation) => operation.kind === 'put' && operation.outcome === 'ok',
  );
  completedPuts.sort(byInvocation);
  const firstCompleted = firstCompletedFrom(completedPuts);
  const putsOfValue = new Map<string, Operation[]>();
  for (const operation of operations) {
    if (operation.kind !== 'put' || operation.value === null) continue;
    const puts = putsOfValue.get(operation.value);
    if (puts === undefined) putsOfValue.set(operation.value, [operation]);
    else puts.push(operation);
  }
  const latestCompletions = new Map<string, number[]>();
  for (const [value, puts] of putsOfValue)
    latestCompletions.set(value, latestCompletionUpTo(puts.sort(byInvocation)));
  for (const read of operations) {
    if (read.kind !== 'get' || read.completedAt === null) continue;
    // The last moment a put the get could have read was still taking effect.
    let writtenBy = Number.NEGATIVE_INFINITY;
    if (read.result !== null) {
      const puts = putsOfValue.get(read.result) ?? [];
      const invokedInTime = countWhile(puts, (put) => put.invokedAt <= completion(read));
      if (invokedInTime === 0) return { read, overwrittenBy: undefined };
      writtenBy = latestCompletions.get(read.result)?.[invokedInTime - 1] ?? Number.POSITIVE_INFINITY;
    }
    const overwrite = firstCompleted[countWhile(completedPuts, (put) => put.invokedAt <= writtenBy)];
    if (overwrite !== undefined && completion(overwrite) < read.invokedAt) {
      return { read, overwrittenBy: overwrite };
    }
  }
  return undefined;
}

/** For each index of puts sorted by invocation, the put from there on that completed first. */
function firstCompletedFrom(puts: readonly Operation[]): Operation[] {
  const first: Operation[] = new Array(puts.length);
  let earliest: Operation | undefined;
  for (let index = puts.length - 1; index >= 0; index--) {
    const put = puts[index];
    if (put !== undefined && (earliest === undefined || completion(put) <= completion(earliest)))
      earliest = put;
    if (earliest !== undefined) first[index] = earliest;
  }
  return first;
}

/** For each index of puts sorted by invocation, the latest completion among the puts up to it. */
function latestCompletionUpTo(puts: readonly Operation[]): number[] {
  let latest = Number.NEGATIVE_INFINITY;
  return puts.map((put) => {
    latest = Math.max(latest, completion(put));
    return latest;
  });
}

function byInvocation(left: Operation, right: Operation): number {
  return left.invokedAt - right.invokedAt;
}

/** When the operation completed; a timed-out one may take effect at any time, so never. */
function completion(operation: Operation): number {
  return operation.completedAt ?? Number.POSITIVE_INFINITY;
}

/** How many leading items of a sorted array satisfy a predicate that holds for a prefix of it. */
function countWhile<Item>(items: readonly Item[], holds: (item: Item) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const item = items[middle];
    if (item !== undefined && holds(item)) low = middle + 1;
    else high = middle;
  }
  return low;
}
