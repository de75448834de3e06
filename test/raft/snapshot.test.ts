// Snapshots (Raft paper §7): a leader that compacted its log brings a far-behind follower up with
// its snapshot, sent in chunks, and a follower that restarts mid-install resumes from the chunks
// it holds durably.
import { describe, expect, it } from 'vitest';
import { bytes, Cluster, match } from './cluster-harness.js';

const snapshotData = bytes('0123456789abcdef');

/** a and b commit five commands while c is cut off; a then snapshots and compacts its log. */
function farBehind(): { cluster: Cluster; reconnect: () => void } {
  const cluster = Cluster.create(['a', 'b', 'c'], { snapshotChunkBytes: 4 });
  cluster.elect('a');
  const reconnect = cluster.isolate('c');
  cluster.propose('a', 'v', 'w', 'x', 'y', 'z');
  cluster.deliverAll();
  const applied = cluster.member('a').applied;
  expect(applied).toBe(6);
  cluster.input('a', { type: 'snapshot', index: applied, data: snapshotData });
  expect(cluster.member('a').log.snapshotIndex).toBe(applied);
  expect(cluster.member('a').log.firstIndex).toBe(applied + 1);
  return { cluster, reconnect };
}

const offsetsSent = (cluster: Cluster, since: number) =>
  cluster.sentMessages('snapshot', match({ from: 'a', to: 'c' }), since).map((sent) => sent.message.offset);

describe('snapshot install', () => {
  it('a far-behind follower receives the snapshot in chunks, restores it and catches up', () => {
    const { cluster, reconnect } = farBehind();
    const sentMark = cluster.sent.length;
    reconnect();
    cluster.run(200);

    expect(offsetsSent(cluster, sentMark)).toEqual([0, 4, 8, 12]);
    const restores = cluster.outputs('c', 'restore');
    expect(restores.at(-1)?.snapshot).toMatchObject({ index: 6, data: snapshotData });
    expect(cluster.applied('c')).toEqual([]);

    cluster.propose('a', 'after');
    cluster.run(50);
    expect(cluster.member('c').log.lastIndex).toBe(cluster.member('a').log.lastIndex);
    expect(cluster.member('c').commit).toBe(cluster.member('a').commit);
    expect(cluster.applied('c')).toEqual(['after']);
  });

  it('a follower restarted in the middle of an install resumes from its durable offset, not from 0', () => {
    const { cluster, reconnect } = farBehind();
    // c's answer to the second chunk is lost, so the leader believes c holds only 4 bytes.
    const loseAnswer = cluster.block(
      (envelope) => envelope.message.type === 'snapshotResponse' && envelope.message.received >= 8,
    );
    reconnect();
    cluster.runUntil(() => cluster.member('c').partial?.received === 8, 200);
    expect(cluster.node('c').store.partial?.received).toBe(8);

    cluster.crash('c');
    loseAnswer();
    cluster.drop(match({ to: 'c' }));
    expect(cluster.member('c').partial?.received).toBe(8);
    const sentMark = cluster.sent.length;
    cluster.runUntil(() => cluster.member('c').log.snapshotIndex === 6, 500);

    const offsets = offsetsSent(cluster, sentMark);
    expect(offsets).not.toContain(0);
    expect(offsets.slice(-2)).toEqual([8, 12]);
    const [firstAnswer] = cluster.sentMessages('snapshotResponse', match({ from: 'c' }), sentMark);
    expect(firstAnswer?.message).toMatchObject({ index: 6, received: 8, installed: false });
    expect(cluster.outputs('c', 'restore').at(-1)?.snapshot).toMatchObject({ index: 6, data: snapshotData });
  });
});
