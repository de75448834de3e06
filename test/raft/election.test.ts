// Elections as in the Raft paper §5.2 and the thesis §9.6: split votes resolve in a later term,
// pre-vote keeps a partitioned member from inflating terms, and check-quorum retires a leader
// that has lost its majority.
import { describe, expect, it } from 'vitest';
import { Cluster, type Envelope, match } from './cluster-harness.js';

const isPreVoteTraffic = ({ message }: Envelope) =>
  (message.type === 'vote' || message.type === 'voteResponse') && message.pre;

/** Every term in which `cluster` had a leader, from the role announcements. */
function leaderTerms(cluster: Cluster, ids: readonly string[]): number[] {
  return ids.flatMap((id) =>
    cluster
      .outputs(id, 'role')
      .filter((role) => role.role === 'leader')
      .map((role) => role.term),
  );
}

describe('election', () => {
  it('a member asked to campaign stands at once and wins a group with no leader, and not one with a leader', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.input('b', { type: 'campaign' });
    cluster.deliverAll();
    expect(cluster.leaders()).toEqual(['b']);
    const term = cluster.member('b').term;
    cluster.input('c', { type: 'campaign' });
    cluster.deliverAll();
    expect(cluster.leaders()).toEqual(['b']);
    expect(cluster.member('b').term).toBe(term);
  });

  it('a split vote elects nobody in that term and a later term elects exactly one leader', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const cluster = Cluster.create(ids);
    cluster.campaign('a');
    cluster.campaign('b');
    cluster.deliverAll(isPreVoteTraffic);
    expect(cluster.member('a').role).toBe('candidate');
    expect(cluster.member('b').role).toBe('candidate');
    expect(cluster.member('a').term).toBe(1);
    expect(cluster.member('b').term).toBe(1);

    // c hears a first and d hears b first; the other requests are lost. Two votes of four each.
    cluster.deliver(
      (envelope) =>
        envelope.message.type === 'vote' &&
        ['a>c', 'b>d', 'a>b', 'b>a'].includes(`${envelope.from}>${envelope.to}`),
    );
    cluster.drop(match({ type: 'vote' }));
    cluster.deliverAll();
    const votesFor = (candidate: string) =>
      cluster
        .sentMessages('voteResponse', match({ to: candidate }))
        .filter((sent) => !sent.message.pre)
        .map((sent) => `${sent.from}:${sent.message.granted}`);
    expect(votesFor('a')).toEqual(['b:false', 'c:true']);
    expect(votesFor('b')).toEqual(['a:false', 'd:true']);
    expect(cluster.leaders()).toEqual([]);
    expect(cluster.member('c').vote).toBe('a');
    expect(cluster.member('d').vote).toBe('b');

    cluster.runUntil(() => cluster.leaders().length > 0, 1000);
    const leaders = cluster.leaders();
    expect(leaders).toHaveLength(1);
    expect(cluster.member(leaders[0]!).term).toBe(2);
    expect(leaderTerms(cluster, ids)).toEqual([2]);
  });

  it('a partitioned member keeps timing out but its pre-votes fail, so its term does not grow', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const term = cluster.member('a').term;
    const mark = cluster.node('c').history.length;
    const reconnect = cluster.isolate('c');

    cluster.run(1000);
    const campaigns = cluster.outputs('c', 'role', mark).filter((role) => role.role === 'preCandidate');
    expect(campaigns.length).toBeGreaterThan(3);
    expect(cluster.member('c').term).toBe(term);
    expect(cluster.writes('c', mark).filter((write) => write.kind === 'state')).toEqual([]);

    reconnect();
    cluster.run(500);
    expect(cluster.leaders()).toEqual(['a']);
    for (const id of ['a', 'b', 'c']) expect(cluster.member(id).term).toBe(term);
    expect(cluster.member('c').leader).toBe('a');
  });

  it('a rejoining member whose pre-vote reaches the leader before a heartbeat does not depose it', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const term = cluster.member('a').term;
    const reconnect = cluster.isolate('c');
    cluster.run(1000);
    cluster.drop();

    // c is back and times out before any heartbeat reaches it; its log is as long as the leader's.
    reconnect();
    cluster.campaign('c');
    cluster.deliverAll();
    expect(cluster.leaders()).toEqual(['a']);
    for (const id of ['a', 'b', 'c']) expect(cluster.member(id).term).toBe(term);
  });

  it('check-quorum: a leader cut off from the majority steps down and the majority elects a new leader', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const term = cluster.member('a').term;

    cluster.run(1000);
    expect(cluster.leaders()).toEqual(['a']);
    expect(cluster.member('a').term).toBe(term);

    cluster.partition(['a'], ['b', 'c']);
    const electionTimeout = 100;
    const steppedDownAfter = cluster.runUntil(() => cluster.member('a').role !== 'leader', 1000);
    // Responses received before the cut still count for the round in progress, so between one
    // and two election timeouts.
    expect(steppedDownAfter).toBeGreaterThanOrEqual(electionTimeout);
    expect(steppedDownAfter).toBeLessThanOrEqual(2 * electionTimeout);

    cluster.runUntil(() => cluster.leaders().length > 0, 1000);
    const [leader] = cluster.leaders();
    expect(['b', 'c']).toContain(leader);
    expect(cluster.member(leader!).term).toBeGreaterThan(term);
    expect(cluster.member('a').term).toBe(term);
  });
});

describe('a vote refused', () => {
  it('leaves the refusing follower its own election deadline, so the more up-to-date member stands', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'held by all three');
    cluster.deliverAll();
    cluster.crash('a');
    const b = cluster.member('b');
    const deadline = b.electionDeadline;
    const term = b.term;
    // A candidate whose log is empty asks b in a higher term (as a transfer, so b's lease of its
    // crashed leader does not make it ignore the request).
    const vote = {
      type: 'vote',
      term: term + 1,
      lastIndex: 0,
      lastTerm: 0,
      pre: false,
      transfer: true,
    } as const;
    cluster.input('b', { type: 'message', from: 'c', message: vote });
    expect(b.term).toBe(term + 1);
    expect(b.vote).toBe(null);
    expect(b.electionDeadline).toBe(deadline);
    // Granting a vote does restart the timer.
    const upToDate = {
      ...vote,
      term: term + 2,
      lastIndex: b.log.lastIndex,
      lastTerm: b.log.termAt(b.log.lastIndex),
    };
    cluster.advance(1);
    cluster.input('b', { type: 'message', from: 'c', message: upToDate });
    expect(b.vote).toBe('c');
    const timeout = cluster.options.electionTimeout!;
    expect(b.electionDeadline - b.now).toBeGreaterThanOrEqual(timeout);
    expect(b.electionDeadline - b.now).toBeLessThan(2 * timeout);
  });
});
