// Admission control: a burst beyond a group's bounds is refused at once with OVERLOADED, never
// queued without bound, and a refused command is never applied.
import { FlotillaError } from 'flotilla';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, machineUrl, startCluster } from './cluster.js';

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
});

describe('overload', () => {
  it('refuses what exceeds a group’s bounds with OVERLOADED and applies exactly what it accepted', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    await cluster
      .node('a')
      .createGroup('hot', { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] });
    const { leader } = await cluster.node('a').members('hot');
    const node = cluster.node(leader!);
    const burst = 20_000;
    const results = await Promise.allSettled(
      Array.from({ length: burst }, () => node.command('hot', 1, { timeoutMs: 60_000 })),
    );
    const accepted = results.filter((result) => result.status === 'fulfilled').length;
    const refused = results.filter(
      (result) =>
        result.status === 'rejected' &&
        result.reason instanceof FlotillaError &&
        result.reason.code === 'OVERLOADED',
    ).length;
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted + refused).toBe(burst);
    expect(await node.query('hot', 'total', undefined, { consistency: 'consistent' })).toBe(accepted);
  });
});
