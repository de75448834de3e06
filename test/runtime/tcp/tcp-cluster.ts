// Nodes of one process that talk over TCP on loopback, as separate processes would: each listens
// on a port of its own and knows the others by address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlotillaNode, startNode } from 'flotilla';
import { freePort } from '../../../runtime/local-cluster.js';

export { freePort };

export const secret = 'loopback-test-secret';
/** Fast failure detection, so tests of a lost node take a second, not several. */
export const fastDetection = { heartbeatMs: 50, downAfterMs: 400 };

export interface TcpCluster {
  readonly addresses: Readonly<Record<string, string>>;
  readonly nodes: Map<string, FlotillaNode>;
  node(name: string): FlotillaNode;
  start(name: string): Promise<FlotillaNode>;
  close(): Promise<void>;
}

export async function startTcpCluster(
  names: readonly string[],
  transport: { readonly maxFrameBytes?: number } = {},
): Promise<TcpCluster> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-tcp-'));
  const addresses: Record<string, string> = {};
  for (const name of names) addresses[name] = `127.0.0.1:${await freePort()}`;
  const nodes = new Map<string, FlotillaNode>();
  const start = async (name: string) => {
    const node = await startNode({
      name,
      dataDir: join(root, name),
      listen: addresses[name]!,
      peers: Object.fromEntries(
        names.filter((peer) => peer !== name).map((peer) => [peer, addresses[peer]!]),
      ),
      secret,
      transport: { ...fastDetection, ...transport },
    });
    nodes.set(name, node);
    return node;
  };
  for (const name of names) await start(name);
  // Connected before the test begins: each node sees every other up.
  const deadline = Date.now() + 5000;
  while ([...nodes.values()].some((node) => node.overview().peers.length < names.length - 1)) {
    if (Date.now() > deadline) throw new Error('the nodes did not connect in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    addresses,
    nodes,
    node: (name) => {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      return node;
    },
    start,
    close: async () => {
      for (const node of nodes.values()) await node.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
