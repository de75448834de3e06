// The search over one key's operations against the register: Wing–Gong with Lowe's memoization
// and just-in-time linearization, plus cuts that skip orders which cannot change the verdict.

import type { Operation } from './history.js';
import { absentState, illegalStep, stepRegister, unreadState, ValueTable } from './register-model.js';

export type KeyOutcome =
  | { readonly type: 'linearizable' }
  | { readonly type: 'violation' | 'gaveUp'; readonly reason: string };

export function describe(operation: Operation): string {
  const interval = `[${operation.invokedAt}, ${operation.completedAt ?? 'never'}]`;
  const by = `by client ${operation.client} over ${interval}`;
  if (operation.kind === 'put') return `put #${operation.id} of ${JSON.stringify(operation.value)} ${by}`;
  const read = operation.result === null ? 'nothing' : JSON.stringify(operation.result);
  return `get #${operation.id} ${by} read ${read}`;
}

/**
 * The search over one key, after Lowe's "Testing for linearizability". The operations' call and
 * return events sit in one doubly linked list in time order, and linearizing an operation lifts
 * both its events out. A configuration is the set of linearized operations and the register state;
 * its candidates are the pending operations, those whose call comes before the first return left,
 * tried earliest deadline first, after Lowe's just-in-time linearization. A configuration reached
 * before is not explored again. On top of that, cuts that each keep some linearization if there is
 * one (see `collect` and `move`) stop the search from trying every order of operations whose order
 * cannot matter, which is what makes plain Wing–Gong blow up with tens of concurrent clients.
 */
export class KeySearch {
  private readonly key: string;
  /** In invocation order: operation i is bit i of the set, call event 2i and return event 2i + 1. */
  private readonly operations: readonly Operation[];
  private readonly isPut: Uint8Array;
  /** The interned value a put writes or a get read. */
  private readonly argument: Int32Array;
  /** 1 for operations that completed ok; a timed-out put need never be linearized. */
  private readonly required: Uint8Array;
  private readonly requiredCount: number;
  private requiredLeft: number;

  /** The event list, linked both ways; `head` starts and ends it. */
  private readonly next: Int32Array;
  private readonly previous: Int32Array;
  private readonly head: number;
  /** Position of each operation's return among all returns: its deadline, as a small integer. */
  private readonly deadline: Int32Array;
  private readonly operationByDeadline: Int32Array;

  /**
   * One frame per configuration on the search path: its candidates (deadlines, sorted), the
   * pending puts of unread values that a put absorbs, the operation the frame hinges on (for the
   * failure report), and the move taken from it. Each frame's runs follow the previous frame's.
   */
  private candidates: Int32Array;
  private absorbable: Int32Array;
  private readonly candidateEnd: Int32Array;
  private readonly absorbableEnd: Int32Array;
  private readonly cursor: Int32Array;
  private readonly hinge: Int32Array;
  private readonly chosen: Int32Array;
  private readonly stateBefore: Int32Array;

  /** Per state number, the puts that could still write it and the gets that still have to read it. */
  private readonly putsLeft: Int32Array;
  private readonly getsLeft: Int32Array;
  /**
   * How many values some get still has to read that neither the state holds nor a put left can
   * write. Above zero the configuration is dead, however the remaining puts are ordered.
   */
  private starved = 0;

  /** Walks of the event list so far; each marks the arrays below with its number. */
  private walks = 0;
  private readonly putSeen: Int32Array;
  private readonly pendingIn: Int32Array;
  private readonly readPending: Int32Array;
  private readonly optionalChosen: Int32Array;
  /** Scratch for the timed-out puts a walk passes, kept until it knows which values are read. */
  private readonly optionalPuts: Int32Array;

  private readonly linearized: Uint32Array;
  private readonly seen = new Set<string>();
  private readonly keyUnits: number[] = [];

