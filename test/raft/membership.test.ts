// Single-server membership changes (thesis §4): a new member joins as a non-voter and is promoted
// once caught up, members (the leader too) are removed one at a time, and a non-voter never
// counts toward a quorum.
import { describe, expect, it } from 'vitest';
import type { Config, MembershipChange, NodeId } from '../../raft/index.js';
import { Cluster, electionTraffic, match } from './cluster-harness.js';

let nextChange = 1;
/** Asks `leader` for a change; returns its answer (the accepted or rejected output). */
function change(cluster: Cluster, leader: NodeId, membership: MembershipChange) {
  const outputs = cluster.input(leader, { type: 'changeMembers', id: nextChange++, change: membership });
  return outputs.find((output) => output.type === 'accepted' || output.type === 'rejected');
}

/** The configurations of the config entries in `id`'s log, oldest first. */
function configs(cluster: Cluster, id: NodeId): Config[] {
  const log = cluster.member(id).log;
  return log
    .range(log.firstIndex, log.lastIndex)
    .flatMap((entry) => (entry.config === null ? [] : [entry.config]));
}

/** Three members led by a, x committed, then quiet: nothing sent or heard for longer than an election timeout. */
function quietGroup(): Cluster {
  const cluster = Cluster.create(['a', 'b', 'c'], { quiesce: true });
  cluster.elect('a');
  cluster.propose('a', 'x');
  cluster.deliverAll();
  cluster.run(300);
  expect(cluster.member('a').quiet).toBe(true);
  return cluster;
}

describe('membership changes', () => {
  it('adds a member as a non-voter, promotes it once caught up, removes a follower, then removes the leader', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x', 'y');
    cluster.deliverAll();

    cluster.addNode('d');
    expect(change(cluster, 'a', { kind: 'add', node: 'd', voter: true })).toMatchObject({ type: 'accepted' });
    cluster.deliverAll();
    expect(configs(cluster, 'a')).toEqual([
      { voters: ['a', 'b', 'c'], nonVoters: ['d'], promote: ['d'] },
      { voters: ['a', 'b', 'c', 'd'], nonVoters: [], promote: [] },
    ]);
    expect(cluster.member('d').log.lastIndex).toBe(cluster.member('a').log.lastIndex);
    expect(cluster.applied('d')).toEqual(['x', 'y']);
    expect(cluster.member('a').commit).toBe(cluster.member('a').log.lastIndex);

    expect(change(cluster, 'a', { kind: 'remove', node: 'c' })).toMatchObject({ type: 'accepted' });
    cluster.deliverAll();
    expect(cluster.member('a').log.config.voters).toEqual(['a', 'b', 'd']);
    expect(cluster.member('a').commit).toBe(cluster.member('a').log.lastIndex);
    const sentMark = cluster.sent.length;
    cluster.propose('a', 'z');
    cluster.run(300);
    // c learns of its removal (it is out of the committed configuration) and nothing is replicated to it.
    const replication = ['append', 'heartbeat', 'snapshot'];
    const toC = cluster.sent.slice(sentMark).filter(match({ from: 'a', to: 'c' }));
    expect(toC.filter((sent) => replication.includes(sent.message.type))).toEqual([]);
    expect(cluster.member('c').log.lastIndex).toBeLessThan(cluster.member('a').log.lastIndex);
    expect(cluster.leaders()).toEqual(['a']);

    // Removing the leader: it keeps leading until the new configuration, without it, commits.
    const removal = change(cluster, 'a', { kind: 'remove', node: 'a' });
    expect(removal).toMatchObject({ type: 'accepted' });
    const removalIndex = cluster.member('a').log.lastIndex;
    cluster.deliver(match({ from: 'a', to: 'b', type: 'append' }));
    cluster.deliver(match({ from: 'b', to: 'a' }));
    expect(cluster.member('a').role).toBe('leader');
    expect(cluster.member('a').commit).toBeLessThan(removalIndex);

    cluster.deliverAll();
    expect(cluster.member('a').commit).toBeGreaterThanOrEqual(removalIndex);
    expect(cluster.member('a').role).toBe('follower');
    const term = cluster.member('a').term;
    cluster.runUntil(() => cluster.leaders().length > 0, 1000);
    const [leader] = cluster.leaders();
    expect(['b', 'd']).toContain(leader);
    expect(cluster.member(leader!).term).toBeGreaterThan(term);
    expect(cluster.member(leader!).log.config.voters).toEqual(['b', 'd']);
  });

  it("refuses a change until the leader has committed an entry of its term, and while another is uncommitted ('busy')", () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.deliverAll(electionTraffic);
    expect(cluster.member('a').role).toBe('leader');
    cluster.addNode('d');
    expect(change(cluster, 'a', { kind: 'add', node: 'd', voter: false })).toMatchObject({
      type: 'rejected',
      reason: 'busy',
    });

    cluster.deliverAll();
    expect(change(cluster, 'a', { kind: 'add', node: 'd', voter: false })).toMatchObject({
      type: 'accepted',
    });
    expect(change(cluster, 'a', { kind: 'remove', node: 'c' })).toMatchObject({
      type: 'rejected',
      reason: 'busy',
    });
    cluster.deliverAll();
    expect(change(cluster, 'a', { kind: 'remove', node: 'c' })).toMatchObject({ type: 'accepted' });
  });
});

