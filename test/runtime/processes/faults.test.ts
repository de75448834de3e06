// Faults with real node processes on loopback: kill -9 under load, a node paused with SIGSTOP,
// partitions both ways and one way. Clients of the KV example run throughout; their history
// must be linearizable (no acknowledged write lost), and after healing every group must have a
// leader and every member the same applied index.
import { describe, expect, it } from 'vitest';
import { NodeClient } from '../../../runtime/tcp/node-client.js';
import { checkLinearizable } from '../../../sim/linearizability/index.js';
import { KvWorkload } from './kv-workload.js';
import { type ProcessCluster, processClusterPerTest } from './process-cluster.js';

const kv = new URL('../../../dist/examples/kv/kv-machine.js', import.meta.url).href;
const names = ['a', 'b', 'c'];
const startCluster = processClusterPerTest();

async function withGroups(count: number): Promise<{ cluster: ProcessCluster; workload: KvWorkload }> {
  const cluster = await startCluster(names);
  const groups = Array.from({ length: count }, (_, index) => `kv-${index}`);
  await Promise.all(
    groups.map((group) => cluster.driver.createGroup(group, { machine: { module: kv }, members: names })),
  );
  return { cluster, workload: new KvWorkload(cluster.driver, groups) };
}

/** The node leading the most groups: the one whose loss costs the most. */
async function busiestLeader(cluster: ProcessCluster, groups: readonly string[]): Promise<string> {
  const led = new Map<string, number>();
  for (const group of groups) {
    const { leader } = await cluster.driver.members(group);
    if (leader !== null) led.set(leader, (led.get(leader) ?? 0) + 1);
  }
  return [...led].sort((x, y) => y[1] - x[1])[0]![0];
}

/** After healing: a leader for every group, and every member applied as far as the others. */
async function converged(cluster: ProcessCluster, groups: readonly string[]): Promise<void> {
  const clients = await Promise.all(
    names.map((name) => NodeClient.connect({ address: cluster.addresses[name]!, secret: cluster.secret })),
  );
  try {
    for (const group of groups) {
      await cluster.until(
        async () => (await cluster.driver.members(group)).leader !== null,
        `a leader of ${group}`,
        10_000,
      );
      // A command after healing commits on a quorum and tells every member where the log ends.
      await cluster.driver.command(group, { op: 'put', key: 'healed', value: 'yes' }, { timeoutMs: 10_000 });
      await cluster.until(
        async () => {
          const statuses = await Promise.all(clients.map((client) => client.status(group)));
          return statuses.every(
            (status) => status.appliedIndex === statuses[0]!.appliedIndex && status.appliedIndex > 0,
          );
        },
        `the members of ${group} to converge`,
        10_000,
      );
    }
  } finally {
    for (const client of clients) client.close();
  }
}

/** While `victim` is out of reach: every group it led elects a leader among the others. */
async function ledElsewhere(
  cluster: ProcessCluster,
  groups: readonly string[],
  victim: string,
): Promise<void> {
  await cluster.until(
    async () => {
      for (const group of groups) {
        const { leader } = await cluster.driver
          .members(group, { timeoutMs: 1000 })
          .catch(() => ({ leader: null }));
        if (leader === null || leader === victim) return false;
      }
      return true;
    },
    `every group to lead away from ${victim}`,
    5000,
  );
}

function expectLinearizable(workload: KvWorkload): void {
  const verdict = checkLinearizable(workload.history);
  if (!verdict.linearizable) throw new Error(`not linearizable: ${JSON.stringify(verdict).slice(0, 2000)}`);
  expect(workload.completed('put')).toBeGreaterThan(50);
  expect(workload.completed('get')).toBeGreaterThan(50);
}

describe('node processes under faults', () => {
  it('lose no acknowledged write when a node is killed with SIGKILL under load and restarted', async () => {
    const { cluster, workload } = await withGroups(32);
    const victim = await busiestLeader(cluster, workload.groups);
    const load = workload.run(12, 6000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await cluster.nodes.signal(victim, 'SIGKILL');
    await ledElsewhere(cluster, workload.groups, victim);
    await cluster.nodes.startProcess(victim);
    await load;
    expectLinearizable(workload);
    await converged(cluster, workload.groups);
  }, 90_000);

  it('carry on while a node is paused with SIGSTOP, and take it back after SIGCONT', async () => {
    const { cluster, workload } = await withGroups(32);
    const victim = await busiestLeader(cluster, workload.groups);
    const load = workload.run(12, 6000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await cluster.nodes.signal(victim, 'SIGSTOP');
    await ledElsewhere(cluster, workload.groups, victim);
    await cluster.nodes.signal(victim, 'SIGCONT');
    await load;
    expectLinearizable(workload);
    await converged(cluster, workload.groups);
  }, 90_000);

  it('stay linearizable through a symmetric partition and a one-way one, and converge after', async () => {
    const { cluster, workload } = await withGroups(32);
    const victim = await busiestLeader(cluster, workload.groups);
    const others = names.filter((name) => name !== victim);
    const load = workload.run(12, 8000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The victim is cut off from both other nodes, both ways (the driver still reaches it).
    for (const other of others) cluster.link(victim, other, false, false);
    await ledElsewhere(cluster, workload.groups, victim);
    cluster.healAll();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // One way: the victim hears the others, they do not hear it.
    for (const other of others) cluster.link(victim, other, false, true);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    cluster.healAll();
    await load;
    expectLinearizable(workload);
    await converged(cluster, workload.groups);
  }, 90_000);
});
