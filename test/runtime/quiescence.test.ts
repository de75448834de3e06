// Idle groups cost nothing: once their work is done they arm no timer and send no message,
// and losing a node still gets every group it led a new leader.
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, machineUrl, startCluster, until } from './cluster.js';

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
});

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };
const groups = Array.from({ length: 30 }, (_, index) => `g${index}`);

function messagesSent(cluster: Cluster): number {
  let sent = 0;
  for (const node of cluster.nodes.values()) sent += node.overview().transport.messages;
  return sent;
}

function timersArmed(cluster: Cluster): number {
  let armed = 0;
  for (const node of cluster.nodes.values()) armed += node.overview().timersArmed;
  return armed;
}

describe('quiescence', () => {
  it('leaves idle groups with no timer armed and no message sent over a window', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    await Promise.all(groups.map((name) => cluster.node('a').createGroup(name, counter)));
    await Promise.all(groups.map((name, index) => cluster.node('b').command(name, index)));
    await until(() => timersArmed(cluster) === 0, 'every group to go quiet');
    // The last acknowledgements and commit notices may still be on their way.
    let settled = messagesSent(cluster);
    await until(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = messagesSent(cluster);
      const still = now === settled;
      settled = now;
      return still;
    }, 'the last messages to land');
    const before = messagesSent(cluster);
    // Longer than the election timeout and several heartbeat intervals.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(messagesSent(cluster)).toBe(before);
    expect(timersArmed(cluster)).toBe(0);
    // And quiet groups still answer at once.
    expect(await cluster.node('c').command('g3', 1)).toBe(4);
  });

  it('elects new leaders for the groups a lost node led', async () => {
    const cluster = await startCluster(['a', 'b', 'c']);
    clusters.push(cluster);
    await Promise.all(groups.map((name) => cluster.node('a').createGroup(name, counter)));
    await until(() => timersArmed(cluster) === 0, 'every group to go quiet');
    // Make sure node a leads at least one group when it goes.
    await cluster.node('b').transferLeadership('g0', 'a');
    await until(async () => (await cluster.node('b').members('g0')).leader === 'a', 'a to lead g0');
    await until(() => timersArmed(cluster) === 0, 'every group to go quiet again');
    await cluster.node('a').close();
    cluster.nodes.delete('a');
    for (const name of groups) {
      await until(async () => {
        const { leader } = await cluster.node('b').members(name);
        return leader === 'b' || leader === 'c';
      }, `a new leader of ${name}`);
    }
    expect(await cluster.node('c').command('g0', 5)).toBe(5);
  });
});
