// Proves the linearizability checker's semantics: which histories it accepts and rejects, how
// timeouts and failures count, that it gives up rather than guess, and that histories recorded
// from real sequential executions pass while a corrupted read does not.

import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  type Operation,
  type Outcome,
  type Verdict,
} from '../../sim/linearizability/index.js';

interface Placement {
  readonly key?: string;
  readonly client?: number;
  readonly outcome?: Outcome;
}

/** A put; without a completion time it timed out, otherwise it completed ok unless told otherwise. */
function put(
  id: number,
  value: string,
  invokedAt: number,
  completedAt: number | null,
  placement: Placement = {},
): Operation {
  return {
    id,
    client: placement.client ?? id,
    kind: 'put',
    key: placement.key ?? 'k',
    value,
    invokedAt,
    completedAt,
    outcome: placement.outcome ?? (completedAt === null ? 'timeout' : 'ok'),
    result: null,
  };
}

/** A get that read `result`; without a completion time it timed out and read nothing. */
function get(
  id: number,
  result: string | null,
  invokedAt: number,
  completedAt: number | null,
  placement: Placement = {},
): Operation {
  return {
    id,
    client: placement.client ?? id,
    kind: 'get',
    key: placement.key ?? 'k',
    value: null,
    invokedAt,
    completedAt,
    outcome: placement.outcome ?? (completedAt === null ? 'timeout' : 'ok'),
    result,
  };
}

function expectLinearizable(verdict: Verdict): void {
  expect(verdict).toMatchObject({ linearizable: true });
}

function expectViolation(verdict: Verdict, key = 'k'): void {
  expect(verdict).toMatchObject({ linearizable: false, gaveUp: false, key });
}

describe('checkLinearizable accepts', () => {
  it('a sequential history of puts and gets on one key', () => {
    const verdict = checkLinearizable([
      get(1, null, 0, 1),
      put(2, 'a', 2, 3),
      get(3, 'a', 4, 5),
      put(4, 'b', 6, 7),
      get(5, 'b', 8, 9),
    ]);
    expect(verdict).toEqual({ linearizable: true, keys: 1, operations: 5 });
  });

  it('a get concurrent with a put that reads the old value', () => {
    expectLinearizable(checkLinearizable([put(1, 'a', 0, 1), put(2, 'b', 2, 6), get(3, 'a', 3, 4)]));
  });

  it('a get concurrent with a put that reads the new value', () => {
    expectLinearizable(checkLinearizable([put(1, 'a', 0, 1), put(2, 'b', 2, 6), get(3, 'b', 3, 4)]));
  });

  it('operations touching at one instant as concurrent, so a get may read a put invoked as it completes', () => {
    expectLinearizable(checkLinearizable([get(1, 'a', 0, 5), put(2, 'a', 5, 9)]));
  });

  it('overlapping puts with reads consistent with one order of them', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 10, { client: 1 }),
      put(2, 'b', 1, 11, { client: 2 }),
      get(3, 'a', 2, 3, { client: 3 }),
      get(4, 'b', 4, 5, { client: 3 }),
      get(5, 'b', 6, 7, { client: 4 }),
      get(6, 'b', 12, 13, { client: 3 }),
    ]);
    expectLinearizable(verdict);
  });

  it('interleaved operations on many keys, checking each key on its own', () => {
    const history: Operation[] = [];
    let id = 0;
    for (let round = 0; round < 10; round++) {
      for (const key of ['e', 'c', 'a', 'd', 'b']) {
        const time = round * 10;
        history.push(put(id++, `${key}${round}`, time, time + 6, { key }));
        history.push(get(id++, round === 0 ? null : `${key}${round - 1}`, time + 1, time + 3, { key }));
        history.push(get(id++, `${key}${round}`, time + 7, time + 8, { key }));
      }
    }
    expect(checkLinearizable(history)).toEqual({ linearizable: true, keys: 5, operations: 150 });
  });
});

