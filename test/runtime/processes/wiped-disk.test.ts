// A node process whose disk is replaced (its data directory deleted) and that comes back under
// the same name, over TCP with real node processes: the application declares its group again,
// the new member waits, empty, and no leader answers from a log that lacks acknowledged commands.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOf, machineUrl } from '../cluster.js';
import { processClusterPerTest, statusesOf } from './process-cluster.js';

const startCluster = processClusterPerTest();

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };

describe('a node process whose disk was replaced', () => {
  it('rejoins as a new member when its group is declared again, and nothing acknowledged is lost', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    const { driver, nodes } = cluster;
    await driver.createGroup('g', counter);
    const before = (await statusesOf(cluster, 'g'))[2]!.member;
    await nodes.kill('b');
    for (let round = 0; round < 5; round += 1)
      expect(await driver.command('g', 1, { timeoutMs: 10_000 })).toBe(round + 1);
    await nodes.kill('a');
    await nodes.kill('c');
    rmSync(join(nodes.root, 'c'), { recursive: true, force: true });
    await nodes.startProcess('c');
    await nodes.startProcess('b');
    await cluster.until(() => driver.overview().peers.length === 2, 'b and c to connect', 15_000);
    expect(['resolved', 'TIMEOUT']).toContain(
      await codeOf(driver.createGroup('g', counter, { timeoutMs: 3000 })),
    );
    // b (without the five commands) and the empty c are no quorum: no leader may answer.
    const read = driver.query('g', 'total', undefined, { consistency: 'consistent', timeoutMs: 3000 });
    expect(await codeOf(read)).toBe('TIMEOUT');
    await nodes.startProcess('a');
    await cluster.until(
      async () =>
        (await driver
          .query('g', 'total', undefined, { consistency: 'consistent', timeoutMs: 2000 })
          .catch(() => null)) === 5,
      'a consistent read of 5',
      20_000,
    );
    expect(await driver.command('g', 1, { timeoutMs: 10_000 })).toBe(6);
    await cluster.until(
      async () => {
        const statuses = await statusesOf(cluster, 'g');
        return statuses.every((status) => status.appliedIndex === statuses[0]!.appliedIndex);
      },
      'every member to apply as far',
      20_000,
    );
    const after = (await statusesOf(cluster, 'g'))[2]!;
    expect(after.member).not.toBe(before);
    // The new member on c was added as a non-voter in the old one's place and is promoted once
    // caught up: a moment after it applies as far as the others.
    await cluster.until(
      async () => [...(await driver.members('g')).voters].sort().join() === 'a,b,c',
      'c to be a voter again',
      20_000,
    );
  });
});