  constructor(key: string, operations: readonly Operation[]) {
    this.key = key;
    this.operations = [...operations].sort(
      (left, right) => left.invokedAt - right.invokedAt || left.id - right.id,
    );
    const count = this.operations.length;
    const states = count + 2;
    const values = new ValueTable(this.operations);
    this.isPut = new Uint8Array(count);
    this.argument = new Int32Array(count);
    this.required = new Uint8Array(count);
    this.putsLeft = new Int32Array(states);
    this.getsLeft = new Int32Array(states);
    let requiredCount = 0;
    for (const [index, operation] of this.operations.entries()) {
      const isPut = operation.kind === 'put';
      const value = values.intern(isPut ? operation.value : operation.result);
      const required = operation.outcome === 'ok' ? 1 : 0;
      this.isPut[index] = isPut ? 1 : 0;
      this.argument[index] = value;
      this.required[index] = required;
      requiredCount += required;
      if (isPut) this.putsLeft[value] = (this.putsLeft[value] ?? 0) + 1;
      else this.getsLeft[value] = (this.getsLeft[value] ?? 0) + required;
    }
    this.requiredCount = requiredCount;
    this.requiredLeft = requiredCount;
    for (let value = 0; value < states; value++) this.starved += this.starvation(value, absentState);
    this.head = 2 * count;
    this.next = new Int32Array(2 * count + 1);
    this.previous = new Int32Array(2 * count + 1);
    this.deadline = new Int32Array(count);
    this.operationByDeadline = new Int32Array(count);
    this.candidates = new Int32Array(Math.max(64, 2 * count));
    this.absorbable = new Int32Array(Math.max(64, 2 * count));
    this.candidateEnd = new Int32Array(count + 1);
    this.absorbableEnd = new Int32Array(count + 1);
    this.cursor = new Int32Array(count + 1);
    this.hinge = new Int32Array(count + 1);
    this.chosen = new Int32Array(count);
    this.stateBefore = new Int32Array(count);
    this.putSeen = new Int32Array(states);
    this.pendingIn = new Int32Array(count);
    this.readPending = new Int32Array(states);
    this.optionalChosen = new Int32Array(states);
    this.optionalPuts = new Int32Array(count);
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
    let depth = 0;
    let state = absentState;
    // The most completed operations linearized when a frame ran out of candidates, what that frame
    // hinged on, and a get that still needed its state: the report's best hint at what went wrong.
    let deepest = -1;
    let blocker = -1;
    let reader = -1;
    this.collect(0, state);
    for (let steps = 0; this.requiredLeft > 0; steps++) {
      if (steps === maxSteps) return this.gaveUp(maxSteps);
      const cursor = this.cursor[depth] ?? 0;
      if (cursor < (this.candidateEnd[depth] ?? 0)) {
        this.cursor[depth] = cursor + 1;
        const operation = this.operationByDeadline[this.candidates[cursor] ?? 0] ?? 0;
        const after = this.move(depth, operation, state);
        if (after === illegalStep) continue;
        this.chosen[depth] = operation;
        this.stateBefore[depth] = state;
        state = after;
        depth++;
        this.collect(depth, state);
        continue;
      }
      if (this.requiredCount - this.requiredLeft > deepest) {
        deepest = this.requiredCount - this.requiredLeft;
        blocker = this.hinge[depth] ?? -1;
        reader = this.lastReaderOf(state);
      }
      if (depth === 0) return this.violation(deepest, blocker, reader);
      depth--;
      const before = this.stateBefore[depth] ?? absentState;
      this.unmove(depth, this.chosen[depth] ?? 0, before, state);
      state = before;
    }
    return { type: 'linearizable' };
  }

