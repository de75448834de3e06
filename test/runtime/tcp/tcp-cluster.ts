// Nodes of one process that talk over TCP on loopback, as separate processes would: each listens
// on a port of its own and knows the others by address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlotillaNode, startNode } from 'flotilla';
import { freePort } from '../../../runtime/local-cluster.js';
import { FaultProxy } from '../processes/fault-proxy.js';

export { freePort };

export const secret = 'loopback-test-secret';
/**
 * Node 'n' listening on `port`, whose one peer 'a' sorts before it, so that 'n' only listens for
 * 'a' and never dials it: a test connects as 'a' (sim/transport-fuzz.ts handshakeAs).
 */
export async function listenerForA(dataDir: string, port: number, threads = 0): Promise<FlotillaNode> {
  return startNode({
    name: 'n',
    dataDir,
    threads,
    listen: `127.0.0.1:${port}`,
    peers: { a: `127.0.0.1:${await freePort()}` },
    secret,
  });
}

/** Fast failure detection, so tests of a lost node take a second, not several. */
export const fastDetection = { heartbeatMs: 50, downAfterMs: 400 };

export interface TcpCluster {
  readonly addresses: Readonly<Record<string, string>>;
  readonly nodes: Map<string, FlotillaNode>;
  node(name: string): FlotillaNode;
  start(name: string): Promise<FlotillaNode>;
  /** With `proxied`: cuts (false) or heals (true) the link between two nodes, both ways. */
  link(one: string, other: string, up: boolean): void;
  close(): Promise<void>;
}

export async function startTcpCluster(
  names: readonly string[],
  transport: { readonly maxFrameBytes?: number } = {},
  /** Puts a fault proxy on every link, so a test can cut it (see `link`). */
  proxied = false,
  /** Worker threads of each node, by name (0 for a node not named). */
  threads: Readonly<Record<string, number>> = {},
): Promise<TcpCluster> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-tcp-'));
  const addresses: Record<string, string> = {};
  for (const name of names) addresses[name] = `127.0.0.1:${await freePort()}`;
  // The node whose name sorts first dials: only its side of a link needs the proxy's address.
  const proxies = new Map<string, FaultProxy>();
  if (proxied)
    for (const one of names)
      for (const other of names)
        if (one < other) proxies.set(`${one}>${other}`, await FaultProxy.start(addresses[other]!));
  const addressFor = (from: string, to: string) => {
    const proxy = proxies.get(`${from}>${to}`);
    return proxy === undefined ? addresses[to]! : `127.0.0.1:${proxy.port}`;
  };
  const nodes = new Map<string, FlotillaNode>();
  const start = async (name: string) => {
    const node = await startNode({
      name,
      dataDir: join(root, name),
      threads: threads[name] ?? 0,
      listen: addresses[name]!,
      peers: Object.fromEntries(
        names.filter((peer) => peer !== name).map((peer) => [peer, addressFor(name, peer)]),
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
    link: (one, other, up) => {
      const proxy = proxies.get(one < other ? `${one}>${other}` : `${other}>${one}`);
      if (proxy === undefined) throw new Error(`no proxy between ${one} and ${other}`);
      proxy.set(up, up);
    },
    close: async () => {
      for (const node of nodes.values()) await node.close();
      for (const proxy of proxies.values()) proxy.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