describe('checkLinearizable rejects', () => {
  it('a stale read of the initial value after a put completed', () => {
    expectViolation(checkLinearizable([put(1, 'a', 0, 1), get(2, null, 2, 3)]));
  });

  it('a read of a value never written', () => {
    expectViolation(checkLinearizable([put(1, 'a', 0, 1), get(2, 'z', 0, 3)]));
  });

  it('sequential reads that observe two concurrent puts in contradictory orders', () => {
    const verdict = checkLinearizable([
      put(1, '1', 0, 10, { client: 1 }),
      put(2, '2', 0, 10, { client: 2 }),
      get(3, '1', 1, 2, { client: 3 }),
      get(4, '2', 3, 4, { client: 3 }),
      get(5, '2', 1, 2, { client: 4 }),
      get(6, '1', 3, 4, { client: 4 }),
    ]);
    expectViolation(verdict);
  });

  it('a read from the future: a value whose put was invoked after the read completed', () => {
    expectViolation(checkLinearizable([get(1, 'a', 0, 1), put(2, 'a', 2, 3)]));
  });

  it('a lost write: a later read sees the older value with no concurrent writer', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 1),
      put(2, 'b', 2, 3),
      get(3, 'b', 4, 5),
      get(4, 'a', 6, 7),
    ]);
    expectViolation(verdict);
  });

  it('with a reason naming the key, the stale read and the put that overwrote its value', () => {
    const verdict = checkLinearizable([put(1, 'a', 0, 1), put(2, 'b', 2, 3), get(3, 'a', 4, 5)]);
    expectViolation(verdict);
    const reason = verdict.linearizable ? '' : verdict.reason;
    expect(reason).toMatch(/^key "k": get #3 .* put #2 /);
  });

  it('with a reason naming the operations the search could not order', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 1),
      put(2, 'b', 2, 10),
      get(3, 'b', 3, 4),
      get(4, 'a', 5, 6),
    ]);
    expectViolation(verdict);
    const reason = verdict.linearizable ? '' : verdict.reason;
    expect(reason).toMatch(/^key "k": no linearization exists.* get #3 .* get #4 /);
  });

  it('the first failing key in sorted order, with its sub-history for the report', () => {
    const keyA = [put(3, 'a', 0, 1, { key: 'a' }), get(4, null, 2, 3, { key: 'a' })];
    const keyB = [put(1, 'b', 0, 1, { key: 'b' }), get(2, null, 2, 3, { key: 'b' })];
    const verdict = checkLinearizable([...keyB, ...keyA, get(5, null, 0, 1, { key: 'c' })]);
    expect(verdict).toEqual({
      linearizable: false,
      gaveUp: false,
      key: 'a',
      reason: expect.any(String),
      operations: keyA,
    });
  });
});

describe('checkLinearizable treats timeouts and failures', () => {
  it('a timed-out put that a later read observes as applied', () => {
    expectLinearizable(checkLinearizable([put(1, 'a', 0, 1), put(2, 'b', 2, null), get(3, 'b', 5, 6)]));
  });

  it('a timed-out put that no read observes as never applied', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 1),
      put(2, 'b', 2, null),
      get(3, 'a', 5, 6),
      get(4, 'a', 9, 10),
    ]);
    expect(verdict).toEqual({ linearizable: true, keys: 1, operations: 3 });
  });

  it('a timed-out put as able to take effect long after reads that missed it', () => {
    expectLinearizable(checkLinearizable([put(1, 'b', 0, null), get(2, null, 1, 2), get(3, 'b', 50, 51)]));
  });

  it('a timed-out put observed and then the old value observed again as not linearizable', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 1),
      put(2, 'b', 2, null),
      get(3, 'b', 3, 4),
      get(4, 'a', 5, 6),
    ]);
    expectViolation(verdict);
  });

  it('a failed put whose value is observed as not linearizable, since a definite error means not applied', () => {
    expectViolation(checkLinearizable([put(1, 'a', 0, 5, { outcome: 'failed' }), get(2, 'a', 1, 2)]));
  });

  it('a failed put as not overwriting the value before it', () => {
    const verdict = checkLinearizable([
      put(1, 'a', 0, 1),
      put(2, 'b', 2, 3, { outcome: 'failed' }),
      get(3, 'a', 4, 5),
    ]);
    expect(verdict).toEqual({ linearizable: true, keys: 1, operations: 2 });
  });

  it('a timed-out put observed by a read that completed before the put was invoked as not linearizable', () => {
    expectViolation(checkLinearizable([get(1, 'a', 0, 1), put(2, 'a', 2, null)]));
  });

  it('a timed-out get as carrying no information', () => {
    const verdict = checkLinearizable([put(1, 'a', 0, 1), get(2, null, 2, null), get(3, 'a', 3, 4)]);
    expect(verdict).toEqual({ linearizable: true, keys: 1, operations: 2 });
  });
});

