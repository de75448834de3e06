// Starts nodes in one process, each with its own data directory, and closes them after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlotillaError, type FlotillaNode, startNode } from 'flotilla';
import { afterEach } from 'vitest';
import { freePort } from '../../runtime/local-cluster.js';

export interface Cluster {
  readonly root: string;
  readonly nodes: Map<string, FlotillaNode>;
  /** The error events of every node the cluster started, in the order they came. */
  readonly errors: Error[];
  node(name: string): FlotillaNode;
  restart(name: string): Promise<FlotillaNode>;
  /** Closes a node, deletes its whole data directory (a replaced disk), and starts it again. */
  wipe(name: string): Promise<FlotillaNode>;
  /** Starts a node of this cluster that is not running (closed by the test, or never started). */
  start(name: string): Promise<FlotillaNode>;
  close(): Promise<void>;
}

export function machineUrl(name: string): string {
  return new URL(`./machines/${name}.mjs`, import.meta.url).href;
}

/**
 * With FLOTILLA_TEST_TRANSPORT=tcp the nodes still share this process but talk over TCP on
 * loopback, each on a port of its own, as separate processes would.
 */
export async function startCluster(
  names: readonly string[],
  threads = Number(process.env.FLOTILLA_TEST_THREADS ?? 0),
): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-runtime-'));
  const nodes = new Map<string, FlotillaNode>();
  const tcp = process.env.FLOTILLA_TEST_TRANSPORT === 'tcp';
  const addresses: Record<string, string> = {};
  if (tcp) for (const name of names) addresses[name] = `127.0.0.1:${await freePort()}`;
  const network = (name: string) =>
    tcp
      ? {
          listen: addresses[name]!,
          peers: Object.fromEntries(
            names.filter((peer) => peer !== name).map((peer) => [peer, addresses[peer]!]),
          ),
          secret: 'runtime-tests-over-tcp',
          transport: { heartbeatMs: 50, downAfterMs: 400 },
        }
      : {};
  const errors: Error[] = [];
  const start = async (name: string) => {
    const node = await startNode({ name, dataDir: join(root, name), threads, ...network(name) });
    node.on('error', (error) => errors.push(error));
    nodes.set(name, node);
    return node;
  };
  for (const name of names) await start(name);
  if (tcp) {
    await until(
      () => [...nodes.values()].every((node) => node.overview().peers.length === names.length - 1),
      'the nodes to connect over TCP',
    );
  }
  return {
    root,
    nodes,
    errors,
    node: (name) => {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      return node;
    },
    restart: async (name) => {
      await nodes.get(name)?.close();
      return start(name);
    },
    wipe: async (name) => {
      await nodes.get(name)?.close();
      rmSync(join(root, name), { recursive: true, force: true });
      return start(name);
    },
    start,
    close: async () => {
      for (const node of nodes.values()) await node.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Waits for `condition`, checking every 10 ms for at most `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * For a test file whose tests each start clusters: `start` starts one, and every cluster a test
 * started is closed after it.
 */
export function clustersPerTest(): (names?: readonly string[], threads?: number) => Promise<Cluster> {
  const started: Cluster[] = [];
  afterEach(async () => {
    for (const cluster of started.splice(0)) await cluster.close();
  });
  return async (names = ['a', 'b', 'c'], threads?: number) => {
    const cluster = await startCluster(names, threads);
    started.push(cluster);
    return cluster;
  };
}

/** The code of the FlotillaError `promise` rejects with, or 'resolved'; any other rejection fails the test. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof FlotillaError)) throw error;
    return error.code;
  }
  return 'resolved';
}
