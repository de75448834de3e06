// A member's identity includes its data. A member whose data is gone (a wiped data directory, a
// group deleted and created again, a member removed and added back) comes back stalled, as a new
// incarnation, and catches up from the leader; it never counts as the member that had the data,
// whichever call brings it back. A group is founded once.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FlotillaNode } from 'flotilla';
import { describe, expect, it } from 'vitest';
import { type Cluster, clustersPerTest, codeOf, machineUrl, until } from './cluster.js';

const counter = { machine: { module: machineUrl('counter') }, members: ['a', 'b', 'c'] };

const start = clustersPerTest();
const threeNodes = (threads?: number) => start(['a', 'b', 'c'], threads);

function local(node: FlotillaNode, group: string): Promise<number | null> {
  return (node.query(group, 'total', undefined, { consistency: 'local' }) as Promise<number>).catch(
    () => null,
  );
}

async function caughtUp(
  cluster: Cluster,
  group: string,
  total: number,
  names = ['a', 'b', 'c'],
): Promise<void> {
  await until(
    async () =>
      (await Promise.all(names.map((name) => local(cluster.node(name), group)))).every(
        (seen) => seen === total,
      ),
    `a total of ${total} on ${names.join(', ')}`,
    10_000,
  );
}

/** The new member is promoted once caught up: a moment after it holds the data. */
async function allVoters(cluster: Cluster, asked: string): Promise<void> {
  await until(
    async () => [...(await cluster.node(asked).members('g')).voters].sort().join() === 'a,b,c',
    'a, b and c to be voters',
  );
}

describe('a node whose disk was replaced', () => {
  it('comes back stalled when the application declares its groups again, and loses nothing acknowledged', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    await cluster.node('b').stopGroup('g');
    for (let round = 0; round < 5; round += 1) await cluster.node('a').command('g', 1);
    await cluster.node('a').stopGroup('g');
    // c loses its disk; b comes back without the five commands; the application declares g again.
    await cluster.wipe('c');
    await cluster.node('b').restartGroup('g');
    const declared = await codeOf(cluster.node('c').createGroup('g', counter, { timeoutMs: 1500 }));
    expect(['resolved', 'TIMEOUT']).toContain(declared);
    // b and the new c are no quorum: b alone holds data, so no leader may answer from b's log.
    expect(
      await codeOf(
        cluster.node('c').query('g', 'total', undefined, { consistency: 'consistent', timeoutMs: 1500 }),
      ),
    ).toBe('TIMEOUT');
    await cluster.node('a').restartGroup('g');
    expect(await cluster.node('c').query('g', 'total', undefined, { consistency: 'consistent' })).toBe(5);
    expect(await cluster.node('b').command('g', 1)).toBe(6);
    await caughtUp(cluster, 'g', 6);
    await allVoters(cluster, 'c');
    expect(cluster.errors.filter((error) => /Invariant|failed/.test(error.message))).toEqual([]);
  });

  it('comes back stalled on a node restart that finds the group recorded but its data gone', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    for (let round = 0; round < 3; round += 1) await cluster.node('b').command('g', 2);
    const before = (await cluster.node('c').status('g')).member;
    await cluster.node('c').close();
    // The directory of groups survives; the WAL and its LMDB environment do not.
    for (const part of ['wal', 'lmdb'])
      rmSync(join(cluster.root, 'c', part), { recursive: true, force: true });
    await cluster.start('c');
    expect(await cluster.node('a').command('g', 1)).toBe(7);
    await caughtUp(cluster, 'g', 7);
    // A new member on the same node: another identity, which the leader put in the old one's place.
    const after = (await cluster.node('c').status('g')).member;
    expect(after).not.toBe(before);
    expect(after?.startsWith('c#')).toBe(true);
    await allVoters(cluster, 'a');
  });

  it('comes back stalled through addMember', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    await cluster.node('a').command('g', 4);
    await cluster.wipe('b');
    await cluster.node('a').addMember('g', 'b');
    expect(await cluster.node('c').command('g', 1)).toBe(5);
    await caughtUp(cluster, 'g', 5);
  });

  it('is founded afresh only when no member holds the group', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    await cluster.node('a').command('g', 9);
    // Every node declares it again, the wiped one too: the group goes on with what it had.
    await cluster.wipe('a');
    await Promise.all(['a', 'b', 'c'].map((name) => cluster.node(name).createGroup('g', counter)));
    expect(await cluster.node('a').command('g', 1)).toBe(10);
    await caughtUp(cluster, 'g', 10);
  });
});

