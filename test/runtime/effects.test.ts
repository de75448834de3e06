// Effects run by the leader once their entry applies: sends reach mailboxes once; a monitored
// mailbox or node going down, and a machine timer firing, come back through the log as system
// events that every member applies at the same index.
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, machineUrl, startCluster, until } from './cluster.js';

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
});

const effects = { machine: { module: machineUrl('effects') }, members: ['a', 'b', 'c'] };

interface Recorded {
  readonly kind: string;
  readonly index: number;
  readonly name?: string;
  readonly reason?: string;
  readonly target?: { node: string; mailbox?: string };
}

async function eventsOn(cluster: Cluster, node: string): Promise<Recorded[]> {
  return (await cluster.node(node).query('fx', 'events', undefined, { consistency: 'local' })) as Recorded[];
}

async function sameEverywhere(cluster: Cluster, count: number): Promise<Recorded[]> {
  let seen: Recorded[] = [];
  await until(async () => {
    const all = await Promise.all(['a', 'b', 'c'].map((node) => eventsOn(cluster, node)));
    seen = all[0]!;
    return all.every((events) => events.length === count && JSON.stringify(events) === JSON.stringify(seen));
  }, `${count} system events on every member`);
  return seen;
}

describe('effects', () => {
  it('delivers a send to the named mailbox exactly once', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    const received: unknown[] = [];
    cluster.node('b').mailbox('inbox', (message) => received.push(message));
    await cluster.node('a').createGroup('fx', effects);
    await cluster.node('c').command('fx', { send: { node: 'b', mailbox: 'inbox', message: { hello: 1 } } });
    await until(() => received.length === 1, 'the message');
    await cluster.node('a').command('fx', { noop: true });
    expect(received).toEqual([{ hello: 1 }]);
  });

  it('does not send again, after a restart, what entries applied before it sent', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    const before: unknown[] = [];
    cluster.node('b').mailbox('inbox', (message) => before.push(message));
    await cluster.node('a').createGroup('fx', effects);
    for (let index = 1; index <= 3; index += 1)
      await cluster.node('a').command('fx', { send: { node: 'b', mailbox: 'inbox', message: index } });
    await until(() => before.length === 3, 'the first sends');
    for (const name of ['a', 'b', 'c']) await cluster.restart(name);
    const after: unknown[] = [];
    cluster.node('b').mailbox('inbox', (message) => after.push(message));
    await cluster
      .node('c')
      .command('fx', { send: { node: 'b', mailbox: 'inbox', message: 'new' } }, { timeoutMs: 10_000 });
    await until(() => after.length >= 1, 'the send made after the restart');
    // Every member has re-applied the old entries by now; none of their sends went out again.
    for (const name of ['a', 'b', 'c']) {
      await until(
        async () =>
          (await cluster.node(name).status('fx')).appliedIndex >=
          (await cluster.node('c').status('fx')).commitIndex,
        `${name} to apply everything`,
      );
    }
    expect(after).toEqual(['new']);
    expect(before).toEqual([1, 2, 3]);
  });

  it('puts a monitored mailbox going away through the log, on every member', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    const unregister = cluster.node('c').mailbox('consumer', () => {});
    await cluster.node('a').createGroup('fx', effects);
    await cluster.node('a').command('fx', { monitor: { node: 'c', mailbox: 'consumer' } });
    unregister();
    const [event] = await sameEverywhere(cluster, 1);
    expect(event).toMatchObject({
      kind: 'down',
      reason: 'mailboxGone',
      target: { node: 'c', mailbox: 'consumer' },
    });
  });

  it('puts a monitored node going down through the log', async () => {
    const cluster = await startCluster(['a', 'b', 'c', 'd']);
    clusters.push(cluster);
    await cluster.node('a').createGroup('fx', effects);
    await cluster.node('a').command('fx', { monitor: { node: 'd' } });
    await cluster.node('d').close();
    const [event] = await sameEverywhere(cluster, 1);
    expect(event).toMatchObject({ kind: 'down', reason: 'nodeDown', target: { node: 'd' } });
  });

  it('fires a machine timer through the log, and a cancelled one never', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    await cluster.node('a').createGroup('fx', effects);
    // Were the cancel lost, 'cancelled' would fire well before 'kept'.
    await cluster.node('a').command('fx', { timer: 'cancelled', milliseconds: 100 });
    await cluster.node('a').command('fx', { timer: 'cancelled', milliseconds: null });
    await cluster.node('a').command('fx', { timer: 'kept', milliseconds: 400 });
    const [event] = await sameEverywhere(cluster, 1);
    expect(event).toMatchObject({ kind: 'timeout', name: 'kept' });
  });
});
