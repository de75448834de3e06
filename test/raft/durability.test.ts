// Durability before messages: nothing a member promises a peer (a vote, an acknowledged entry)
// leaves before the write it depends on is reported durable by the host.
import { describe, expect, it } from 'vitest';
import { Cluster, match } from './cluster-harness.js';

describe('durability before messages', () => {
  it('a vote grant is emitted with sync and waits for the term and vote write', () => {
    const cluster = Cluster.create(['a', 'b', 'c'], { preVote: false });
    cluster.holdDisk('b');
    cluster.campaign('a');
    const mark = cluster.node('b').history.length;
    cluster.deliver(match({ from: 'a', to: 'b', type: 'vote' }));

    const outputs = cluster.node('b').history.slice(mark);
    const stateWrite = outputs.findIndex(
      (output) => output.type === 'persist' && output.write.kind === 'state' && output.write.vote === 'a',
    );
    const grant = outputs.findIndex(
      (output) => output.type === 'send' && output.message.type === 'voteResponse' && output.message.granted,
    );
    expect(stateWrite).toBeGreaterThanOrEqual(0);
    expect(grant).toBeGreaterThan(stateWrite);
    expect(outputs[grant]).toMatchObject({ type: 'send', to: 'a', sync: true });
    expect(cluster.sentMessages('voteResponse', match({ from: 'b' }))).toEqual([]);

    cluster.releaseDisk('b');
    expect(cluster.node('b').store).toMatchObject({ term: 1, vote: 'a' });
    expect(cluster.sentMessages('voteResponse', match({ from: 'b' })).map((sent) => sent.message)).toEqual([
      { type: 'voteResponse', term: 1, granted: true, pre: false },
    ]);
  });

  it('a follower acknowledges appended entries only once the host reports them durable', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.holdDisk('b');
    const sentMark = cluster.sent.length;
    cluster.propose('a', 'x');
    const index = cluster.member('a').log.lastIndex;
    cluster.deliver(match({ from: 'a', to: 'b', type: 'append' }));
    expect(cluster.member('b').log.lastIndex).toBe(index);
    const acks = () =>
      cluster
        .sentMessages('appendResponse', match({ from: 'b' }), sentMark)
        .filter((sent) => sent.message.match >= index);
    expect(acks()).toEqual([]);

    cluster.releaseDisk('b');
    expect(acks().map((sent) => sent.message)).toMatchObject([{ success: true, match: index }]);
  });

  it('the leader counts its own entry toward the quorum only once it is durable', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.isolate('c');
    cluster.holdDisk('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    expect(cluster.member('b').log.lastIndex).toBe(2);
    expect(cluster.member('a').commit).toBe(1);

    cluster.releaseDisk('a');
    expect(cluster.member('a').commit).toBe(2);
    expect(cluster.applied('a')).toEqual(['x']);
  });
});

describe('the commit index is not written', () => {
  it('commits on every member write nothing, and a restarted follower applies again once its leader speaks', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const marks = ['a', 'b', 'c'].map((id) => cluster.node(id).history.length);
    cluster.propose('a', 'x', 'y');
    cluster.deliverAll();
    for (const id of ['a', 'b', 'c']) expect(cluster.member(id).commit).toBe(3);
    for (const [position, id] of ['a', 'b', 'c'].entries())
      expect(cluster.writes(id, marks[position]).filter((write) => write.kind === 'state')).toEqual([]);

    cluster.crash('b');
    // The restart re-applies nothing past what its stored state says is committed ...
    expect(cluster.member('b').commit).toBeLessThan(3);
    expect(cluster.member('b').log.lastIndex).toBe(3);
    // ... until the leader's next message carries the commit.
    cluster.propose('a', 'z');
    cluster.deliverAll();
    expect(cluster.member('b').commit).toBe(4);
    // x and y applied before the crash, and again from the snapshot at 0 after it.
    expect(cluster.applied('b')).toEqual(['x', 'y', 'x', 'y', 'z']);
  });
});
