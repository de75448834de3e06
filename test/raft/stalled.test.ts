// A member with no data (a new or wiped disk) is stalled: it must neither vote nor acknowledge
// appends, since it could help elect or commit over a log it does not hold, until a snapshot
// makes it a normal member.
import { describe, expect, it } from 'vitest';
import { Cluster, match } from './cluster-harness.js';

describe('stalled member', () => {
  it('a member started empty refuses its vote and answers appends with stalled until a snapshot makes it normal', () => {
    const cluster = Cluster.create(['a', 'b', 'c'], { preVote: false });
    cluster.crash('c', true);
    expect(cluster.member('c').stalled).toBe(true);
    expect(cluster.node('c').timerAt).toBeNull();

    // c's vote alone would elect a: a's log is at least as up to date as c's empty one.
    const reconnectB = cluster.isolate('b');
    cluster.campaign('a');
    cluster.deliverAll();
    expect(cluster.sentMessages('voteResponse', match({ from: 'c' })).map((sent) => sent.message)).toEqual([
      { type: 'voteResponse', term: 1, granted: false, pre: false },
    ]);
    expect(cluster.member('a').role).toBe('candidate');

    reconnectB();
    const sentMark = cluster.sent.length;
    cluster.elect('a');
    const fromA = cluster.sentMessages('append', match({ from: 'a', to: 'c' }), sentMark);
    const answers = () => cluster.sentMessages('appendResponse', match({ from: 'c' }), sentMark);
    expect(fromA[0]?.message.entries.length).toBeGreaterThan(0);
    expect(answers()[0]?.message).toMatchObject({ success: false, stalled: true });

    // The leader sent its snapshot (the founding one, at index 0) and c is a normal follower now.
    expect(cluster.sentMessages('snapshot', match({ from: 'a', to: 'c' }), sentMark)).toHaveLength(1);
    expect(cluster.member('c').stalled).toBe(false);
    cluster.propose('a', 'x');
    cluster.run(50);
    expect(cluster.member('c').log.lastIndex).toBe(cluster.member('a').log.lastIndex);
    expect(answers().at(-1)?.message).toMatchObject({
      success: true,
      stalled: false,
      match: cluster.member('a').log.lastIndex,
    });
    expect(cluster.applied('c')).toEqual(['x']);
    expect(cluster.node('c').timerAt).not.toBeNull();

    // Now c takes part in elections: with a away, b and c can only elect a leader together.
    cluster.isolate('a');
    cluster.runUntil(() => cluster.leaders().some((id) => id !== 'a'), 1000);
  });

  it('a stalled member whose first snapshot chunk was lost is sent the snapshot again', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.crash('c', true);
    const restoreLink = cluster.block(match({ from: 'a', to: 'c', type: 'snapshot' }));
    cluster.elect('a');
    expect(cluster.sentMessages('snapshot', match({ from: 'a', to: 'c' }))).toHaveLength(1);

    restoreLink();
    cluster.run(1000);
    expect(cluster.sentMessages('snapshot', match({ from: 'a', to: 'c' })).length).toBeGreaterThan(1);
    expect(cluster.member('c').stalled).toBe(false);
  });
});
