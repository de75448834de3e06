// Worker shards on TCP frame their own raft messages, one batch per peer node a turn: a peer
// with as many shards hands each batch to its shard of the same index as it came, any other
// reads it on its own thread. Either way the groups commit, and a batch that does not read
// closes the connection it came on, whichever thread found it out.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlotillaNode } from 'flotilla';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRaftBatch } from '../../../actors/index.js';
import { encodeFrame, FrameType } from '../../../runtime/tcp/frames.js';
import { handshakeAs } from '../../../sim/transport-fuzz.js';
import { machineUrl, until } from '../cluster.js';
import { freePort, listenerForA, secret, startTcpCluster } from './tcp-cluster.js';

const counter = (members: string[]) => ({ machine: { module: machineUrl('counter') }, members });

describe('worker shards on TCP', () => {
  it('frame their raft messages, handed shard to shard between equal counts and read on the main thread otherwise', async () => {
    // a and b have two shards each; c has one, so batches between c and the others are read
    // on the receiving node's own thread.
    const cluster = await startTcpCluster(['a', 'b', 'c'], {}, false, { a: 2, b: 2, c: 1 });
    try {
      const groups = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
      for (const group of groups) await cluster.node('a').createGroup(group, counter(['a', 'b', 'c']));
      for (let round = 1; round <= 5; round += 1)
        for (const [position, group] of groups.entries())
          await cluster.node(['a', 'b', 'c'][(round + position) % 3]!).command(group, round);
      for (const name of ['a', 'b', 'c'])
        for (const group of groups)
          await until(
            async () =>
              (await cluster.node(name).query(group, 'total', undefined, { consistency: 'local' })) === 15,
            `${name} to apply every command of ${group}`,
          );
      // Figures come a turn late from a worker: wait for them rather than read them at once.
      await until(
        () => ['a', 'b', 'c'].every((name) => cluster.node(name).overview().transport.framed > 0),
        'every node to have framed raft messages',
      );
      for (const name of ['a', 'b', 'c']) {
        const { transport } = cluster.node(name).overview();
        expect(transport.linked).toBe(0);
        expect(transport.rejected).toBe(0);
        expect(transport.messages).toBeGreaterThanOrEqual(transport.framed);
      }
    } finally {
      await cluster.close();
    }
  }, 60_000);
});

describe('a node with worker shards under malformed raft batches', () => {
  let node: FlotillaNode;
  let root: string;
  let port: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-shard-frames-'));
    port = await freePort();
    node = await listenerForA(join(root, 'n'), port, 2);
    await node.createGroup('solo', counter(['n']));
  });

  afterAll(async () => {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  });

  const proven = () => handshakeAs({ host: '127.0.0.1', port, secret, asNode: 'a' });
  const closed = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));

  /** Sends `batch` as a raft frame on a proven connection; resolves once the node has closed it. */
  async function refused(batch: Uint8Array): Promise<void> {
    const before = node.overview().transport.rejected;
    const socket = await proven();
    const gone = closed(socket);
    socket.write(encodeFrame(FrameType.raft, batch));
    await gone;
    expect(node.overview().transport.rejected).toBe(before + 1);
    expect(await node.command('solo', 1)).toBeGreaterThan(0);
  }

  const garbage = Buffer.from([0xc1, 0xc1, 0xc1]);
  const withHeader = (index: number, shards: number, body: Uint8Array) => {
    const batch = Buffer.alloc(4 + body.byteLength);
    batch.writeUInt16BE(index, 0);
    batch.writeUInt16BE(shards, 2);
    batch.set(body, 4);
    return batch;
  };

  it('closes the connection of a batch shorter than its header', async () => {
    await refused(Buffer.from([0, 0]));
  });

  it('closes the connection of a batch its shard could not read (the same shard count)', async () => {
    await refused(withHeader(1, 2, garbage));
  });

  it('closes the connection of a batch it read itself (another shard count) that does not decode', async () => {
    await refused(withHeader(0, 3, garbage));
  });

  it('closes the connection of a batch whose message is out of shape', async () => {
    const append = {
      type: 'append',
      term: 3,
      prevIndex: 0,
      prevTerm: 0,
      entries: [],
      commit: 0,
      probe: false,
    };
    // Header 4 bytes, then 'solo' and 'a' (a u32 length each), then the type at 17, the term at 18.
    const batch = encodeRaftBatch(0, 2, ['solo', 'a', append]);
    const halfTerm = Buffer.from(batch);
    halfTerm.writeDoubleBE(1.5, 18);
    await refused(halfTerm);
    const unknownType = Buffer.from(batch);
    unknownType[17] = 99;
    await refused(unknownType);
  });

  it('drops messages for groups it does not hold and keeps the connection', async () => {
    const before = node.overview().transport;
    const socket = await proven();
    try {
      for (const index of [0, 1])
        socket.write(
          encodeFrame(
            FrameType.raft,
            encodeRaftBatch(index, 2, ['nowhere', 'a', { type: 'timeoutNow', term: 9 }]),
          ),
        );
      await until(
        () => node.overview().transport.unknownGroup >= before.unknownGroup + 2,
        'both unknown-group messages to be counted',
      );
      expect(socket.destroyed).toBe(false);
      expect(node.overview().transport.rejected).toBe(before.rejected);
    } finally {
      socket.destroy();
    }
  });
});
