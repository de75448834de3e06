// A member removed while it was cut off from the others (the removal committed without it, and
// the call that would have deleted it could not reach it): once the link heals it learns it is
// out and deletes itself, and members() asked on its node answers with the group as it is.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, machineUrl, until } from '../cluster.js';
import { startTcpCluster, type TcpCluster } from './tcp-cluster.js';

let cluster: TcpCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };

describe('a member removed while it was cut off', () => {
  it('is not what members() answers from, and deletes itself once it hears of its removal', async () => {
    cluster = await startTcpCluster(['a', 'b', 'c'], {}, true);
    const [a, c] = [cluster.node('a'), cluster.node('c')];
    await a.createGroup('g', counter);
    await a.transferLeadership('g', 'a');
    await until(async () => (await a.members('g')).leader === 'a', 'a to lead');
    for (let round = 0; round < 3; round += 1) await a.command('g', 1);
    cluster.link('a', 'c', false);
    cluster.link('b', 'c', false);
    await until(
      () => c.overview().peers.length === 0 && !a.overview().peers.includes('c'),
      'c cut off',
      5000,
    );
    expect(['resolved', 'TIMEOUT']).toContain(await codeOf(a.removeMember('g', 'c', { timeoutMs: 2000 })));
    expect((await a.members('g')).voters).toEqual(['a', 'b']);
    expect(await a.command('g', 1)).toBe(4);
    expect(c.groups()).toEqual(['g']);
    cluster.link('a', 'c', true);
    cluster.link('b', 'c', true);
    await until(
      async () => {
        const view = await c.members('g').catch(() => null);
        return view?.leader === 'a' && view.voters.join() === 'a,b' && view.nonVoters.length === 0;
      },
      "members() asked on c to answer with the group's leader and members",
      10_000,
    );
    await until(() => c.groups().length === 0, 'c to delete its removed member', 10_000);
    expect(await a.command('g', 1)).toBe(5);
  });
});
