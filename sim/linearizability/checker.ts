// The linearizability checker: splits a history per key (P-compositionality) and runs the
// Wing–Gong search with Lowe's memoization on each key against the register model. A search that
// runs out of budget gives up, and giving up is reported as such, never as a pass.

import { constrainingOperations, type Operation, operationsByKey, validateHistory } from './history.js';
import { absentState, illegalStep, stepRegister, ValueTable } from './register-model.js';

export type Verdict =
  | { readonly linearizable: true; readonly keys: number; readonly operations: number }
  | {
      readonly linearizable: false;
      readonly gaveUp: false;
      readonly key: string;
      readonly reason: string;
      /** The key's sub-history as recorded, for the failure report. */
      readonly operations: readonly Operation[];
    }
  | { readonly linearizable: false; readonly gaveUp: true; readonly key: string; readonly reason: string };

export interface CheckOptions {
  /** Search steps allowed per key before the checker gives up; defaults to `defaultMaxSteps`. */
  readonly maxSteps?: number;
}

/**
 * Enough for keys with a few thousand operations from tens of concurrent clients, which take far
 * fewer steps, while bounding a pathological key to a few seconds and a few hundred megabytes.
 */
export const defaultMaxSteps = 2_000_000;

type KeyOutcome =
  | { readonly type: 'linearizable' }
  | { readonly type: 'violation' | 'gaveUp'; readonly reason: string };

/**
 * Whether the history is linearizable against one register per key. `operations` in a passing
 * verdict counts the operations that constrained the search: failed operations, timed-out gets and
 * timed-out puts nobody read are left out.
 */
export function checkLinearizable(history: readonly Operation[], options: CheckOptions = {}): Verdict {
  validateHistory(history);
  const maxSteps = options.maxSteps ?? defaultMaxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new TypeError(`maxSteps must be a positive integer, got ${String(maxSteps)}`);
  }
  const byKey = operationsByKey(history);
  let checked = 0;
  for (const [key, recorded] of byKey) {
    const constraining = constrainingOperations(recorded);
    checked += constraining.length;
    const outcome = checkKey(key, constraining, maxSteps);
    if (outcome.type === 'gaveUp') return { linearizable: false, gaveUp: true, key, reason: outcome.reason };
    if (outcome.type === 'violation') {
      return { linearizable: false, gaveUp: false, key, reason: outcome.reason, operations: recorded };
    }
  }
  return { linearizable: true, keys: byKey.size, operations: checked };
}

function checkKey(key: string, operations: readonly Operation[], maxSteps: number): KeyOutcome {
  const unexplained = unexplainedRead(operations);
  if (unexplained !== undefined) {
    return {
      type: 'violation',
      reason:
        `key ${JSON.stringify(key)}: ${describe(unexplained)}, but no put of that value that could ` +
        'have taken effect was invoked before the get completed',
    };
  }
  return new KeySearch(key, operations).run(maxSteps);
}

/**
 * A get that read a value no put could have written in time. The search would find it too, but
 * only after trying every order of the operations before it, which can exhaust the budget.
 */
function unexplainedRead(operations: readonly Operation[]): Operation | undefined {
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
      operation.result !== null &&
      !((earliestPut.get(operation.result) ?? Number.POSITIVE_INFINITY) <= (operation.completedAt ?? 0)),
  );
}

function describe(operation: Operation): string {
  const interval = `[${operation.invokedAt}, ${operation.completedAt ?? 'never'}]`;
  const by = `by client ${operation.client} over ${interval}`;
  if (operation.kind === 'put') return `put #${operation.id} of ${JSON.stringify(operation.value)} ${by}`;
  const read = operation.result === null ? 'nothing' : JSON.stringify(operation.result);
  return `get #${operation.id} ${by} read ${read}`;
}

/**
 * The search over one key, after Lowe's "Testing for linearizability". The operations' call and
 * return events sit in one doubly linked list in time order; linearizing an operation lifts both
 * events out. At each configuration the candidates are the pending operations, those whose call
 * comes before the first return left in the list, and they are tried earliest deadline first, as in
 * Lowe's just-in-time linearization: trying them in invocation order, as plain Wing–Gong does,
 * linearizes long puts too early and backtracks through every order of what came after. A
 * configuration (set of linearized operations, register state) reached before is not explored
 * again. Operation i is bit i of the set, call event 2i and return event 2i + 1; a timed-out put
 * returns at +infinity, so it is tried last and need never be linearized.
 */
