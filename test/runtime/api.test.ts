// The API.md contract end to end on three in-process nodes: groups, commands from any member,
// the three query consistencies, membership, stop/restart/delete, restarts, and every error
// code a single process can reach.
import { FlotillaError } from 'flotilla';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, machineUrl, startCluster, until } from './cluster.js';

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
});

async function threeNodes(): Promise<Cluster> {
  const cluster = await startCluster(['a', 'b', 'c']);
  clusters.push(cluster);
  return cluster;
}

const counter = {
  machine: { module: machineUrl('counter'), config: { start: 0 } },
  members: ['a', 'b', 'c'],
};

async function rejection(promise: Promise<unknown>): Promise<FlotillaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlotillaError);
    return error as FlotillaError;
  }
  throw new Error('expected a rejection');
}

describe('groups, commands and queries', () => {
  it('creates a group with a leader and applies commands sent from every member, in order', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    const { leader, voters } = await cluster.node('a').members('orders');
    expect(voters).toEqual(['a', 'b', 'c']);
    expect(['a', 'b', 'c']).toContain(leader);
    expect(await cluster.node('a').command('orders', 5)).toBe(5);
    expect(await cluster.node('b').command('orders', 10)).toBe(15);
    expect(await cluster.node('c').command('orders', 27)).toBe(42);
    for (const name of ['a', 'b', 'c']) expect(cluster.node(name).groups()).toEqual(['orders']);
  });

  it('answers consistent, leader and local queries, with arguments', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('b').command('orders', 7);
    expect(await cluster.node('c').query('orders', 'total', undefined, { consistency: 'consistent' })).toBe(
      7,
    );
    expect(await cluster.node('c').query('orders', 'plus', 3, { consistency: 'leader' })).toBe(10);
    await until(
      async () =>
        (await cluster.node('a').query('orders', 'total', undefined, { consistency: 'local' })) === 7,
      'the local member to apply',
    );
  });

  it('is idempotent for the same spec and refuses a different one', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('b').createGroup('orders', counter);
    const error = await rejection(
      cluster.node('a').createGroup('orders', {
        ...counter,
        machine: { module: counter.machine.module, config: { start: 9 } },
      }),
    );
    expect(error.code).toBe('BAD_ARGUMENT');
  });

  it('keeps every member unchanged when apply throws, and says MACHINE_ERROR', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('a').command('orders', 4);
    expect((await rejection(cluster.node('b').command('orders', 'boom'))).code).toBe('MACHINE_ERROR');
    expect(await cluster.node('c').command('orders', 1)).toBe(5);
    for (const name of ['a', 'b', 'c']) {
      await until(
        async () =>
          (await cluster.node(name).query('orders', 'total', undefined, { consistency: 'local' })) === 5,
        `member ${name} to apply`,
      );
    }
    expect((await rejection(cluster.node('a').query('orders', 'broken'))).code).toBe('MACHINE_ERROR');
  });

  it('rejects bad input with BAD_ARGUMENT and unknown groups with NO_SUCH_GROUP', async () => {
    const cluster = await threeNodes();
    const a = cluster.node('a');
    await a.createGroup('orders', counter);
    expect((await rejection(a.command('nothing', 1))).code).toBe('NO_SUCH_GROUP');
    expect((await rejection(a.query('nothing', 'total'))).code).toBe('NO_SUCH_GROUP');
    expect((await rejection(a.query('orders', 'unknown'))).code).toBe('BAD_ARGUMENT');
    expect(
      (await rejection(a.query('orders', 'total', undefined, { consistency: 'eventual' as never }))).code,
    ).toBe('BAD_ARGUMENT');
    expect((await rejection(a.command('orders', 1, { timeoutMs: -1 }))).code).toBe('BAD_ARGUMENT');
    expect((await rejection(a.createGroup('', counter))).code).toBe('BAD_ARGUMENT');
    expect((await rejection(a.createGroup('x', { ...counter, members: [] }))).code).toBe('BAD_ARGUMENT');
    expect((await rejection(a.createGroup('x', { ...counter, members: ['a', 'a'] }))).code).toBe(
      'BAD_ARGUMENT',
    );
    expect(
      (
        await rejection(
          a.createGroup('x', { machine: { module: 'file:///nowhere/machine.mjs' }, members: ['a'] }),
        )
      ).code,
    ).toBe('BAD_ARGUMENT');
    expect((await rejection(a.status('nothing'))).code).toBe('NO_SUCH_GROUP');
  });

  it('times out with TIMEOUT when a group has lost its quorum', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('a').command('orders', 1);
    // Called on the leader, the command is appended there and waits for a quorum that is gone.
    const { leader } = await cluster.node('a').members('orders');
    for (const name of ['a', 'b', 'c']) if (name !== leader) await cluster.node(name).close();
    const error = await rejection(cluster.node(leader!).command('orders', 1, { timeoutMs: 300 }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('says STOPPED for calls on a closed node', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('a').close();
    expect((await rejection(cluster.node('a').command('orders', 1))).code).toBe('STOPPED');
  });
});

