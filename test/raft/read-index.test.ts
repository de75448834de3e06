// Read-index (thesis §6.4): a read is served at the leader's commit index only after a quorum has
// confirmed its leadership, and only once it has committed an entry of its own term. A deposed
// leader must never serve one.
import { describe, expect, it } from 'vitest';
import { Cluster, electionTraffic, match } from './cluster-harness.js';

describe('read-index', () => {
  it('a leader partitioned away never serves a read, and rejects it once check-quorum retires it', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    cluster.partition(['a'], ['b', 'c']);
    cluster.input('a', { type: 'read', ids: [1] });

    cluster.runUntil(
      () => cluster.member('b').role === 'leader' || cluster.member('c').role === 'leader',
      1000,
    );
    const [leader] = cluster.leaders().filter((id) => id !== 'a');
    cluster.propose(leader!, 'y');
    cluster.run(100);
    expect(cluster.applied(leader!)).toEqual(['x', 'y']);

    expect(cluster.outputs('a', 'readReady')).toEqual([]);
    expect(cluster.outputs('a', 'readRejected')).toEqual([{ type: 'readRejected', ids: [1], leader: null }]);
    expect(cluster.member('a').role).not.toBe('leader');
  });

  it('a deposed leader that still believes it leads never serves a read, and rejects it on hearing the newer term', () => {
    const cluster = Cluster.create(['a', 'b', 'c'], { checkQuorum: false });
    cluster.elect('a');
    cluster.propose('a', 'x');
    cluster.deliverAll();
    cluster.partition(['a'], ['b', 'c']);
    cluster.input('a', { type: 'read', ids: [1] });

    cluster.elect('b');
    cluster.propose('b', 'y');
    cluster.deliverAll();
    cluster.run(500);
    expect(cluster.applied('b')).toEqual(['x', 'y']);
    expect(cluster.member('a').role).toBe('leader');
    expect(cluster.outputs('a', 'readReady')).toEqual([]);
    expect(cluster.outputs('a', 'readRejected')).toEqual([]);

    cluster.heal();
    cluster.run(100);
    expect(cluster.outputs('a', 'readReady')).toEqual([]);
    expect(cluster.outputs('a', 'readRejected')).toEqual([{ type: 'readRejected', ids: [1], leader: null }]);
    expect(cluster.member('a').leader).toBe('b');
  });

  it('a new leader does not serve a read before it has committed an entry of its term, even with a quorum heard', () => {
    const cluster = Cluster.create(['a', 'b', 'c'], { checkQuorum: false });
    cluster.elect('a');
    // x commits on a and b, but b has not yet heard that it is committed.
    cluster.propose('a', 'x');
    cluster.deliver(match({ from: 'a', to: 'b', type: 'append' }));
    cluster.deliver(match({ from: 'b', to: 'a' }));
    cluster.drop();
    expect(cluster.applied('a')).toEqual(['x']);
    const xIndex = cluster.member('a').commit;
    expect(cluster.member('b').commit).toBeLessThan(xIndex);

    cluster.isolate('a');
    cluster.campaign('b');
    cluster.deliverAll(electionTraffic);
    expect(cluster.member('b').role).toBe('leader');
    const stopAcks = cluster.block(match({ to: 'b', type: 'appendResponse' }));
    cluster.input('b', { type: 'read', ids: [9] });
    cluster.run(200);
    expect(cluster.sentMessages('heartbeatResponse', match({ from: 'c', to: 'b' })).length).toBeGreaterThan(
      0,
    );
    expect(cluster.member('b').commit).toBeLessThan(xIndex);
    expect(cluster.outputs('b', 'readReady')).toEqual([]);

    stopAcks();
    cluster.run(100);
    const [ready] = cluster.outputs('b', 'readReady');
    expect(ready?.ids).toEqual([9]);
    expect(ready!.index).toBeGreaterThanOrEqual(cluster.member('b').termStartIndex);
    expect(ready!.index).toBeGreaterThan(xIndex);
  });
});
