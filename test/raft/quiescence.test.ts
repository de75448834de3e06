// Quiescence and the failure detector: when the detector reports a leader's node lost, its
// followers do not wait out an election timeout, and the survivors campaign in turns that
// never overlap, so two of them cannot split the vote.
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster-harness.js';

describe('a follower whose leader is reported down', () => {
  it('campaigns early in its turn of half an election timeout, the other survivor in the next turn', () => {
    for (let run = 0; run < 20; run += 1) {
      const cluster = Cluster.create(['a', 'b', 'c'], { quiesce: true });
      cluster.campaign('a');
      cluster.deliverAll();
      // Terms move the turn order: some runs start in a later term.
      for (let extra = 0; extra < run % 3; extra += 1) {
        cluster.input('a', { type: 'transfer', id: extra, target: 'b' });
        cluster.deliverAll();
        cluster.input(cluster.leaders()[0]!, { type: 'transfer', id: 100 + extra, target: 'a' });
        cluster.deliverAll();
      }
      expect(cluster.leaders()).toEqual(['a']);
      const window = (cluster.options.electionTimeout ?? 0) / 2;
      const waits = ['b', 'c'].map((id) => {
        cluster.input(id, { type: 'peerDown', node: 'a' });
        const member = cluster.member(id);
        return { id, wait: member.electionDeadline - member.now, term: member.term };
      });
      const [first, second] = [...waits].sort((x, y) => x.wait - y.wait);
      expect(first!.wait).toBeGreaterThanOrEqual(0);
      // Each in the first half of its turn: the second half is left for the election to finish.
      expect(first!.wait).toBeLessThan(window / 2);
      expect(second!.wait).toBeGreaterThanOrEqual(window);
      expect(second!.wait).toBeLessThan(1.5 * window);
      // The order comes from the term: both survivors agree on it without a message.
      const term = waits[0]!.term;
      expect(first!.id).toBe(['b', 'c'][term % 2]);
    }
  });
});
