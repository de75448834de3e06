// The production node under simulation: FlotillaNode with a simulated clock, disk and network,
// driven through the public API. These are the first properties; the seeds' swarm comes next.
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster/sim-cluster.js';

const counter = new URL('../runtime/machines/counter.mjs', import.meta.url).href;
const spec = { machine: { module: counter }, members: ['a', 'b', 'c'] };
/** The simulation's counter, which lets the log be compacted every `snapshotEvery` commands. */
const compacting = new URL('../../dist/sim/cluster/counter-machine.js', import.meta.url).href;

/** A cluster of a, b and c whose group g (compacting every 4 commands) has taken ten. */
async function groupOfTen(seed: number) {
  await SimCluster.preload([compacting]);
  const cluster = new SimCluster({ seed, tearProbability: 0 });
  const old = { machine: { module: compacting, config: { snapshotEvery: 4 } }, members: ['a', 'b', 'c'] };
  for (const name of cluster.names) await cluster.start(name);
  expect((await cluster.call(() => cluster.node('a').createGroup('g', old))).ok).toBe(true);
  for (let round = 1; round <= 10; round += 1)
    expect(await cluster.call(() => cluster.node('a').command('g', 1))).toEqual({ ok: true, value: round });
  await cluster.run(1_000);
  return { cluster, old };
}

/**
 * Deletes g from a, killing b the moment its member is gone: its directory forgot the group,
 * its log's record of the delete is not synced yet. Resolves once the delete has settled.
 */
async function deleteKillingB(cluster: SimCluster): Promise<void> {
  const deleting = cluster.node('a').deleteGroup('g', { timeoutMs: 3_000 });
  await cluster.time.runUntil(() => !cluster.node('b').groups().includes('g'), cluster.time.now + 5_000);
  cluster.crash('b');
  await cluster.call(() => deleting);
}

/** A run: a group created, commands from every node, a node crashed and restarted; its trace hash. */
async function scenario(seed: number): Promise<{ readonly hash: string; readonly totals: unknown[] }> {
  await SimCluster.preload([counter]);
  const cluster = new SimCluster({ seed });
  for (const name of cluster.names) await cluster.start(name);
  const created = await cluster.call(() => cluster.node('a').createGroup('g', spec));
  expect(created.ok, String(!created.ok && created.error)).toBe(true);
  let expected = 0;
  for (const name of ['a', 'b', 'c', 'a', 'b']) {
    expected += 1;
    const reply = await cluster.call(() => cluster.node(name).command('g', 1));
    expect(reply).toEqual({ ok: true, value: expected });
  }
  cluster.crash('c');
  for (const name of ['a', 'b', 'a']) {
    expected += 1;
    const reply = await cluster.call(() => cluster.node(name).command('g', 1, { timeoutMs: 30_000 }));
    expect(reply).toEqual({ ok: true, value: expected });
  }
  await cluster.start('c');
  await cluster.run(5_000);
  const totals = [];
  for (const name of cluster.names) {
    const total = await cluster.call(() =>
      cluster.node(name).query('g', 'total', undefined, { consistency: 'local' }),
    );
    totals.push(total.ok ? total.value : total.error);
  }
  await cluster.close();
  return { hash: cluster.trace.digest(), totals };
}

