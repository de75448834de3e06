// What a host says of itself through the hostStatus input: a version that its member reports to
// the leader in every response (how a leader's host learns what its followers' machine code
// can do), and whether the member may lead.
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster-harness.js';

describe('the host status', () => {
  it("carries a follower's host version to the leader, which keeps it for that follower", () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.input('b', { type: 'hostStatus', version: 3, eligible: true });
    cluster.propose('a', 'x');
    cluster.deliverAll();
    const progress = cluster.member('a').progress;
    expect(progress.get('b')?.version).toBe(3);
    expect(progress.get('c')?.version).toBe(0);
    // A host with nothing to report sends no version at all.
    const fromC = cluster.sentMessages('appendResponse').filter((sent) => sent.from === 'c');
    expect(fromC.length).toBeGreaterThan(0);
    expect(fromC.every((sent) => !('version' in sent.message))).toBe(true);
  });

  it('keeps a member its host makes ineligible from leading: a leader steps down and another leads', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const mark = cluster.sent.length;
    cluster.input('a', { type: 'hostStatus', version: 0, eligible: false });
    expect(cluster.member('a').role).toBe('follower');
    cluster.runUntil(() => cluster.leaders().length === 1, 5000);
    expect(cluster.leaders()).not.toContain('a');
    // Left alone without the others, it never stands.
    const [leader] = cluster.leaders();
    cluster.isolate(leader!);
    cluster.run(5000);
    expect(cluster.member('a').role).toBe('follower');
    expect(cluster.sentMessages('vote', (sent) => sent.from === 'a', mark)).toEqual([]);
  });
});
