// The sequential specification each key is checked against: a register that starts absent, that a
// put overwrites and that a get must read. Values are interned to small integers so the search
// compares and memoizes states without touching strings.

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

/**
 * A get that read a value no put could have written in time: no put of it (among operations that
 * may have taken effect) was invoked before the get completed. The search would find this too, but
 * only after trying every order of the operations before it.
 */
export function unexplainedRead(operations: readonly Operation[]): Operation | undefined {
  const earliestPut = new Map<string, number>();
  for (const operation of operations) {
    if (operation.kind !== 'put' || operation.value === null) continue;
    const earliest = earliestPut.get(operation.value);
    if (earliest === undefined || operation.invokedAt < earliest) {
      earliestPut.set(operation.value, operation.invokedAt);
    }
  }
  return operations.find(
    (operation) =>
      operation.kind === 'get' &&
      operation.completedAt !== null &&
      operation.result !== null &&
      !((earliestPut.get(operation.result) ?? Number.POSITIVE_INFINITY) <= operation.completedAt),
  );
}
