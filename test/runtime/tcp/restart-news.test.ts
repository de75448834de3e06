// A peer's restart is news even when its old connection was never seen to close: a quiet
// follower of a leader there would otherwise wait on it for ever (the production-node simulator
// found this, seeds 147 and 183 of its first batch, with a wiped leader's node back in time).
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlotillaNode } from 'flotilla';
import { afterEach, describe, expect, it } from 'vitest';
import { handshakeAs } from '../../../sim/transport-fuzz.js';
import { until } from '../cluster.js';
import { freePort, listenerForA, secret } from './tcp-cluster.js';

let root: string;
let node: FlotillaNode | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await node?.close();
  node = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('news of a peer', () => {
  it('says a peer was down when a new process of it connects while its old connection looks open', async () => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-restart-news-'));
    const port = await freePort();
    node = await listenerForA(join(root, 'n'), port);
    const news: string[] = [];
    node.on('up', (peer) => news.push(`up ${peer}`));
    node.on('down', (peer) => news.push(`down ${peer}`));
    const as = (process: string) => handshakeAs({ host: '127.0.0.1', port, secret, asNode: 'a', process });
    sockets.push(await as('first'));
    await until(() => news.length === 1, 'a to be up');
    // The same process dialing again (its old connection lost on its side): no restart.
    sockets.push(await as('first'));
    // A new process while the last connection is still open here.
    sockets.push(await as('second'));
    await until(() => news.length === 3, 'news of the restart');
    expect(news).toEqual(['up a', 'down a', 'up a']);
  });
});
