// Node processes for the fault tests: the package's local cluster (each node a `flotilla node`
// process, and the test process joined as a node of its own, 'driver', that makes the calls),
// with the links between the nodes routed through fault proxies the test controls and a fast
// failure detector. Every process started is ended by its PID.
import { fileURLToPath } from 'node:url';
import type { FlotillaNode, GroupStatus } from 'flotilla';
import { afterEach } from 'vitest';
import { NodeProcesses } from '../../../runtime/local-cluster.js';
import { NodeClient } from '../../../runtime/tcp/node-client.js';
import { FaultProxy } from './fault-proxy.js';

const transport = { heartbeatMs: 50, downAfterMs: 400 };
/** The built CLI, as a deployment runs it (the tests import the sources, which are not run). */
const cli = fileURLToPath(new URL('../../../dist/cli/flotilla.js', import.meta.url));

export class ProcessCluster {
  private constructor(
    readonly nodes: NodeProcesses,
    /** The proxy each dialing node reaches a listening one through, by "dialer>listener". */
    readonly proxies: ReadonlyMap<string, FaultProxy>,
  ) {}

  static async start(names: readonly string[]): Promise<ProcessCluster> {
    const proxies = new Map<string, FaultProxy>();
    // The node whose name sorts first dials: only its side needs the proxy's address.
    const route = async (from: string, to: string, address: string) => {
      if (from > to) return address;
      const proxy = await FaultProxy.start(address);
      proxies.set(`${from}>${to}`, proxy);
      return `127.0.0.1:${proxy.port}`;
    };
    try {
      return new ProcessCluster(await NodeProcesses.start(names, { transport, route, cli }), proxies);
    } catch (error) {
      for (const proxy of proxies.values()) proxy.close();
      throw error;
    }
  }

  get driver(): FlotillaNode {
    return this.nodes.driver;
  }

  get names(): readonly string[] {
    return this.nodes.names;
  }

  get addresses(): Readonly<Record<string, string>> {
    return this.nodes.addresses;
  }

  get secret(): string {
    return this.nodes.secret;
  }

  /** Cuts (or heals) the link between two nodes: `forward` is from `one` to `other`. */
  link(one: string, other: string, forward: boolean, backward: boolean): void {
    const [dialer, listener] = one < other ? [one, other] : [other, one];
    const proxy = this.proxies.get(`${dialer}>${listener}`)!;
    if (one < other) proxy.set(forward, backward);
    else proxy.set(backward, forward);
  }

  healAll(): void {
    for (const proxy of this.proxies.values()) proxy.set(true, true);
  }

  async until(condition: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    // SIGKILL first: a process paused by a test needs nothing more to die of it.
    for (const name of this.nodes.names) await this.nodes.kill(name);
    await this.nodes.close();
    for (const proxy of this.proxies.values()) proxy.close();
  }
}

/**
 * For a test file whose tests each start a process cluster: `start` starts it, and it is ended
 * after the test, with each node's last log lines printed if the test failed.
 */
export function processClusterPerTest(): (names: readonly string[]) => Promise<ProcessCluster> {
  let cluster: ProcessCluster | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && cluster !== undefined)
      for (const name of cluster.names) console.error(`--- node ${name} ---\n${cluster.nodes.log(name)}`);
    await cluster?.close();
    cluster = undefined;
  });
  return async (names) => {
    cluster = await ProcessCluster.start(names);
    return cluster;
  };
}

/** Each node's status of `group`, as `flotilla status` would read it. */
export async function statusesOf(cluster: ProcessCluster, group: string): Promise<GroupStatus[]> {
  return Promise.all(
    cluster.names.map(async (node) => {
      const client = await NodeClient.connect({ address: cluster.addresses[node]!, secret: cluster.secret });
      try {
        return await client.status(group);
      } finally {
        client.close();
      }
    }),
  );
}