describe('a group deleted and created again', () => {
  it('starts from nothing, as a new group', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    await cluster.node('a').command('g', 9);
    await cluster.node('b').deleteGroup('g');
    for (const name of ['a', 'b', 'c']) expect(cluster.node(name).groups()).toEqual([]);
    await cluster.node('c').createGroup('g', counter);
    expect(await cluster.node('a').command('g', 1)).toBe(1);
    await caughtUp(cluster, 'g', 1);
  });
});

describe('a member removed and added back', () => {
  it('joins as a new member and catches up, on worker-thread shards too, and its node restarts', async () => {
    const cluster = await threeNodes(1);
    await cluster.node('a').createGroup('g', counter);
    for (let round = 0; round < 20; round += 1) await cluster.node('a').command('g', 1);
    await cluster.node('a').removeMember('g', 'c');
    expect(cluster.node('c').groups()).toEqual([]);
    await cluster.node('a').command('g', 1);
    await cluster.node('a').addMember('g', 'c');
    expect([...(await cluster.node('a').members('g')).voters].sort()).toEqual(['a', 'b', 'c']);
    expect(await cluster.node('b').command('g', 1)).toBe(22);
    await caughtUp(cluster, 'g', 22);
    await cluster.restart('c');
    expect((await cluster.node('c').status('g')).role).not.toBe('failed');
    expect(await cluster.node('c').command('g', 1)).toBe(23);
    expect(cluster.errors.filter((error) => /Invariant|failed/.test(error.message))).toEqual([]);
  });
});

describe('removeMember', () => {
  it('refuses to remove a voter while the voters left would have no quorum of members that answer', async () => {
    const cluster = await threeNodes();
    await cluster.node('a').createGroup('g', counter);
    await cluster.node('a').command('g', 3);
    // c's disk is gone and c is not back yet: its member is a voter that will never answer again.
    await cluster.node('c').close();
    rmSync(join(cluster.root, 'c'), { recursive: true, force: true });
    await until(() => !cluster.node('a').overview().peers.includes('c'), 'a to see c gone');
    // Without b, the voters would be a and the lost c: no quorum, ever, and the group lost.
    // Refused (OVERLOADED) until the deadline; on a busy machine the last ask may straddle it,
    // and the caller hears TIMEOUT with the refusal that came before.
    const refused = await cluster
      .node('a')
      .removeMember('g', 'b', { timeoutMs: 1500 })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: expect.stringMatching(/^(OVERLOADED|TIMEOUT)$/) });
    expect(String((refused as Error).message)).toMatch(/no quorum of members that answer/);
    expect([...(await cluster.node('b').members('g')).voters].sort()).toEqual(['a', 'b', 'c']);
    expect(await cluster.node('b').command('g', 1)).toBe(4);
    // Once c is back as a new member and a voter, b may go.
    await cluster.start('c');
    await cluster.node('c').createGroup('g', counter);
    await caughtUp(cluster, 'g', 4);
    await allVoters(cluster, 'a');
    await cluster.node('a').removeMember('g', 'b');
    expect([...(await cluster.node('a').members('g')).voters].sort()).toEqual(['a', 'c']);
    expect(await cluster.node('c').command('g', 1)).toBe(5);
  });
});

describe('addMember', () => {
  it('resolves once the member is a voter, or a non-voter when asked for one', async () => {
    const cluster = await start(['a', 'b', 'c', 'd', 'e']);
    await cluster.node('a').createGroup('g', counter);
    for (let round = 0; round < 50; round += 1) await cluster.node('a').command('g', 1);
    await cluster.node('b').addMember('g', 'd');
    const afterVoter = await cluster.node('e').members('g');
    expect(afterVoter.voters).toContain('d');
    expect(afterVoter.nonVoters).not.toContain('d');
    await cluster.node('b').addMember('g', 'e', { voter: false });
    expect((await cluster.node('a').members('g')).nonVoters).toEqual(['e']);
    // A remove straight after an add leaves the group with the voters it should have.
    await cluster.node('c').removeMember('g', 'd');
    expect([...(await cluster.node('a').members('g')).voters].sort()).toEqual(['a', 'b', 'c']);
  });
});