class KeySearch {
  private readonly key: string;
  private readonly operations: readonly Operation[];
  private readonly isPut: Uint8Array;
  private readonly argument: Int32Array;
  private readonly required: Uint8Array;
  private readonly requiredCount: number;
  private readonly next: Int32Array;
  private readonly previous: Int32Array;
  private readonly head: number;
  /** Position of each operation's return among all returns: its deadline, as a small integer. */
  private readonly deadline: Int32Array;
  private readonly operationByDeadline: Int32Array;
  /** The candidates of every configuration on the search path, each run sorted by deadline. */
  private candidates: Int32Array;
  /** Per interned value, the puts that could still write it and the gets that still have to read it. */
  private readonly putsLeft: Int32Array;
  private readonly getsLeft: Int32Array;
  /**
   * How many values some get still has to read that neither the state holds nor a put left can
   * write. Above zero the configuration is dead, so the search backtracks at once instead of
   * trying every order of the puts that remain, which are always legal and never help.
   */
  private starved = 0;
  private readonly linearized: Uint32Array;
  private readonly seen = new Set<string>();
  private readonly keyUnits: number[] = [];

  constructor(key: string, operations: readonly Operation[]) {
    this.key = key;
    this.operations = [...operations].sort(
      (left, right) => left.invokedAt - right.invokedAt || left.id - right.id,
    );
    const count = this.operations.length;
    const values = new ValueTable();
    this.isPut = new Uint8Array(count);
    this.argument = new Int32Array(count);
    this.required = new Uint8Array(count);
    let requiredCount = 0;
    for (const [index, operation] of this.operations.entries()) {
      this.isPut[index] = operation.kind === 'put' ? 1 : 0;
      this.argument[index] = values.intern(operation.kind === 'put' ? operation.value : operation.result);
      this.required[index] = operation.outcome === 'ok' ? 1 : 0;
      requiredCount += this.required[index];
    }
    this.requiredCount = requiredCount;
    this.putsLeft = new Int32Array(count + 1);
    this.getsLeft = new Int32Array(count + 1);
    for (let operation = 0; operation < count; operation++) {
      const value = this.argument[operation] ?? 0;
      if (this.isPut[operation] === 1) this.putsLeft[value] = (this.putsLeft[value] ?? 0) + 1;
      else if (this.required[operation] === 1) this.getsLeft[value] = (this.getsLeft[value] ?? 0) + 1;
    }
    for (let value = 0; value <= count; value++) this.starved += this.starvation(value, absentState);
    this.head = 2 * count;
    this.next = new Int32Array(2 * count + 1);
    this.previous = new Int32Array(2 * count + 1);
    this.deadline = new Int32Array(count);
    this.operationByDeadline = new Int32Array(count);
    this.candidates = new Int32Array(Math.max(64, 4 * count));
    this.linearized = new Uint32Array(Math.ceil(count / 32));
    this.linkEvents();
  }

  /** Links the events in time order; at equal times calls come first, so equal times overlap. */
  private linkEvents(): void {
    const count = this.operations.length;
    const time = new Float64Array(2 * count);
    for (const [index, operation] of this.operations.entries()) {
      time[2 * index] = operation.invokedAt;
      time[2 * index + 1] = operation.completedAt ?? Number.POSITIVE_INFINITY;
    }
    const events = Array.from({ length: 2 * count }, (_, event) => event);
    events.sort((left, right) => {
      const leftTime = time[left] ?? 0;
      const rightTime = time[right] ?? 0;
      if (leftTime !== rightTime) return leftTime < rightTime ? -1 : 1;
      return (left & 1) - (right & 1) || left - right;
    });
    let last = this.head;
    let returns = 0;
    for (const event of events) {
      this.next[last] = event;
      this.previous[event] = last;
      last = event;
      if ((event & 1) === 1) {
        this.deadline[event >> 1] = returns;
        this.operationByDeadline[returns++] = event >> 1;
      }
    }
    this.next[last] = this.head;
    this.previous[this.head] = last;
  }

