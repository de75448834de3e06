// What a machine returns is hostile input: a reply or message that cannot be encoded, an effect of
// the wrong shape, a query or a role callback that misbehaves fails only its own command (with
// MACHINE_ERROR, the state left as it was on every member) and never a thread, a node or a group.
import { FlotillaError, type FlotillaNode } from 'flotilla';
import { describe, expect, it } from 'vitest';
import { type Cluster, clustersPerTest, codeOf, machineUrl, until } from './cluster.js';

const hostile = { machine: { module: machineUrl('hostile') }, members: ['a', 'b', 'c'] };

const start = clustersPerTest();
const threeNodes = (threads?: number) => start(['a', 'b', 'c'], threads);

/** Resolves with the promise's value, or rejects if it takes longer than `ms`: a hang is a failure here. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function totals(cluster: Cluster, group: string): Promise<number[]> {
  return Promise.all(
    ['a', 'b', 'c'].map(
      (name) =>
        cluster.node(name).query(group, 'total', undefined, { consistency: 'local' }) as Promise<number>,
    ),
  );
}

/** Every member applied the same commands: its total is `expected` everywhere. */
async function sameTotalEverywhere(cluster: Cluster, group: string, expected: number): Promise<void> {
  await until(
    async () => (await totals(cluster, group)).every((total) => total === expected),
    `a total of ${expected} on every member`,
  );
}

/** The error events of every node, in one list as they come. */
function collectErrors(nodes: readonly FlotillaNode[]): Error[] {
  const errors: Error[] = [];
  for (const node of nodes) node.on('error', (error) => errors.push(error));
  return errors;
}

describe('replies', () => {
  it('fails a command whose reply cannot be encoded with MACHINE_ERROR, and no member applies it', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    expect(await cluster.node('b').command('h', 'fine')).toBe(1);
    for (const reply of ['function', 'symbol', 'cyclic', 'promise']) {
      for (const caller of ['a', 'b', 'c'])
        expect(await codeOf(cluster.node(caller).command('h', { reply }, { timeoutMs: 3000 }))).toBe(
          'MACHINE_ERROR',
        );
    }
    expect(await cluster.node('c').command('h', 'fine')).toBe(2);
    await sameTotalEverywhere(cluster, 'h', 2);
  });

  it('gives a class instance in a reply to the caller as its fields', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    expect(await cluster.node('b').command('h', { reply: 'point' })).toEqual({ x: 1 });
  });

  it('names the problem in the error', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    const error = await cluster
      .node('a')
      .command('h', { reply: 'function' })
      .catch((caught: unknown) => caught as FlotillaError);
    expect((error as FlotillaError).message).toMatch(/reply.*function/);
  });

  it('with shards on worker threads, fails only the command and leaves the shard serving', async () => {
    const cluster = await threeNodes(1);
    await cluster.node('a').createGroup('h', hostile);
    await cluster.node('a').createGroup('other', hostile);
    for (const reply of ['function', 'symbol', 'cyclic'])
      expect(await codeOf(cluster.node('a').command('h', { reply }, { timeoutMs: 3000 }))).toBe(
        'MACHINE_ERROR',
      );
    expect(await cluster.node('b').command('other', 'fine', { timeoutMs: 3000 })).toBe(1);
    expect(await cluster.node('c').command('h', 'fine', { timeoutMs: 3000 })).toBe(1);
    const status = await within(cluster.node('a').status('h'), 3000, 'status()');
    expect(status.appliedIndex).toBeGreaterThan(0);
    await sameTotalEverywhere(cluster, 'h', 1);
    // Closed again after the test, which does nothing the second time.
    await within(cluster.close(), 10_000, 'close()');
  });
});