describe('checkLinearizable gives up', () => {
  it('with gaveUp true and linearizable false when the step budget runs out', () => {
    const history = generateHistory(7, concurrentKey(20, 20));
    expectLinearizable(checkLinearizable(history));
    expect(checkLinearizable(history, { maxSteps: 10 })).toMatchObject({ linearizable: false, gaveUp: true });
  });
});

describe('checkLinearizable validates its input', () => {
  it('throws a TypeError for a put with a null value', () => {
    const malformed = { ...put(1, 'a', 0, 1), value: null };
    expect(() => checkLinearizable([malformed])).toThrow(TypeError);
  });

  it('throws a TypeError for an ok operation without a completion time', () => {
    expect(() => checkLinearizable([get(1, null, 0, null, { outcome: 'ok' })])).toThrow(TypeError);
  });

  it('throws a TypeError for an operation completing before it was invoked', () => {
    expect(() => checkLinearizable([put(1, 'a', 5, 4)])).toThrow(/completedAt 4 is before invokedAt 5/);
  });

  it('throws a TypeError for duplicate ids', () => {
    expect(() => checkLinearizable([put(1, 'a', 0, 1), get(1, 'a', 2, 3)])).toThrow(TypeError);
  });

  it('throws a TypeError for a step budget that is not a positive integer', () => {
    expect(() => checkLinearizable([put(1, 'a', 0, 1)], { maxSteps: 0 })).toThrow(TypeError);
  });
});

describe('checkLinearizable on histories of sequential executions', () => {
  it('accepts every history recorded from a sequential execution with overlapping intervals', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const verdict = checkLinearizable(generateHistory(seed, mixedKeys(seed)));
      expect(verdict, `seed ${seed}`).toMatchObject({ linearizable: true, keys: 3 });
    }
  });

  it('rejects such a history once one read is changed to a value never written', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const history = generateHistory(seed, mixedKeys(seed));
      const reads = history.filter((operation) => operation.kind === 'get' && operation.outcome === 'ok');
      const victim = reads[Math.floor(mulberry32(seed)() * reads.length)];
      if (victim === undefined) throw new Error(`seed ${seed} recorded no reads`);
      const verdict = checkLinearizable(withResult(history, victim.id, 'never-written'));
      expect(verdict, `seed ${seed}`).toMatchObject({ linearizable: false, gaveUp: false, key: victim.key });
    }
  });

  it('rejects such a history once one read is changed to a value overwritten before it began', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const history = generateHistory(seed, { ...mixedKeys(seed), distinctValues: 'unique' });
      const stale = staleReadIn(history);
      if (stale === undefined) throw new Error(`seed ${seed} has no read to make stale`);
      const verdict = checkLinearizable(withResult(history, stale.read.id, stale.value));
      expect(verdict, `seed ${seed}`).toMatchObject({
        linearizable: false,
        gaveUp: false,
        key: stale.read.key,
      });
    }
  });

  it('accepts thousands of operations on one key from twenty concurrent clients within the default budget', () => {
    const history = generateHistory(11, concurrentKey(20, 150));
    expect(checkLinearizable(history)).toMatchObject({ linearizable: true, keys: 1 });
  });

  it('accepts thousands of operations from twenty clients writing only ten distinct values', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const history = generateHistory(seed, { ...concurrentKey(20, 150), distinctValues: 10 });
      expect(checkLinearizable(history), `seed ${seed}`).toMatchObject({ linearizable: true, keys: 1 });
    }
  });

  it('rejects, without giving up, reads that order two puts both ways after thousands of operations', () => {
    const history = generateHistory(14, concurrentKey(20, 150));
    const end = Math.max(...history.map((operation) => operation.completedAt ?? operation.invokedAt)) + 10;
    const key = 'key-0';
    const contradiction = [
      put(10_001, 'x', end, end + 10, { key }),
      put(10_002, 'y', end, end + 10, { key }),
      get(10_003, 'x', end + 1, end + 2, { key, client: 1 }),
      get(10_004, 'y', end + 3, end + 4, { key, client: 1 }),
      get(10_005, 'y', end + 1, end + 2, { key, client: 2 }),
      get(10_006, 'x', end + 3, end + 4, { key, client: 2 }),
    ];
    const verdict = checkLinearizable([...history, ...contradiction]);
    expect(verdict).toMatchObject({ linearizable: false, gaveUp: false, key });
  });

  it('rejects, without giving up, one stale read among thousands of operations from twenty clients', () => {
    const history = generateHistory(13, concurrentKey(20, 150));
    const stale = staleReadIn(history.slice().reverse());
    if (stale === undefined) throw new Error('the history has no read to make stale');
    const verdict = checkLinearizable(withResult(history, stale.read.id, stale.value));
    expect(verdict).toMatchObject({ linearizable: false, gaveUp: false, key: stale.read.key });
  });
});

