// Leadership transfer (thesis §3.10): the leader first brings the target up to date, then tells it
// to campaign at once; commands are refused meanwhile, and a transfer that cannot finish is
// abandoned after transferTimeout.
import { describe, expect, it } from 'vitest';
import { Cluster, match } from './cluster-harness.js';

describe('leadership transfer', () => {
  it('catches a lagging target up before TimeoutNow, and the target wins a higher term', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    const term = cluster.member('a').term;
    const reconnect = cluster.block(match({ from: 'a', to: 'c', type: 'append' }));
    cluster.propose('a', 'v', 'w', 'x', 'y', 'z');
    cluster.deliverAll();
    const lastIndex = cluster.member('a').log.lastIndex;
    expect(cluster.member('a').commit).toBe(lastIndex);
    expect(cluster.member('c').log.lastIndex).toBeLessThan(lastIndex);

    reconnect();
    const sentMark = cluster.sent.length;
    cluster.input('a', { type: 'transfer', id: 1, target: 'c' });
    expect(cluster.sentMessages('timeoutNow', match({}), sentMark)).toEqual([]);
    expect(cluster.propose('a', 'refused')).toMatchObject([
      { type: 'rejected', reason: 'transferring', leader: 'a' },
    ]);

    cluster.deliverAll((envelope) => envelope.message.type !== 'timeoutNow');
    expect(cluster.member('c').log.lastIndex).toBe(lastIndex);
    expect(cluster.member('a').role).toBe('leader');
    const sent = cluster.sent.slice(sentMark);
    const timeoutNow = sent.findIndex(match({ from: 'a', to: 'c', type: 'timeoutNow' }));
    const catchUp = sent.findIndex(
      (envelope) =>
        match({ from: 'a', to: 'c', type: 'append' })(envelope) &&
        envelope.message.type === 'append' &&
        envelope.message.entries.some((entry) => entry.index === lastIndex),
    );
    expect(catchUp).toBeGreaterThanOrEqual(0);
    expect(timeoutNow).toBeGreaterThan(catchUp);

    cluster.deliverAll();
    expect(cluster.leaders()).toEqual(['c']);
    expect(cluster.member('c').term).toBe(term + 1);
    expect(cluster.outputs('a', 'transferred')).toEqual([{ type: 'transferred', id: 1, ok: true }]);
    expect(cluster.member('a').leader).toBe('c');
  });

  it('abandons a transfer to an unreachable target after transferTimeout and accepts commands again', () => {
    const cluster = Cluster.create(['a', 'b', 'c']);
    cluster.elect('a');
    cluster.isolate('c');
    cluster.input('a', { type: 'transfer', id: 7, target: 'c' });
    expect(cluster.propose('a', 'refused')).toMatchObject([{ type: 'rejected', reason: 'transferring' }]);

    const transferTimeout = 200;
    const took = cluster.runUntil(() => cluster.outputs('a', 'transferred').length > 0, 1000);
    expect(took).toBe(transferTimeout);
    expect(cluster.outputs('a', 'transferred')).toEqual([{ type: 'transferred', id: 7, ok: false }]);
    expect(cluster.leaders()).toEqual(['a']);
    expect(cluster.propose('a', 'accepted')).toContainEqual(expect.objectContaining({ type: 'accepted' }));
    cluster.deliverAll();
    expect(cluster.applied('a')).toEqual(['accepted']);
  });
});