describe('non-voters', () => {
  it('caught-up non-voters do not count toward a quorum: with the other voters down nothing commits', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    for (const id of ['d', 'e']) {
      cluster.addNode(id);
      change(cluster, 'a', { kind: 'add', node: id, voter: false });
      cluster.run(100);
    }
    expect(cluster.member('a').log.config).toEqual({
      voters: ['a', 'b', 'c'],
      nonVoters: ['d', 'e'],
      promote: [],
    });
    for (const id of ['d', 'e']) {
      expect(cluster.member(id).log.lastIndex).toBe(cluster.member('a').log.lastIndex);
      expect(cluster.node(id).timerAt).toBeNull();
    }

    // a, d and e are three of five members, but only one of three voters.
    const reconnect = cluster.partition(['a', 'd', 'e'], ['b', 'c']);
    const commit = cluster.member('a').commit;
    cluster.propose('a', 'x');
    cluster.deliverAll();
    for (const id of ['d', 'e']) expect(cluster.member(id).log.lastIndex).toBe(commit + 1);
    expect(cluster.member('a').commit).toBe(commit);
    expect(cluster.applied('a')).toEqual([]);

    reconnect();
    cluster.run(100);
    expect(cluster.applied('a')).toEqual(['x']);
  });

  it('a member added as a voter is promoted only once caught up, and then counts toward the quorum', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.addNode('d');
    const reconnectD = cluster.isolate('d');
    change(cluster, 'a', { kind: 'add', node: 'd', voter: true });
    cluster.run(300);
    expect(cluster.member('a').log.config).toEqual({
      voters: ['a', 'b', 'c'],
      nonVoters: ['d'],
      promote: ['d'],
    });
    expect(cluster.member('d').stalled).toBe(true);

    reconnectD();
    cluster.run(100);
    expect(cluster.member('a').log.config).toEqual({
      voters: ['a', 'b', 'c', 'd'],
      nonVoters: [],
      promote: [],
    });
    expect(cluster.member('a').commit).toBe(cluster.member('a').log.lastIndex);
    expect(cluster.node('d').timerAt).not.toBeNull();

    // With four voters the quorum is three: a and b alone cannot commit, d makes the third.
    cluster.isolate('c');
    const reconnectAgain = cluster.isolate('d');
    const commit = cluster.member('a').commit;
    cluster.propose('a', 'x');
    cluster.run(50);
    expect(cluster.member('a').commit).toBe(commit);
    reconnectAgain();
    cluster.run(50);
    expect(cluster.member('a').commit).toBe(commit + 1);
  });

  it('replaces a member by a new identity on its node: the old one counts no more, the new one is promoted once caught up', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x', 'y');
    cluster.deliverAll();
    // c's data is gone: it is back as c2, stalled.
    cluster.addNode('c2');
    expect(change(cluster, 'a', { kind: 'replace', old: 'c', node: 'c2' })).toMatchObject({
      type: 'accepted',
    });
    cluster.deliverAll();
    expect(configs(cluster, 'a').slice(-2)).toEqual([
      { voters: ['a', 'b'], nonVoters: ['c2'], promote: ['c2'] },
      { voters: ['a', 'b', 'c2'], nonVoters: [], promote: [] },
    ]);
    expect(cluster.applied('c2')).toEqual(['x', 'y']);
    expect(cluster.member('c').removed).toBe(true);
    // With b and c2 cut off, the old c (still running here) is no help to a quorum.
    cluster.isolate('b');
    cluster.isolate('c2');
    const commit = cluster.member('a').commit;
    cluster.propose('a', 'z');
    cluster.run(200);
    expect(cluster.member('a').commit).toBe(commit);
  });

  it('refuses to remove a voter that answers when the voters left would have no quorum that answers', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    // c falls silent (down, or its data lost for good) for longer than an election timeout.
    cluster.isolate('c');
    cluster.run(300);
    expect(cluster.leaders()).toEqual(['a']);
    expect(change(cluster, 'a', { kind: 'remove', node: 'b' })).toMatchObject({
      type: 'rejected',
      reason: 'noQuorum',
    });
    expect(change(cluster, 'a', { kind: 'remove', node: 'a' })).toMatchObject({
      type: 'rejected',
      reason: 'noQuorum',
    });
    expect(cluster.member('a').log.config.voters).toEqual(['a', 'b', 'c']);
    // The silent one may go: a and b are a quorum of what is left.
    expect(change(cluster, 'a', { kind: 'remove', node: 'c' })).toMatchObject({ type: 'accepted' });
    cluster.deliverAll();
    expect(cluster.member('a').log.config.voters).toEqual(['a', 'b']);
    expect(cluster.member('a').commit).toBe(cluster.member('a').log.lastIndex);
  });

  it('asks voters not heard lately whether they are alive, so a refused removal can succeed when retried', () => {
    const cluster = quietGroup();
    const mark = cluster.sent.length;
    expect(change(cluster, 'a', { kind: 'remove', node: 'b' })).toMatchObject({ reason: 'noQuorum' });
    // Only c decides whether a and c would be a quorum that answers.
    const asked = cluster.sent.slice(mark).filter(match({ from: 'a', type: 'heartbeat' }));
    expect(asked.map((sent) => sent.to)).toEqual(['c']);
    // Asked again in the same heartbeat period: nothing more is sent.
    const again = cluster.sent.length;
    expect(change(cluster, 'a', { kind: 'remove', node: 'b' })).toMatchObject({ reason: 'noQuorum' });
    expect(cluster.sent.slice(again).filter(match({ from: 'a', type: 'heartbeat' }))).toEqual([]);
    cluster.deliverAll();
    expect(change(cluster, 'a', { kind: 'remove', node: 'b' })).toMatchObject({ type: 'accepted' });
  });

  it('takes a replacement in a quiet group at once: the identity it takes out is gone, so it costs no quorum', () => {
    // Production-node seed 631: the leader of a quiet group refused, answer after answer, to
    // replace a wiped node's old identity, because the other voter was never heard within an
    // election timeout of the new member's answer; the new member stayed empty for good.
    const cluster = quietGroup();
    cluster.crash('c', true);
    cluster.addNode('c2');
    expect(change(cluster, 'a', { kind: 'replace', old: 'c', node: 'c2' })).toMatchObject({
      type: 'accepted',
    });
    cluster.deliverAll();
    expect([...cluster.member('a').log.config.voters].sort()).toEqual(['a', 'b', 'c2']);
    expect(cluster.applied('c2')).toEqual(['x']);
  });

  it('refuses a replacement of a non-member, by a member, or of the last voter', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    expect(change(cluster, 'a', { kind: 'replace', old: 'x', node: 'x2' })).toMatchObject({
      type: 'rejected',
      reason: 'badArgument',
    });
    expect(change(cluster, 'a', { kind: 'replace', old: 'c', node: 'b' })).toMatchObject({
      type: 'rejected',
      reason: 'badArgument',
    });
    const solo = Cluster.create(['a']);
    solo.elect('a');
    expect(change(solo, 'a', { kind: 'replace', old: 'a', node: 'a2' })).toMatchObject({
      type: 'rejected',
      reason: 'badArgument',
    });
  });

  it('tells a member removed while it was cut off that it is out, and it stops campaigning', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const reconnect = cluster.isolate('c');
    change(cluster, 'a', { kind: 'remove', node: 'c' });
    cluster.run(100);
    expect(cluster.member('a').log.config.voters).toEqual(['a', 'b']);
    expect(cluster.member('a').commit).toBe(cluster.member('a').log.lastIndex);
    expect(cluster.member('c').removed).toBe(false);
    reconnect();
    cluster.runUntil(() => cluster.member('c').removed, 5000);
    expect(cluster.outputs('c', 'removed')).toHaveLength(1);
    expect(cluster.sentMessages('removed', match({ from: 'a', to: 'c' })).length).toBeGreaterThan(0);
    const mark = cluster.sent.length;
    cluster.run(3000);
    expect(cluster.sentMessages('vote', match({ from: 'c' }), mark)).toEqual([]);
    expect(cluster.leaders()).toEqual(['a']);
  });

  it('a member removed while connected hears it is out once its removal commits; a stalled newcomer hears nothing', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.addNode('d');
    expect(cluster.member('d').removed).toBe(false);
    change(cluster, 'a', { kind: 'remove', node: 'c' });
    cluster.deliverAll();
    expect(cluster.member('c').removed).toBe(true);
    expect(cluster.outputs('c', 'removed')).toHaveLength(1);
    expect(cluster.member('d').removed).toBe(false);
    expect(cluster.member('b').removed).toBe(false);
  });

  it('a member added again catches up on a log holding its own removal and stays in: it leads once the only voter', () => {
    // Seed 988 of the core simulator: the member took the removal it replayed for news about
    // itself, stopped campaigning, and the group, of which it was by then the only voter, never
    // elected a leader.
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    expect(change(cluster, 'a', { kind: 'remove', node: 'c' })).toMatchObject({ type: 'accepted' });
    cluster.deliverAll();
    expect(cluster.member('c').removed).toBe(true);
    cluster.crash('c', true);
    expect(change(cluster, 'a', { kind: 'add', node: 'c', voter: true })).toMatchObject({ type: 'accepted' });
    cluster.deliverAll();
    const left = configs(cluster, 'c').filter(
      (config) => !config.voters.includes('c') && !config.nonVoters.includes('c'),
    );
    expect(left).not.toEqual([]);
    expect(cluster.member('c').removed).toBe(false);
    expect(cluster.member('a').log.config.voters).toEqual(['a', 'b', 'c']);
    for (const node of ['b', 'a']) {
      expect(change(cluster, 'a', { kind: 'remove', node })).toMatchObject({ type: 'accepted' });
      cluster.deliverAll();
    }
    cluster.runUntil(() => cluster.leaders().includes('c'), 5_000);
    expect(cluster.leaders()).toEqual(['c']);
    expect(cluster.member('c').log.config.voters).toEqual(['c']);
    // (The harness keeps what a member applied across its wipe: x again, as it caught up.)
    cluster.propose('c', 'y');
    cluster.run(100);
    expect(cluster.applied('c')).toEqual(['x', 'x', 'y']);
  });

  it('counts a voter wiped after voting only under a new identity, once the leader replaced the old one', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    // a is cut off; one of b and c wins the next term with the other's vote, whose disk is then wiped.
    const reconnectA = cluster.isolate('a');
    cluster.runUntil(() => cluster.leaders().some((id) => id !== 'a'), 10_000);
    const winner = cluster.leaders().find((id) => id !== 'a')!;
    const wiped = winner === 'b' ? 'c' : 'b';
    const term = cluster.member(winner).term;
    expect(cluster.member(wiped).vote).toBe(winner);
    cluster.isolate(wiped);
    cluster.addNode('new');
    // a comes back, steps down, and stands again and again: its candidacy reaches the others, never
    // the new member, which is in no configuration yet.
    reconnectA();
    cluster.run(300);
    for (let round = 0; round < 5; round += 1) {
      cluster.campaign('a');
      cluster.run(50);
    }
    expect(cluster.sentMessages('vote', match({ to: 'new' }))).toEqual([]);
    expect(cluster.leaders()).toEqual([winner]);
    // The leader replaces the wiped identity by the new one, which catches up from a snapshot and is promoted.
    expect(change(cluster, winner, { kind: 'replace', old: wiped, node: 'new' })).toMatchObject({
      type: 'accepted',
    });
    cluster.deliverAll();
    expect([...cluster.member(winner).log.config.voters].sort()).toEqual(['a', winner, 'new'].sort());
    expect(cluster.applied('new')).toEqual(['x']);
    // At most one leader in every term, the wiped voter's term included.
    const leadersByTerm = new Map<number, Set<NodeId>>();
    for (const id of ['a', 'b', 'c', 'new'])
      for (const role of cluster.outputs(id, 'role'))
        if (role.role === 'leader')
          leadersByTerm.set(role.term, (leadersByTerm.get(role.term) ?? new Set()).add(id));
    for (const leaders of leadersByTerm.values()) expect(leaders.size).toBe(1);
    expect(leadersByTerm.get(term)).toEqual(new Set([winner]));
  });
});
