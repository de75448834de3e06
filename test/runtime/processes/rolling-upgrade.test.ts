// A rolling upgrade of a machine's code with real node processes over TCP: the module's file is
// replaced by code of a newer version whose apply computes differently, and the nodes restart one
// at a time under load. Entries keep the semantics of the version they were appended under, the
// group moves to the new version only once every voter runs the new code, and at the end every
// member holds the same state. A node given older code than its log's version stops applying.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlotillaNode } from 'flotilla';
import { describe, expect, it } from 'vitest';
import { type ProcessCluster, processClusterPerTest, statusesOf } from './process-cluster.js';

const startCluster = processClusterPerTest();

// Plain objects: the module lives in the test's temporary directory, with nothing to import.
const version0 = `export default {
  init: () => ({ total: 0, upgradedFrom: null }),
  apply: (_meta, n, state) => ({ state: { ...state, total: state.total + n }, reply: state.total + n }),
  queries: { total: (state) => state.total, upgradedFrom: (state) => state.upgradedFrom },
};
`;
// Version 1 adds ten times as much, but to entries of version 0 as version 0 did: they keep their meaning.
const version1 = `export default {
  version: 1,
  init: () => ({ total: 0, upgradedFrom: null }),
  apply: (meta, n, state) => {
    const total = state.total + (meta.version === 0 ? n : 10 * n);
    return { state: { ...state, total }, reply: total };
  },
  upgrade: (from, state) => ({ ...state, upgradedFrom: from }),
  queries: { total: (state) => state.total, upgradedFrom: (state) => state.upgradedFrom },
};
`;

const statuses = (cluster: ProcessCluster) => statusesOf(cluster, 'g');

/** Commands from the driver, ten at a time, until stopped; failures under restarts are expected. */
function load(driver: FlotillaNode): { stop(): Promise<{ acknowledged: number }> } {
  let running = true;
  let acknowledged = 0;
  const workers = Array.from({ length: 10 }, async () => {
    while (running) {
      await driver.command('g', 1, { timeoutMs: 2000 }).then(
        () => {
          acknowledged += 1;
        },
        () => new Promise((resolve) => setTimeout(resolve, 20)),
      );
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { acknowledged };
    },
  };
}

/** What each member holds, asked of each as the leader in turn. */
async function stateOnEach(cluster: ProcessCluster, query: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const node of cluster.names) {
    await cluster.until(
      async () =>
        (await cluster.driver.transferLeadership('g', node, { timeoutMs: 2000 }).then(
          () => true,
          () => false,
        )) && (await cluster.driver.members('g')).leader === node,
      `${node} to lead`,
      20_000,
    );
    seen.push(await cluster.driver.query('g', query, undefined, { consistency: 'leader', timeoutMs: 5000 }));
  }
  return seen;
}

describe('a rolling upgrade of machine code', () => {
  it('keeps every member equal: the new version applies only once every voter runs it', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    const module = join(cluster.nodes.root, 'counter.mjs');
    writeFileSync(module, version0);
    const spec = { machine: { module: pathToFileURL(module).href }, members: ['a', 'b', 'c'] };
    await cluster.driver.createGroup('g', spec);
    for (let round = 0; round < 20; round += 1) await cluster.driver.command('g', 1);
    let traffic = load(cluster.driver);
    writeFileSync(module, version1);
    const restart = async (node: string) => {
      await cluster.nodes.stop(node);
      await cluster.nodes.startProcess(node);
      await cluster.until(() => cluster.driver.overview().peers.includes(node), `${node} back`, 15_000);
    };
    // The first node on the new code applies the whole log again: under version 0, as the others did.
    await restart('a');
    expect((await traffic.stop()).acknowledged).toBeGreaterThan(0);
    await cluster.until(
      async () => new Set((await statuses(cluster)).map((status) => status.appliedIndex)).size === 1,
      'every member to apply as far',
      20_000,
    );
    expect(new Set(await stateOnEach(cluster, 'total')).size).toBe(1);
    traffic = load(cluster.driver);
    await restart('b');
    // Not every voter runs version 1 yet: the group stays at version 0 everywhere.
    expect((await statuses(cluster)).map((status) => status.version)).toEqual([0, 0, 0]);
    await restart('c');
    await cluster.until(
      async () => (await statuses(cluster)).every((status) => status.version === 1),
      'every member at version 1',
      20_000,
    );
    const { acknowledged } = await traffic.stop();
    expect(acknowledged).toBeGreaterThan(0);
    const before = (await cluster.driver.query('g', 'total', undefined, {
      consistency: 'consistent',
    })) as number;
    expect(await cluster.driver.command('g', 1)).toBe(before + 10);
    const totals = await stateOnEach(cluster, 'total');
    expect(new Set(totals).size).toBe(1);
    expect(await stateOnEach(cluster, 'upgradedFrom')).toEqual([0, 0, 0]);
    await cluster.until(
      async () => {
        const all = await statuses(cluster);
        return all.every((status) => status.appliedIndex === all[0]!.appliedIndex && status.blocked === null);
      },
      'every member to apply as far',
      20_000,
    );
  });

  it('stops a member whose code is older than its log, and takes it back once its code is upgraded', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    const module = join(cluster.nodes.root, 'counter.mjs');
    writeFileSync(module, version1);
    const spec = { machine: { module: pathToFileURL(module).href }, members: ['a', 'b', 'c'] };
    await cluster.driver.createGroup('g', spec);
    expect(await cluster.driver.command('g', 1)).toBe(10);
    // c is given the old code again: it cannot apply a log of version 1.
    writeFileSync(module, version0);
    await cluster.nodes.stop('c');
    await cluster.nodes.startProcess('c');
    await cluster.until(
      async () => (await statuses(cluster))[2]!.blocked !== null,
      'c to say it cannot apply',
      15_000,
    );
    const [, , c] = await statuses(cluster);
    expect(c!.blocked).toMatch(/version 1/);
    expect(cluster.nodes.log('c')).toMatch(/MACHINE_ERROR.*stops applying/);
    expect(await cluster.driver.command('g', 1, { timeoutMs: 10_000 })).toBe(20);
    expect((await cluster.driver.members('g')).leader).not.toBe('c');
    writeFileSync(module, version1);
    await cluster.nodes.stop('c');
    await cluster.nodes.startProcess('c');
    await cluster.until(
      async () => {
        const all = await statuses(cluster);
        return all.every((status) => status.blocked === null && status.appliedIndex === all[0]!.appliedIndex);
      },
      'c to apply as far as the others',
      20_000,
    );
    expect(await stateOnEach(cluster, 'total')).toEqual([20, 20, 20]);
  });
});
