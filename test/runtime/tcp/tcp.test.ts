// Nodes over TCP on loopback: the API works across sockets as it does in one process, a node
// that goes away is seen down by the others and its groups elect new leaders, and a node that
// comes back is seen up and catches up.
import { afterEach, describe, expect, it } from 'vitest';
import { machineUrl, until } from '../cluster.js';
import { startTcpCluster, type TcpCluster } from './tcp-cluster.js';

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };
let cluster: TcpCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('nodes over TCP', () => {
  it('create groups and answer commands and queries from any node', async () => {
    cluster = await startTcpCluster(['a', 'b', 'c']);
    const names = Array.from({ length: 12 }, (_, index) => `g${index}`);
    await Promise.all(
      names.map((name, index) => cluster!.node('abc'[index % 3]!).createGroup(name, counter)),
    );
    for (const [index, name] of names.entries()) {
      for (const node of ['a', 'b', 'c']) await cluster.node(node).command(name, index + 1);
    }
    for (const [index, name] of names.entries()) {
      const total = await cluster.node('c').query(name, 'total', undefined, { consistency: 'consistent' });
      expect(total).toBe(3 * (index + 1));
    }
    const transport = cluster.node('a').overview().transport;
    expect(transport.frames).toBeGreaterThan(0);
    expect(transport.rejected).toBe(0);
  });

  it('see a closed node down, elect new leaders without it, and catch it up when it returns', async () => {
    cluster = await startTcpCluster(['a', 'b', 'c']);
    const downs: string[] = [];
    const ups: string[] = [];
    cluster.node('a').on('down', (peer) => downs.push(peer));
    cluster.node('a').on('up', (peer) => ups.push(peer));
    const names = Array.from({ length: 9 }, (_, index) => `g${index}`);
    await Promise.all(names.map((name) => cluster!.node('a').createGroup(name, counter)));
    for (const name of names) await cluster.node('a').command(name, 1);
    const ledByC = [];
    for (const name of names) if ((await cluster.node('a').members(name)).leader === 'c') ledByC.push(name);

    await cluster.node('c').close();
    cluster.nodes.delete('c');
    await until(() => downs.includes('c'), 'a to see c down');
    for (const name of names) expect(await cluster.node('a').command(name, 1, { timeoutMs: 5000 })).toBe(2);
    for (const name of ledByC) expect((await cluster.node('a').members(name)).leader).not.toBe('c');

    await cluster.start('c');
    await until(() => ups.includes('c'), 'a to see c up again');
    for (const name of names) {
      await until(
        async () =>
          (await cluster!.node('c').query(name, 'total', undefined, { consistency: 'local' })) === 2,
        `c to catch up on ${name}`,
      );
    }
  });
});

describe('frames near the limit', () => {
  it.each([0, 2])(
    'split a turn whose batch would pass the frame limit, so the peer never refuses one (threads %i)',
    async (threads) => {
      cluster = await startTcpCluster(['a', 'b', 'c'], { maxFrameBytes: 2 * 1024 * 1024 }, false, {
        a: threads,
        b: threads,
        c: threads,
      });
      const log = { machine: { module: machineUrl('append-log') }, members: ['a', 'b', 'c'] };
      const names = ['log-0', 'log-1', 'log-2', 'log-3'];
      await Promise.all(names.map((name) => cluster!.node('a').createGroup(name, log)));
      // 32 commands of 300 KiB in flight: one turn's appends to a peer come to several MiB.
      const payload = 'p'.repeat(300 * 1024);
      await Promise.all(
        Array.from({ length: 32 }, (_, index) =>
          cluster!
            .node('abc'[index % 3]!)
            .command(names[index % names.length]!, payload, { timeoutMs: 20_000 }),
        ),
      );
      for (const node of ['a', 'b', 'c']) expect(cluster.node(node).overview().transport.rejected).toBe(0);
    },
    60_000,
  );
});

describe('the options of a node that listens', () => {
  it('are checked, each refusal a BAD_ARGUMENT that says what is wrong', async () => {
    const { startNode } = await import('flotilla');
    const base = { name: 'x', dataDir: '/nonexistent/never-created' };
    const refusals: [object, RegExp][] = [
      [{ listen: 'localhost' }, /listen must be host:port/],
      [{ listen: '127.0.0.1:70000', secret: 'long-enough' }, /listen must be host:port/],
      [{ listen: '127.0.0.1:0', secret: 'short' }, /secret of at least 8/],
      [{ listen: '127.0.0.1:0', secret: 'long-enough', peers: { y: 'nowhere' } }, /address of y/],
      [{ peers: { y: '127.0.0.1:1' } }, /go with listen/],
      [{ listen: '127.0.0.1:0', secret: 'long-enough', tls: { key: 'k', cert: 'c' } }, /key, cert and ca/],
      [{ listen: '127.0.0.1:0', secret: 'long-enough', transport: { heartbeatMs: 0 } }, /positive integer/],
      [{ listen: '127.0.0.1:0', secret: 'long-enough', transport: { pingEvery: 5 } }, /no option pingEvery/],
    ];
    for (const [options, message] of refusals) {
      const error = await startNode({ ...base, ...options }).then(
        () => null,
        (failure: unknown) => failure as { code: string; message: string },
      );
      expect(error?.code).toBe('BAD_ARGUMENT');
      expect(error?.message).toMatch(message);
    }
  });
});