describe('effects', () => {
  it('fails a command whose effects are malformed with MACHINE_ERROR, and runs none of them', async () => {
    const cluster = await threeNodes();
    const errors = collectErrors([...cluster.nodes.values()]);
    const received: unknown[] = [];
    cluster.node('b').mailbox('inbox', (message) => received.push(message));
    await cluster.node('a').createGroup('h', hostile);
    const kinds = [
      'notAList',
      'sendWithoutMailbox',
      'sendOfFunction',
      'timerSoon',
      'timerNegative',
      'monitorWithoutTarget',
      'unknownType',
      'releaseAhead',
    ];
    for (const effects of kinds) {
      const error = await cluster
        .node('c')
        .command('h', { effects }, { timeoutMs: 3000 })
        .catch((caught: unknown) => caught);
      expect(error, effects).toBeInstanceOf(FlotillaError);
      expect((error as FlotillaError).code, effects).toBe('MACHINE_ERROR');
      expect((error as FlotillaError).message, effects).toMatch(/effect/);
    }
    expect(await cluster.node('a').command('h', 'fine')).toBe(1);
    await sameTotalEverywhere(cluster, 'h', 1);
    expect(received).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps the node up when a monitor effect has no target', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    const { leader } = await cluster.node('a').members('h');
    expect(await codeOf(cluster.node(leader!).command('h', { effects: 'monitorWithoutTarget' }))).toBe(
      'MACHINE_ERROR',
    );
    expect(await cluster.node(leader!).command('h', 'fine')).toBe(1);
  });
});

describe('queries and role callbacks', () => {
  it('fails a query whose result cannot be encoded with MACHINE_ERROR', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    for (const consistency of ['local', 'leader', 'consistent'] as const) {
      for (const query of ['function', 'cyclic'])
        expect(await codeOf(cluster.node('b').query('h', query, undefined, { consistency }))).toBe(
          'MACHINE_ERROR',
        );
    }
    expect(await cluster.node('b').query('h', 'total')).toBe(0);
  });

  it('reports a role callback that throws or returns bad effects as an error event, and carries on', async () => {
    const cluster = await threeNodes();
    const errors = collectErrors([...cluster.nodes.values()]);
    await cluster.node('a').createGroup('h', {
      ...hostile,
      machine: { module: hostile.machine.module, config: { badRoles: true } },
    });
    // The leader's report and a follower's (its stateEnter throws) come in either order.
    await until(
      () => errors.some((error) => /stateEnter.*timer/.test(error.message)),
      'the leader to report what stateEnter returned',
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(FlotillaError);
      expect((error as FlotillaError).code).toBe('MACHINE_ERROR');
    }
    expect(await cluster.node('a').command('h', 'fine')).toBe(1);
    const { leader } = await cluster.node('a').members('h');
    const follower = ['a', 'b', 'c'].find((name) => name !== leader)!;
    await cluster.node(follower).restartGroup('h');
    await until(() => errors.some((error) => /stateEnter throws/.test(error.message)), 'the throw reported');
    expect(await cluster.node(follower).command('h', 'fine')).toBe(2);
  });
});

describe('commands', () => {
  it('refuses at the call, with BAD_ARGUMENT, a command or a query argument that cannot be encoded', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    for (const command of [Symbol('command'), { f: () => 1 }, loop, () => 1])
      expect(await codeOf(cluster.node('a').command('h', command))).toBe('BAD_ARGUMENT');
    expect(await codeOf(cluster.node('a').query('h', 'total', { f: () => 1 }))).toBe('BAD_ARGUMENT');
    expect(await cluster.node('a').command('h', 'fine')).toBe(1);
    await sameTotalEverywhere(cluster, 'h', 1);
  });

  it('fails a command whose apply returns no result with MACHINE_ERROR', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('h', hostile);
    expect(await codeOf(cluster.node('a').command('h', 'no result'))).toBe('MACHINE_ERROR');
    expect(await cluster.node('a').command('h', 'fine')).toBe(1);
    await sameTotalEverywhere(cluster, 'h', 1);
  });
});