  run(maxSteps: number): KeyOutcome {
    const count = this.operations.length;
    const { required } = this;
    const linearizedAt = new Int32Array(count);
    const stateBefore = new Int32Array(count);
    const frameEnd = new Int32Array(count + 1);
    const frameCursor = new Int32Array(count + 1);
    let depth = 0;
    let state = absentState;
    let requiredLeft = this.requiredCount;
    // The most completed operations linearized when a configuration ran out of candidates, and the
    // operation due first there: the failure report's best hint at where the history goes wrong.
    let deepest = -1;
    let blocker = -1;
    frameEnd[0] = this.collectCandidates(0, absentState);
    for (let steps = 0; requiredLeft > 0; steps++) {
      if (steps === maxSteps) return this.gaveUp(maxSteps);
      const cursor = frameCursor[depth] ?? 0;
      if (cursor < (frameEnd[depth] ?? 0)) {
        frameCursor[depth] = cursor + 1;
        const operation = this.operationByDeadline[this.candidates[cursor] ?? 0] ?? 0;
        const after = stepRegister(state, this.isPut[operation] === 1, this.argument[operation] ?? 0);
        if (after === illegalStep) continue;
        this.transition(operation, -1, state, after);
        if (this.starved > 0 || !this.markIfNew(operation, after)) {
          this.transition(operation, 1, after, state);
          continue;
        }
        linearizedAt[depth] = operation;
        stateBefore[depth] = state;
        state = after;
        this.lift(2 * operation);
        requiredLeft -= required[operation] ?? 0;
        const start = frameEnd[depth] ?? 0;
        depth++;
        frameCursor[depth] = start;
        frameEnd[depth] = this.collectCandidates(start, state);
      } else {
        if (this.requiredCount - requiredLeft > deepest) {
          deepest = this.requiredCount - requiredLeft;
          const dueFirst = this.candidates[depth === 0 ? 0 : (frameEnd[depth - 1] ?? 0)] ?? 0;
          blocker = this.operationByDeadline[dueFirst] ?? -1;
        }
        if (depth === 0) return this.violation(deepest, blocker);
        depth--;
        const undone = linearizedAt[depth] ?? 0;
        const restored = stateBefore[depth] ?? absentState;
        this.transition(undone, 1, state, restored);
        state = restored;
        this.clearBit(undone);
        this.unlift(2 * undone);
        requiredLeft += required[undone] ?? 0;
      }
    }
    return { type: 'linearizable' };
  }

  /**
   * Writes the deadlines of the pending operations from `start` on, sorted by insertion (there are
   * only as many as there are concurrent clients), and returns where they end; or returns `start`
   * when the configuration is dead because a get must read a value the state does not hold and no
   * put left was invoked before that get completed. The walk goes on past the pending operations
   * only as far as the last return of a pending get that still needs such a put.
   */
  private collectCandidates(start: number, state: number): number {
    const { next, head } = this;
    const stamp = ++this.walks;
    let end = start;
    let pending = true;
    let unchecked = 0;
    for (let event = next[head] ?? head; event !== head; event = next[event] ?? head) {
      const operation = event >> 1;
      const value = this.argument[operation] ?? 0;
      const isPut = this.isPut[operation] === 1;
      if ((event & 1) === 0) {
        if (isPut) this.putSeen[value] = stamp;
        if (!pending) continue;
        if (!isPut && value !== state) unchecked++;
        end = this.insertCandidate(start, end, this.deadline[operation] ?? 0);
        continue;
      }
      pending = false;
      if (isPut || value === state) continue;
      if (this.putSeen[value] !== stamp) return start;
      if (this.candidateCall(operation, start, end) && --unchecked === 0) break;
    }
    return end;
  }
  /**
   * Moves an operation out of (delta -1) or back into (delta 1) the unlinearized ones while the
   * register goes from one state to another, keeping `starved` current. Only the two states can
   * change starvation: a put's value is the state after it, a get's the state it read.
   */
  private transition(operation: number, delta: number, from: number, to: number): void {
    this.starved -= this.starvation(from, from) + (to === from ? 0 : this.starvation(to, from));
    const value = this.argument[operation] ?? 0;
    if (this.isPut[operation] === 1) this.putsLeft[value] = (this.putsLeft[value] ?? 0) + delta;
    else if (this.required[operation] === 1) this.getsLeft[value] = (this.getsLeft[value] ?? 0) + delta;
    this.starved += this.starvation(from, to) + (to === from ? 0 : this.starvation(to, to));
  }