  /**
   * Fills the frame at `depth`: its candidates and what it absorbs. The cuts, each keeping some
   * linearization if there is one:
   * - a pending get that reads the current state is the only candidate: moving a read earlier, to
   *   a moment with the same state, breaks nothing;
   * - a pending put of a value no get reads is no candidate of its own, unless it is due first:
   *   only a put can follow it, so it goes in with that put (see `move`);
   * - a timed-out put is a candidate only if a pending get reads its value (else whatever follows
   *   overwrites it unread, and it may as well be left out), and only one per value, since two
   *   pending puts of one value that both return at +infinity are interchangeable;
   * - the frame is dead, with no candidates, when a get must read a value the state does not hold
   *   and no put left was invoked before that get completed. To see that, the walk goes on past
   *   the pending operations as far as the last return of a pending get.
   */
  private collect(depth: number, state: number): void {
    const { next, head } = this;
    const start = depth === 0 ? 0 : (this.candidateEnd[depth - 1] ?? 0);
    const absorbableStart = depth === 0 ? 0 : (this.absorbableEnd[depth - 1] ?? 0);
    const stamp = ++this.walks;
    this.cursor[depth] = start;
    this.candidateEnd[depth] = start;
    this.absorbableEnd[depth] = absorbableStart;
    let end = start;
    let absorbableEnd = absorbableStart;
    let pending = true;
    let unchecked = 0;
    let optional = 0;
    for (let event = next[head] ?? head; event !== head; event = next[event] ?? head) {
      const operation = event >> 1;
      const value = this.argument[operation] ?? 0;
      const isPut = this.isPut[operation] === 1;
      if ((event & 1) === 0) {
        if (isPut) this.putSeen[value] = stamp;
        if (!pending) continue;
        if (!isPut && value === state) {
          this.candidateEnd[depth] = this.insertCandidate(start, start, operation);
          this.hinge[depth] = operation;
          return;
        }
        if (!isPut) {
          unchecked++;
          this.pendingIn[operation] = stamp;
          this.readPending[value] = stamp;
        } else if (this.required[operation] === 0) {
          this.optionalPuts[optional++] = operation;
          continue;
        } else if (value === unreadState) {
          absorbableEnd = this.appendAbsorbable(absorbableEnd, operation);
          continue;
        }
        end = this.insertCandidate(start, end, operation);
        continue;
      }
      if (pending) {
        pending = false;
        this.hinge[depth] = operation;
        if (isPut && value === unreadState) end = this.insertCandidate(start, end, operation);
      }
      if (isPut || value === state) continue;
      if (this.putSeen[value] !== stamp) {
        this.hinge[depth] = operation;
        return;
      }
      if (this.pendingIn[operation] === stamp && --unchecked === 0) break;
    }
    for (let index = 0; index < optional; index++) {
      const operation = this.optionalPuts[index] ?? 0;
      const value = this.argument[operation] ?? 0;
      if (this.readPending[value] !== stamp || this.optionalChosen[value] === stamp) continue;
      this.optionalChosen[value] = stamp;
      end = this.insertCandidate(start, end, operation);
    }
    this.candidateEnd[depth] = end;
    this.absorbableEnd[depth] = absorbableEnd;
  }

  /** Inserts an operation's deadline into the sorted run from `start` to `end`; returns the new end. */
  private insertCandidate(start: number, end: number, operation: number): number {
    if (end === this.candidates.length) this.candidates = grown(this.candidates);
    const deadline = this.deadline[operation] ?? 0;
    let slot = end;
    for (; slot > start && (this.candidates[slot - 1] ?? 0) > deadline; slot--) {
      this.candidates[slot] = this.candidates[slot - 1] ?? 0;
    }
    this.candidates[slot] = deadline;
    return end + 1;
  }

  private appendAbsorbable(end: number, operation: number): number {
    if (end === this.absorbable.length) this.absorbable = grown(this.absorbable);
    this.absorbable[end] = operation;
    return end + 1;
  }

