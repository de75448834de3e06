// Log replication as in the Raft paper §5.3–5.4: a new leader overwrites a follower's conflicting
// uncommitted suffix, and an old-term entry counts as committed only through an entry of the
// leader's own term (Figure 8).
import { describe, expect, it } from 'vitest';
import { Cluster, type Envelope, electionTraffic, match } from './cluster-harness.js';

const termsOf = (cluster: Cluster, id: string): number[] => {
  const log = cluster.member(id).log;
  const terms: number[] = [];
  for (let index = log.firstIndex; index <= log.lastIndex; index += 1) terms.push(log.termAt(index));
  return terms;
};

describe('conflicting entries', () => {
  it("a new leader replaces a follower's uncommitted entries of an older term, truncating its log", () => {
    const cluster = Cluster.create(['a', 'b', 'c', 'd', 'e'], { checkQuorum: false });
    cluster.elect('a');
    cluster.propose('a', 'x', 'y');
    // Only b receives x and y, and a never hears back: they are uncommitted, held by 2 of 5.
    cluster.deliver(match({ from: 'a', to: 'b', type: 'append' }));
    cluster.drop();
    expect(termsOf(cluster, 'b')).toEqual([1, 1, 1]);
    expect(cluster.member('a').commit).toBe(1);

    cluster.isolate('a');
    const mark = cluster.node('b').history.length;
    cluster.elect('c');
    expect(cluster.member('c').term).toBe(2);

    const truncations = cluster
      .writes('b', mark)
      .filter((write) => write.kind === 'entries' && write.from <= 3);
    expect(truncations).toHaveLength(1);
    expect(truncations[0]).toMatchObject({ kind: 'entries', from: 2, entries: [{ index: 2, term: 2 }] });
    expect(termsOf(cluster, 'b')).toEqual([1, 2]);
    expect(cluster.node('b').store.entries.map((entry) => entry.term)).toEqual([1, 2]);
    expect(cluster.member('b').commit).toBe(2);
    for (const id of ['b', 'c', 'd', 'e']) expect(cluster.applied(id)).toEqual([]);
  });
});

describe('Figure 8: commit only through an entry of the current term', () => {
  const carriesIndex = (index: number) => (envelope: Envelope) =>
    envelope.message.type === 'append' && envelope.message.entries.some((entry) => entry.index === index);

  /**
   * Figure 8 (a)–(c), with each leader's noop in place of the paper's client entries:
   * s1 (term 1) appends x at 2 and crashes; s5 wins term 2, appends its noop at 2 alone and
   * crashes; s1 restarts, wins term 3 with s2 and s3 and replicates x to them, its noop at 3 still
   * in flight.
   */
  function figure8(): Cluster {
    const cluster = Cluster.create(['s1', 's2', 's3', 's4', 's5'], {
      checkQuorum: false,
      maxEntriesPerMessage: 1,
    });
    cluster.elect('s1');
    cluster.isolate('s1');
    cluster.propose('s1', 'x');
    cluster.deliverAll();
    cluster.crash('s1');

    cluster.block(match({ from: 's5', type: 'append' }));
    cluster.elect('s5');
    cluster.crash('s5');
    expect(termsOf(cluster, 's5')).toEqual([1, 2]);

    cluster.heal();
    cluster.isolate('s4');
    cluster.isolate('s5');
    cluster.campaign('s1');
    cluster.deliverAll(electionTraffic);
    cluster.campaign('s1');
    cluster.deliverAll(electionTraffic);
    expect(cluster.member('s1').role).toBe('leader');
    expect(cluster.member('s1').term).toBe(3);
    expect(termsOf(cluster, 's1')).toEqual([1, 1, 3]);

    // The probes (noop at 3 after x at 2) are refused; then x alone goes out and is acknowledged.
    cluster.deliver(match({ type: 'append' }));
    cluster.deliver(match({ type: 'appendResponse' }));
    cluster.deliver(match({ type: 'append' }));
    cluster.deliver(match({ type: 'appendResponse' }));
    expect(cluster.inFlight.length).toBeGreaterThan(0);
    expect(cluster.inFlight.every(carriesIndex(3))).toBe(true);
    return cluster;
  }

  it('an old-term entry on a majority is not committed while the leader has no entry of its term committed', () => {
    const cluster = figure8();
    for (const id of ['s1', 's2', 's3']) expect(termsOf(cluster, id).slice(0, 2)).toEqual([1, 1]);
    for (const id of ['s2', 's3']) expect(cluster.node(id).store.entries[1]?.term).toBe(1);
    // x at 2 is on a majority and not committed (s1 restarted knowing no commit past its snapshot).
    expect(cluster.member('s1').commit).toBeLessThan(2);
    expect(cluster.applied('s1')).toEqual([]);

    // (d) Had s1 counted x as committed, this would lose it: s5 is elected and overwrites it.
    cluster.drop();
    cluster.heal();
    cluster.isolate('s1');
    cluster.elect('s5');
    for (const id of ['s2', 's3', 's4', 's5']) expect(termsOf(cluster, id).slice(0, 2)).toEqual([1, 2]);
    for (const id of ['s2', 's3', 's4', 's5']) expect(cluster.applied(id)).toEqual([]);
  });

  it('once an entry of the current term commits, the old-term entry before it commits too and survives', () => {
    const cluster = figure8();
    // (e) The noop at 3 reaches s2 and s3: a majority holds an entry of term 3.
    cluster.deliverAll();
    expect(cluster.member('s1').commit).toBe(3);
    expect(cluster.applied('s1')).toEqual(['x']);

    cluster.heal();
    cluster.isolate('s1');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      cluster.campaign('s5');
      cluster.deliverAll();
    }
    expect(cluster.member('s5').role).not.toBe('leader');
    expect(cluster.member('s5').term).toBe(3);
    for (const id of ['s2', 's3']) expect(termsOf(cluster, id)).toEqual([1, 1, 3]);
  });
});