describe('calls from a node with no member of the group', () => {
  it('routes commands, queries and membership questions to the group', async () => {
    const cluster = await startCluster(['a', 'b', 'c', 'd']);
    clusters.push(cluster);
    await cluster.node('a').createGroup('orders', counter);
    const d = cluster.node('d');
    expect(d.groups()).toEqual([]);
    expect(await d.command('orders', 8)).toBe(8);
    expect(await d.query('orders', 'total', undefined, { consistency: 'consistent' })).toBe(8);
    expect((await d.members('orders')).voters).toEqual(['a', 'b', 'c']);
    await d.deleteGroup('orders');
    expect((await rejection(d.command('orders', 1))).code).toBe('NO_SUCH_GROUP');
  });
});

describe('membership and leadership', () => {
  it('adds a member that catches up, transfers leadership to it, and removes another', async () => {
    const cluster = await startCluster(['a', 'b', 'c', 'd']);
    clusters.push(cluster);
    const a = cluster.node('a');
    await a.createGroup('orders', counter);
    for (let index = 1; index <= 20; index += 1) await a.command('orders', 1);
    await a.addMember('orders', 'd', { voter: true });
    await until(async () => (await a.members('orders')).voters.includes('d'), 'd to become a voter');
    await until(
      async () =>
        (await cluster.node('d').query('orders', 'total', undefined, { consistency: 'local' })) === 20,
      'd to catch up',
    );
    await a.transferLeadership('orders', 'd');
    await until(async () => (await a.members('orders')).leader === 'd', 'leadership to move to d');
    await a.removeMember('orders', 'b');
    const members = await a.members('orders');
    expect([...members.voters].sort()).toEqual(['a', 'c', 'd']);
    expect(cluster.node('b').groups()).toEqual([]);
    expect(await cluster.node('c').command('orders', 2)).toBe(22);
  });
});

describe('stopping, restarting and deleting', () => {
  it('stops a member (its calls say STOPPED), restarts it, and it catches up', async () => {
    const cluster = await threeNodes();
    const a = cluster.node('a');
    await a.createGroup('orders', counter);
    await a.command('orders', 3);
    await cluster.node('c').stopGroup('orders');
    expect((await cluster.node('c').status('orders')).role).toBe('stopped');
    expect(
      (await rejection(cluster.node('c').query('orders', 'total', undefined, { consistency: 'local' }))).code,
    ).toBe('STOPPED');
    await a.command('orders', 4);
    await cluster.node('c').restartGroup('orders');
    await until(
      async () =>
        (await cluster.node('c').query('orders', 'total', undefined, { consistency: 'local' })) === 7,
      'c to catch up',
    );
  });

  it('deletes a group from every member', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('a').command('orders', 3);
    await cluster.node('b').deleteGroup('orders');
    for (const name of ['a', 'b', 'c']) expect(cluster.node(name).groups()).toEqual([]);
    expect((await rejection(cluster.node('a').command('orders', 1))).code).toBe('NO_SUCH_GROUP');
  });

  it('recovers every group and its state when the nodes restart on their data', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('orders', counter);
    await cluster.node('a').createGroup('invoices', counter);
    for (let index = 1; index <= 10; index += 1) await cluster.node('b').command('orders', index);
    await cluster.node('c').command('invoices', 100);
    for (const name of ['a', 'b', 'c']) await cluster.restart(name);
    expect(cluster.node('a').groups()).toEqual(['invoices', 'orders']);
    expect(await cluster.node('a').command('orders', 0, { timeoutMs: 10_000 })).toBe(55);
    expect(await cluster.node('b').query('invoices', 'total', undefined, { consistency: 'consistent' })).toBe(
      100,
    );
  });

  it('replaces its log with a snapshot on releaseCursor and keeps the state across a restart', async () => {
    const cluster = await threeNodes();
    const a = cluster.node('a');
    await a.createGroup('orders', counter);
    for (let index = 1; index <= 30; index += 1) await a.command('orders', 1);
    const released = (await a.command('orders', 'release')) as number;
    for (const name of ['a', 'b', 'c']) {
      await until(
        async () => (await cluster.node(name).status('orders')).snapshotIndex === released,
        `${name} to snapshot`,
      );
    }
    expect((await a.status('orders')).logSize).toBeLessThan(5);
    await cluster.restart('a');
    await until(
      async () =>
        (await cluster.node('a').query('orders', 'total', undefined, { consistency: 'local' })) === 30,
      'a to recover from its snapshot',
    );
  });
});

describe('overview and status', () => {
  it('reports the member and the node figures', async () => {
    const cluster = await threeNodes();
    const a = cluster.node('a');
    await a.createGroup('orders', counter);
    await a.command('orders', 1);
    // A follower learns the commit index with the leader's next message.
    await until(async () => (await a.status('orders')).appliedIndex >= 2, 'a to apply the command');
    expect(await a.status('orders')).toMatchObject({ group: 'orders', node: 'a', snapshotIndex: 0 });
    expect(['leader', 'follower']).toContain((await a.status('orders')).role);
    const overview = a.overview();
    expect(overview).toMatchObject({ node: 'a', groups: 1, running: 1 });
    expect(overview.wal.syncs).toBeGreaterThan(0);
    expect(overview.memory.heapUsed).toBeGreaterThan(0);
  });
});
