// Shards on worker threads behave as the inline shard does: the same script of calls gives the
// same replies, errors and states with `threads: 0` and `threads: 2`.
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, machineUrl, startCluster, until } from './cluster.js';

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
});

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };

async function transcript(threads: number): Promise<unknown[]> {
  const cluster = await startCluster(['a', 'b', 'c'], threads);
  clusters.push(cluster);
  const seen: unknown[] = [];
  const record = async (what: string, call: () => Promise<unknown>) => {
    try {
      seen.push([what, await call()]);
    } catch (error) {
      seen.push([what, 'error', (error as { code?: string }).code]);
    }
  };
  const groups = ['x', 'y', 'z', 'w'];
  for (const group of groups) await cluster.node('a').createGroup(group, counter);
  for (let round = 1; round <= 5; round += 1) {
    for (const [position, group] of groups.entries()) {
      const node = cluster.node(['a', 'b', 'c'][(round + position) % 3]!);
      await record(`${group} +${round}`, () => node.command(group, round * (position + 1)));
    }
  }
  await record('boom', () => cluster.node('b').command('x', 'boom'));
  await record('missing', () => cluster.node('b').command('nothing', 1));
  await record('query', () => cluster.node('c').query('y', 'plus', 100, { consistency: 'consistent' }));
  await record('release', async () => typeof (await cluster.node('a').command('z', 'release')));
  await cluster.node('c').stopGroup('w');
  await record('stopped', () => cluster.node('c').query('w', 'total', undefined, { consistency: 'local' }));
  await cluster.node('c').restartGroup('w');
  await record('after restart', () => cluster.node('c').command('w', 1000));
  for (const name of ['a', 'b', 'c']) await cluster.restart(name);
  for (const group of groups) {
    await record(`${group} total`, () =>
      cluster.node('b').query(group, 'total', undefined, { consistency: 'consistent', timeoutMs: 10_000 }),
    );
  }
  await until(
    async () => (await cluster.node('c').query('w', 'total', undefined, { consistency: 'local' })) === 1060,
    'c to catch up on w',
  );
  // Node names are unique within a process: the next run needs them.
  clusters.splice(clusters.indexOf(cluster), 1);
  await cluster.close();
  return seen;
}

describe('worker-thread shards', () => {
  it('give the same replies, errors and states as the inline shard', async () => {
    const inline = await transcript(0);
    const threaded = await transcript(2);
    expect(threaded).toEqual(inline);
    expect(inline).toContainEqual(['boom', 'error', 'MACHINE_ERROR']);
    expect(inline).toContainEqual(['stopped', 'error', 'STOPPED']);
  });
});

describe('linked worker shards', () => {
  // The runtime suite also runs with the nodes on TCP (FLOTILLA_TEST_TRANSPORT=tcp): nodes on
  // TCP never link, whatever process they share, so their messages keep to the network, framed
  // by the shards (tcp/shard-frames.test.ts).
  const onTcp = process.env.FLOTILLA_TEST_TRANSPORT === 'tcp';

  it(
    onTcp
      ? 'never link nodes on TCP, in one process or not'
      : "carry in-process nodes' raft messages shard to shard, and link again with a restarted node",
    async () => {
      const cluster = await startCluster(['a', 'b', 'c'], 2);
      clusters.push(cluster);
      const linked = () => ['a', 'b', 'c'].map((name) => cluster.node(name).overview().transport.linked);
      await cluster.node('a').createGroup('x', counter);
      for (let round = 1; round <= 20; round += 1) await cluster.node('a').command('x', 1);
      if (onTcp) {
        await until(
          async () =>
            (await cluster.node('c').query('x', 'total', undefined, { consistency: 'local' })) === 20,
          'c to apply every command',
        );
        expect(linked()).toEqual([0, 0, 0]);
        await until(
          () => ['a', 'b', 'c'].every((name) => cluster.node(name).overview().transport.framed > 0),
          'every node to have framed its raft messages',
        );
        return;
      }
      // Figures come a turn late from a worker: wait for them rather than read them at once.
      await until(() => linked().every((count) => count > 0), 'every node to have sent over links');

      await cluster.restart('c');
      const before = cluster.node('c').overview().transport.linked;
      expect(before).toBe(0);
      for (let round = 1; round <= 20; round += 1) await cluster.node('b').command('x', 1);
      await until(
        () => cluster.node('c').overview().transport.linked > 0,
        'the restarted node to link again',
      );
      await until(
        async () => (await cluster.node('c').query('x', 'total', undefined, { consistency: 'local' })) === 40,
        'c to apply every command',
      );
    },
  );

  it('link nothing with threads: 0', async () => {
    const cluster = await startCluster(['a', 'b', 'c'], 0);
    clusters.push(cluster);
    await cluster.node('a').createGroup('x', counter);
    for (let round = 1; round <= 5; round += 1) await cluster.node('a').command('x', 1);
    for (const name of ['a', 'b', 'c']) {
      const { transport } = cluster.node(name).overview();
      expect(transport.linked).toBe(0);
      expect(transport.messages).toBeGreaterThan(0);
    }
  });
});
