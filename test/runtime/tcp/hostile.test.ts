// A node's port under hostile input: a wrong secret, random bytes, truncated frames, huge
// length prefixes, msgpack of the wrong shape, messages for unknown groups, replayed old-term
// messages and 10,000 fuzzed frames. Each is refused or dropped, and the node goes on serving.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlotillaNode } from 'flotilla';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../../runtime/tcp/frames.js';
import { NodeClient } from '../../../runtime/tcp/node-client.js';
import { fuzzNode } from '../../../sim/transport-fuzz.js';
import { machineUrl, until } from '../cluster.js';
import { freePort, listenerForA, secret } from './tcp-cluster.js';

const packr = new Packr({ useRecords: false });
let node: FlotillaNode;
let root: string;
let port: number;
const errors: { code: string; message: string }[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'flotilla-hostile-'));
  port = await freePort();
  node = await listenerForA(join(root, 'n'), port);
  node.on('error', (error) => errors.push(error as unknown as { code: string; message: string }));
  await node.createGroup('solo', { machine: { module: machineUrl('counter') }, members: ['n'] });
});

afterAll(async () => {
  await node.close();
  rmSync(root, { recursive: true, force: true });
});

const target = () => ({ host: '127.0.0.1', port, secret, asNode: 'a' });

/** Sends `bytes` on a fresh connection and resolves once the node has closed it. */
function sendAndWaitForClose(bytes: Buffer, end = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => reject(new Error('the node kept a hostile connection open')), 5000);
    socket.on('error', () => {});
    // Read what the node sends (its hello), or the end of the stream would never be seen.
    socket.resume();
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(bytes);
    if (end) socket.end();
  });
}

async function stillServing(): Promise<void> {
  const before = (await node.query('solo', 'total')) as number;
  expect(await node.command('solo', 1)).toBe(before + 1);
}

describe('a node under hostile input', () => {
  it('refuses a peer with the wrong secret, with UNAUTHORIZED', async () => {
    const rejected = node.overview().transport.rejected;
    await expect(fuzzHandshake('not-the-secret')).rejects.toThrow(/closed/);
    expect(node.overview().transport.rejected).toBe(rejected + 1);
    expect(errors.some((error) => error.code === 'UNAUTHORIZED' && /did not prove/.test(error.message))).toBe(
      true,
    );
    expect(node.overview().peers).toEqual([]);
    await stillServing();
  });

  it('closes connections that send random bytes, huge lengths, truncated or early frames', async () => {
    const rejected = node.overview().transport.rejected;
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0xfffffff0, 0);
    await sendAndWaitForClose(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await sendAndWaitForClose(huge);
    // A batch before any handshake.
    await sendAndWaitForClose(encodeFrame(FrameType.batch, packr.pack([])));
    // A frame cut short, then the end of the stream: closed without a frame read.
    await sendAndWaitForClose(encodeFrame(FrameType.hello, Buffer.alloc(40)).subarray(0, 10), true);
    expect(node.overview().transport.rejected).toBeGreaterThanOrEqual(rejected + 3);
    await stillServing();
  });

  it('after a good handshake, drops messages for unknown groups and old terms, and closes on a wrong shape', async () => {
    const before = node.overview().transport;
    const status = await node.status('solo');
    const socket = await fuzzHandshake(secret);
    const batch = (envelopes: unknown) => socket.write(encodeFrame(FrameType.batch, packr.pack(envelopes)));
    batch([
      { kind: 'raft', group: 'nowhere', from: 'a', message: { type: 'timeoutNow', term: 9 } },
      {
        kind: 'raft',
        group: 'solo',
        from: 'a',
        message: { type: 'vote', term: 0, lastIndex: 0, lastTerm: 0, pre: false, transfer: false },
      },
      {
        kind: 'raft',
        group: 'solo',
        from: 'a',
        message: {
          type: 'appendResponse',
          term: 0,
          success: true,
          match: 99,
          rejectIndex: 0,
          hintIndex: 0,
          stalled: false,
        },
      },
    ]);
    await until(
      () => node.overview().transport.unknownGroup > before.unknownGroup,
      'the unknown group to be counted',
    );
    await until(
      () => node.overview().transport.staleTerm >= before.staleTerm + 2,
      'the old-term messages to be counted',
    );
    expect(socket.destroyed).toBe(false);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    batch([{ kind: 'raft', group: 'solo', from: 'a', message: { type: 'append', term: 'seven' } }]);
    await closed;
    expect(node.overview().transport.rejected).toBe(before.rejected + 1);
    const after = await node.status('solo');
    expect([after.term, after.role]).toEqual([status.term, status.role]);
    await stillServing();
  });

  it('stops only the member a peer breaks an invariant of, reports it, and serves the rest', async () => {
    await node.createGroup('victim', { machine: { module: machineUrl('counter') }, members: ['n'] });
    await node.command('victim', 5);
    const reported = errors.length;
    const socket = await fuzzHandshake(secret);
    // A leader of a later term that rewrites the committed entry at index 1.
    const entry = { index: 1, term: 99, kind: 'noop', data: new Uint8Array(0), config: null, time: 0 };
    const append = {
      type: 'append',
      term: 99,
      prevIndex: 0,
      prevTerm: 0,
      entries: [entry],
      commit: 1,
      probe: true,
    };
    const envelope = { kind: 'raft', group: 'victim', from: 'a', message: append };
    socket.write(encodeFrame(FrameType.batch, packr.pack([envelope])));
    await until(async () => (await node.status('victim')).role === 'failed', 'the member to stop');
    const status = await node.status('victim');
    expect(status.failure).toMatch(/InvariantError.*committed/);
    expect(node.overview().failed.victim).toBe(status.failure);
    const report = errors.slice(reported).find((error) => /victim/.test(error.message));
    expect(report?.code).toBe('STOPPED');
    await expect(node.command('victim', 1, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'STOPPED' });
    socket.destroy();
    await stillServing();
    await node.deleteGroup('victim');
    expect(node.groups()).not.toContain('victim');
  });

  it('lets a client that proved the secret read the overview and a status, and nothing more', async () => {
    const client = await NodeClient.connect({ address: `127.0.0.1:${port}`, secret });
    try {
      expect((await client.overview()).node).toBe('n');
      expect((await client.status('solo')).role).toBe('leader');
      await expect(client.status('nowhere')).rejects.toMatchObject({ code: 'NO_SUCH_GROUP' });
      const asking = client as unknown as { ask(call: unknown): Promise<unknown> };
      await expect(
        asking.ask({ op: 'command', group: 'solo', data: new Uint8Array([1]) }),
      ).rejects.toMatchObject({
        code: 'BAD_ARGUMENT',
      });
    } finally {
      client.close();
    }
    await expect(
      NodeClient.connect({ address: `127.0.0.1:${port}`, secret: 'not-the-secret' }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await stillServing();
  });

  it('survives 10,000 fuzzed frames and still serves', async () => {
    const rejected = node.overview().transport.rejected;
    const report = await fuzzNode(target(), 10_000, 20261126);
    expect(report.frames).toBe(10_000);
    expect(node.overview().transport.rejected).toBeGreaterThan(rejected + report.connections / 2);
    await stillServing();
  }, 120_000);
});

/** Connects as 'a' with `proof` made from `withSecret`; resolves once the node lets it in. */
async function fuzzHandshake(withSecret: string): Promise<Socket> {
  const { handshakeAs } = await import('../../../sim/transport-fuzz.js');
  return handshakeAs({ ...target(), secret: withSecret });
}