describe('production nodes under simulation', () => {
  it('create a group, answer commands from every node, and bring a crashed node back level', async () => {
    const { totals } = await scenario(7);
    expect(totals).toEqual([8, 8, 8]);
  });

  it('replay a seed exactly, and differ between seeds', async () => {
    const first = await scenario(11);
    const second = await scenario(11);
    const other = await scenario(12);
    expect(second.hash).toBe(first.hash);
    expect(other.hash).not.toBe(first.hash);
  });

  it('lose nothing acknowledged when a disk is replaced and the application declares its group again', async () => {
    await SimCluster.preload([counter]);
    const cluster = new SimCluster({ seed: 21 });
    for (const name of cluster.names) await cluster.start(name);
    expect((await cluster.call(() => cluster.node('a').createGroup('g', spec))).ok).toBe(true);
    cluster.crash('b');
    for (let round = 1; round <= 5; round += 1)
      expect(await cluster.call(() => cluster.node('a').command('g', 1, { timeoutMs: 30_000 }))).toEqual({
        ok: true,
        value: round,
      });
    cluster.crash('a');
    cluster.crash('c');
    cluster.wipe('c');
    await cluster.start('c');
    await cluster.start('b');
    // What a broker does at start-up: declare every queue. c must not found the group afresh.
    await cluster.call(() => cluster.node('c').createGroup('g', spec, { timeoutMs: 3_000 }));
    const early = await cluster.call(() =>
      cluster.node('b').query('g', 'total', undefined, { consistency: 'consistent', timeoutMs: 3_000 }),
    );
    expect(early.ok).toBe(false);
    await cluster.start('a');
    // And again once every node is back: the group is held everywhere now, so nothing is founded.
    await cluster.call(() => cluster.node('c').createGroup('g', spec, { timeoutMs: 3_000 }));
    let total: unknown = null;
    for (let attempt = 0; attempt < 30 && total !== 5; attempt += 1) {
      const read = await cluster.call(() =>
        cluster.node('c').query('g', 'total', undefined, { consistency: 'consistent', timeoutMs: 2_000 }),
      );
      total = read.ok ? read.value : null;
      if (total !== 5) await cluster.run(500);
    }
    expect(total).toBe(5);
    await cluster.close();
  });

  it('never says a group does not exist before every node that could hold it has answered', async () => {
    await SimCluster.preload([counter]);
    const cluster = new SimCluster({ seed: 31, names: ['a', 'b', 'c', 'd'] });
    for (const name of cluster.names) await cluster.start(name);
    expect((await cluster.call(() => cluster.node('a').createGroup('g', spec))).ok).toBe(true);
    // d holds no member; cut off from the nodes that do, it cannot know whether the group exists.
    for (const name of ['a', 'b', 'c']) {
      cluster.network.cut('d', name);
      cluster.network.cut(name, 'd');
    }
    await cluster.run(1_000);
    const cut = await cluster.call(() => cluster.node('d').command('g', 1, { timeoutMs: 2_000 }));
    expect(cut.ok).toBe(false);
    expect(!cut.ok && (cut.error as { code?: string }).code).toBe('TIMEOUT');
    cluster.network.heal();
    await cluster.run(1_000);
    expect(await cluster.call(() => cluster.node('d').command('g', 1, { timeoutMs: 5_000 }))).toEqual({
      ok: true,
      value: 1,
    });
    // Once every node has answered that it knows no such group, d says so.
    const none = await cluster.call(() => cluster.node('d').command('nothing', 1, { timeoutMs: 5_000 }));
    expect(!none.ok && (none.error as { code?: string }).code).toBe('NO_SUCH_GROUP');
    await cluster.close();
  });

  it('start a group created again under a deleted name from nothing, though a node crashed before its delete was synced', async () => {
    const { cluster, old: again } = await groupOfTen(41);
    await deleteKillingB(cluster);
    await cluster.start('b');
    const retried = await cluster.call(() => cluster.node('a').deleteGroup('g'));
    expect(retried.ok || (retried.error as { code?: string }).code === 'NO_SUCH_GROUP').toBe(true);
    for (const name of cluster.names) expect(cluster.node(name).groups()).not.toContain('g');
    // The same name again: a new group, whose first command makes 1 on every member, also
    // after b restarts from what its disk holds.
    expect((await cluster.call(() => cluster.node('c').createGroup('g', again))).ok).toBe(true);
    expect(await cluster.call(() => cluster.node('c').command('g', 1))).toEqual({ ok: true, value: 1 });
    await cluster.run(1_000);
    cluster.crash('b');
    await cluster.start('b');
    await cluster.run(3_000);
    for (const name of cluster.names)
      expect(
        await cluster.call(() => cluster.node(name).query('g', 'total', undefined, { consistency: 'local' })),
      ).toEqual({ ok: true, value: 1 });
    await cluster.close();
  });

  it('give a member added under a deleted group name nothing of the old group, though its node kept the old data', async () => {
    const { cluster, old } = await groupOfTen(43);
    await deleteKillingB(cluster);
    await cluster.run(5_000);
    await cluster.start('b');
    const retried = await cluster.call(() => cluster.node('a').deleteGroup('g'));
    expect(retried.ok || (retried.error as { code?: string }).code === 'NO_SUCH_GROUP').toBe(true);
    cluster.checks.forget('g');
    // A new group of a and c under the name; b added, and killed again as soon as its member
    // exists, before the leader's snapshot reaches it.
    const again = { ...old, members: ['a', 'c'] };
    expect((await cluster.call(() => cluster.node('a').createGroup('g', again))).ok).toBe(true);
    expect(await cluster.call(() => cluster.node('a').command('g', 1))).toEqual({ ok: true, value: 1 });
    cluster
      .node('a')
      .addMember('g', 'b', { voter: true, timeoutMs: 3_000 })
      .catch(() => undefined);
    await cluster.time.runUntil(() => cluster.node('b').groups().includes('g'), cluster.time.now + 5_000);
    await cluster.run(cluster.prng.between(0, 3));
    cluster.crash('b');
    await cluster.run(5_000);
    await cluster.start('b');
    await cluster.call(() => cluster.node('a').addMember('g', 'b', { voter: true, timeoutMs: 10_000 }));
    await cluster.run(5_000);
    expect(cluster.checks.violation).toBeNull();
    for (const name of cluster.names)
      expect(
        await cluster.call(() => cluster.node(name).query('g', 'total', undefined, { consistency: 'local' })),
      ).toEqual({ ok: true, value: 1 });
    await cluster.close();
  });

  it('answer a removal refused until its deadline, whose last ask went unanswered, TIMEOUT with the refusal', async () => {
    const { cluster } = await groupOfTen(5);
    // c's disk is gone: removing b would leave a and the lost c, no quorum that answers.
    cluster.crash('c');
    cluster.wipe('c');
    await cluster.run(2_000);
    const leader = cluster.checks.leaders.get('g')!.node;
    expect(['a', 'b']).toContain(leader);
    const caller = leader === 'a' ? 'b' : 'a';
    // The leader refuses every ask; the last one is caught by the leader's pause past the deadline.
    cluster.time.at(cluster.time.now + 900, () => cluster.pause(leader, 600));
    const removed = await cluster.call(() =>
      cluster.node(caller).removeMember('g', 'b', { timeoutMs: 1_000 }),
    );
    expect(removed.ok).toBe(false);
    const error = (removed as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/asked before, the group answered: the voters left would have no quorum/);
    await cluster.close();
  });
});