  /** 1 when a get still has to read the value but neither the state nor any put left can give it. */
  private starvation(value: number, state: number): number {
    return value !== state && (this.getsLeft[value] ?? 0) > 0 && this.putsLeft[value] === 0 ? 1 : 0;
  }

  /** Adds the operation to the linearized set unless that configuration was explored before. */
  private markIfNew(operation: number, state: number): boolean {
    const word = operation >>> 5;
    const bit = 1 << (operation & 31);
    this.linearized[word] = (this.linearized[word] ?? 0) | bit;
    const configuration = this.configurationKey(state);
    if (this.seen.has(configuration)) {
      this.clearBit(operation);
      return false;
    }
    this.seen.add(configuration);
    return true;
  }

  private clearBit(operation: number): void {
    const word = operation >>> 5;
    this.linearized[word] = (this.linearized[word] ?? 0) & ~(1 << (operation & 31));
  }

  /**
   * The memo key of (linearized set, state) as 16-bit code units: the state, the number of words
   * up to the last non-zero one, then index and value of each word that is not all ones. Operations
   * are numbered in invocation order, so the words behind the search's frontier are full and the
   * key stays as short as the window of concurrent operations, not the history.
   */
  private configurationKey(state: number): string {
    const { linearized, keyUnits } = this;
    let length = linearized.length;
    while (length > 0 && linearized[length - 1] === 0) length--;
    keyUnits.length = 0;
    keyUnits.push(state & 0xffff, state >>> 16, length & 0xffff, length >>> 16);
    for (let index = 0; index < length; index++) {
      const word = linearized[index] ?? 0;
      if (word !== 0xffffffff) keyUnits.push(index & 0xffff, index >>> 16, word & 0xffff, word >>> 16);
    }
    return codeUnitsToString(keyUnits);
  }

  /** Takes an operation's call event and its return event out of the list. */
  private lift(call: number): void {
    this.unlink(call);
    this.unlink(call + 1);
  }

  /** Puts back what `lift` took out; lifts are undone in reverse order, so the links still hold. */
  private unlift(call: number): void {
    this.relink(call + 1);
    this.relink(call);
  }

  private unlink(event: number): void {
    const before = this.previous[event] ?? this.head;
    const after = this.next[event] ?? this.head;
    this.next[before] = after;
    this.previous[after] = before;
  }

  private relink(event: number): void {
    this.next[this.previous[event] ?? this.head] = event;
    this.previous[this.next[event] ?? this.head] = event;
  }

  private violation(deepest: number, blocker: number): KeyOutcome {
    const stuck = this.operations[blocker];
    const where =
      stuck === undefined ? '' : `, and then ${describe(stuck)} cannot take effect before it completes`;
    return {
      type: 'violation',
      reason:
        `key ${JSON.stringify(this.key)}: no linearization exists; at most ${deepest} of its ` +
        `${this.requiredCount} completed operations can be ordered consistently with real time and ` +
        `the register${where}`,
    };
  }

  private gaveUp(maxSteps: number): KeyOutcome {
    return {
      type: 'gaveUp',
      reason:
        `key ${JSON.stringify(this.key)}: search budget of ${maxSteps} steps exhausted on ` +
        `${this.operations.length} operations; the history is neither confirmed nor refuted`,
    };
  }
}

/** `String.fromCharCode` in chunks, since spreading a long array overflows the argument limit. */
function codeUnitsToString(units: number[]): string {
  const chunk = 8192;
  if (units.length <= chunk) return String.fromCharCode.apply(null, units);
  let text = '';
  for (let start = 0; start < units.length; start += chunk) {
    text += String.fromCharCode.apply(null, units.slice(start, start + chunk));
  }
  return text;
}
