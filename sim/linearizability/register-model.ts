// The sequential specification each key is checked against: a register that starts absent, that a
// put overwrites and that a get must read. Values are interned to small integers so the search
// compares and memoizes states without touching strings.

/** The state of a register no put has written. */
export const absentState = 0;

/** What `stepRegister` returns when the operation cannot take effect in the given state. */
export const illegalStep = -1;

/** Gives each distinct value a state number; null (absent) is always `absentState`. */
export class ValueTable {
  private readonly states = new Map<string, number>();

  intern(value: string | null): number {
    if (value === null) return absentState;
    let state = this.states.get(value);
    if (state === undefined) {
      state = this.states.size + 1;
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