interface Shape {
  readonly clients: number;
  readonly operationsPerClient: number;
  readonly keys: number;
  /** How many values puts choose from; few values make reads ambiguous and the search harder. */
  readonly distinctValues: number | 'unique';
  readonly timeoutRate: number;
  readonly failureRate: number;
}

function mixedKeys(seed: number): Shape {
  return {
    clients: 6,
    operationsPerClient: 40,
    keys: 3,
    distinctValues: seed % 2 === 0 ? 'unique' : 3,
    timeoutRate: 0.1,
    failureRate: 0.05,
  };
}

function concurrentKey(clients: number, operationsPerClient: number): Shape {
  return {
    clients,
    operationsPerClient,
    keys: 1,
    distinctValues: 'unique',
    timeoutRate: 0.05,
    failureRate: 0.05,
  };
}

type Draft = { -readonly [Field in keyof Operation]: Operation[Field] };

/**
 * Clients issue operations one at a time over random intervals; each operation that takes effect
 * does so at a random instant inside its interval (a timed-out put maybe, at any instant after its
 * invocation), and gets read the register as those instants leave it. So the result is
 * linearizable by construction.
 */
function generateHistory(seed: number, shape: Shape): Operation[] {
  const random = mulberry32(seed);
  const below = (limit: number): number => Math.floor(random() * limit);
  const drafts: { readonly operation: Draft; readonly effectAt: number | null }[] = [];
  for (let client = 0; client < shape.clients; client++) {
    let clock = below(5);
    for (let issued = 0; issued < shape.operationsPerClient; issued++) {
      const id = drafts.length;
      const kind = random() < 0.5 ? 'put' : 'get';
      const duration = 1 + below(10);
      const roll = random();
      const outcome: Outcome =
        roll < shape.failureRate ? 'failed' : roll < shape.failureRate + shape.timeoutRate ? 'timeout' : 'ok';
      const invokedAt = clock;
      let effectAt: number | null = null;
      if (outcome === 'ok') effectAt = invokedAt + below(duration + 1);
      else if (outcome === 'timeout' && kind === 'put' && random() < 0.5)
        effectAt = invokedAt + below(3 * duration);
      const value = shape.distinctValues === 'unique' ? `v${id}` : `v${below(shape.distinctValues)}`;
      const operation: Draft = {
        id,
        client,
        kind,
        key: `key-${below(shape.keys)}`,
        value: kind === 'put' ? value : null,
        invokedAt,
        completedAt: outcome === 'timeout' ? null : invokedAt + duration,
        outcome,
        result: null,
      };
      drafts.push({ operation, effectAt });
      clock = invokedAt + duration + below(3);
    }
  }
  const registers = new Map<string, string | null>();
  const effects = drafts.filter((draft) => draft.effectAt !== null);
  effects.sort(
    (left, right) => (left.effectAt ?? 0) - (right.effectAt ?? 0) || left.operation.id - right.operation.id,
  );
  for (const { operation } of effects) {
    if (operation.kind === 'put') registers.set(operation.key, operation.value);
    else operation.result = registers.get(operation.key) ?? null;
  }
  return drafts.map((draft) => draft.operation);
}

function withResult(history: readonly Operation[], id: number, result: string): Operation[] {
  return history.map((operation) => (operation.id === id ? { ...operation, result } : operation));
}

/**
 * A completed read and a value it cannot have seen: the value's only put completed before another
 * completed put began, and that one completed before the read began. Needs unique values.
 */
function staleReadIn(history: readonly Operation[]): { read: Operation; value: string } | undefined {
  const completed = (operation: Operation): operation is Operation & { completedAt: number } =>
    operation.outcome === 'ok';
  const puts = history.filter((operation) => operation.kind === 'put' && completed(operation));
  for (const read of history) {
    if (read.kind !== 'get' || !completed(read)) continue;
    for (const later of puts) {
      if (later.key !== read.key || !completed(later) || later.completedAt >= read.invokedAt) continue;
      const earlier = puts.find(
        (candidate) =>
          candidate.key === read.key && completed(candidate) && candidate.completedAt < later.invokedAt,
      );
      if (earlier?.value) return { read, value: earlier.value };
    }
  }
  return undefined;
}

/** A small seeded generator (mulberry32), so every generated history is reproducible from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