  /**
   * Linearizes the operation, preceded, if it is a put, by every pending put of an unread value:
   * those are only ever overwritten unread, so placing them now, just before a put, is as good as
   * any later place. Returns the state after, or `illegalStep` having changed nothing when the
   * register refuses, the configuration reached is dead, or it was explored before.
   */
  private move(depth: number, operation: number, state: number): number {
    const after = stepRegister(state, this.isPut[operation] === 1, this.argument[operation] ?? 0);
    if (after === illegalStep) return illegalStep;
    let current = state;
    if (this.isPut[operation] === 1) {
      const start = depth === 0 ? 0 : (this.absorbableEnd[depth - 1] ?? 0);
      for (let index = start; index < (this.absorbableEnd[depth] ?? 0); index++) {
        const absorbed = this.absorbable[index] ?? 0;
        if (absorbed === operation) continue;
        this.linearize(absorbed, current, unreadState);
        current = unreadState;
      }
    }
    this.linearize(operation, current, after);
    if (this.starved === 0 && this.remember(after)) return after;
    this.unmove(depth, operation, state, after);
    return illegalStep;
  }

  /** Undoes `move`, in reverse order so that the event list's links still hold. */
  private unmove(depth: number, operation: number, before: number, after: number): void {
    const start = depth === 0 ? 0 : (this.absorbableEnd[depth - 1] ?? 0);
    const end = this.isPut[operation] === 1 ? (this.absorbableEnd[depth] ?? 0) : start;
    let first = start;
    while (first < end && this.absorbable[first] === operation) first++;
    this.unlinearize(operation, after, first < end ? unreadState : before);
    for (let index = end - 1; index >= first; index--) {
      const absorbed = this.absorbable[index] ?? 0;
      if (absorbed !== operation)
        this.unlinearize(absorbed, unreadState, index === first ? before : unreadState);
    }
  }

  private linearize(operation: number, from: number, to: number): void {
    this.transition(operation, -1, from, to);
    const word = operation >>> 5;
    this.linearized[word] = (this.linearized[word] ?? 0) | (1 << (operation & 31));
    this.lift(2 * operation);
  }

  private unlinearize(operation: number, from: number, to: number): void {
    this.unlift(2 * operation);
    const word = operation >>> 5;
    this.linearized[word] = (this.linearized[word] ?? 0) & ~(1 << (operation & 31));
    this.transition(operation, 1, from, to);
  }

  /**
   * Moves an operation out of (delta -1) or back into (delta 1) the unlinearized ones while the
   * register goes from one state to another, keeping `requiredLeft` and `starved` current. Only
   * those two states can change starvation: a put's value is the state after it, a get's the state
   * it read.
   */
  private transition(operation: number, delta: number, from: number, to: number): void {
    this.requiredLeft += delta * (this.required[operation] ?? 0);
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

  /** Records the current configuration; false if it was recorded before. */
  private remember(state: number): boolean {
    const configuration = this.configurationKey(state);
    if (this.seen.has(configuration)) return false;
    this.seen.add(configuration);
    return true;
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

  /**
   * An unlinearized get that reads the state when no put left can write it again: overwriting the
   * state would leave that get unexplained. -1 if there is none; only the failure report asks.
   */
  private lastReaderOf(state: number): number {
    if ((this.getsLeft[state] ?? 0) === 0 || this.putsLeft[state] !== 0) return -1;
    return this.operations.findIndex(
      (_, operation) =>
        this.isPut[operation] === 0 &&
        this.required[operation] === 1 &&
        this.argument[operation] === state &&
        ((this.linearized[operation >>> 5] ?? 0) & (1 << (operation & 31))) === 0,
    );
  }

  private violation(deepest: number, blocker: number, reader: number): KeyOutcome {
    const stuck = this.operations[blocker];
    const waiting = this.operations[reader];
    let hint = '';
    if (stuck !== undefined) hint = `; then ${describe(stuck)} cannot take effect before it completes`;
    if (stuck !== undefined && waiting !== undefined && waiting !== stuck) {
      hint += `, because ${describe(waiting)} still needs the value then current and no put left writes it`;
    }
    return {
      type: 'violation',
      reason:
        `key ${JSON.stringify(this.key)}: no linearization exists. At best ${deepest} of its ` +
        `${this.requiredCount} completed operations can be ordered consistently with real time and ` +
        `the register${hint}`,
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

function grown(buffer: Int32Array): Int32Array {
  const larger = new Int32Array(2 * buffer.length);
  larger.set(buffer);
  return larger;
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
