// Shards of two nodes in one process, both on worker threads, talk straight to each other: shard
// k of one node to shard k of the other (a group lives on the same shard index on every node),
// over a MessageChannel of their own, so neither node's main thread carries their groups' raft
// messages. Only nodes that reach each other in-process link; nodes on TCP never do, whatever
// process they share, so what the network does to them (a cut, a proxy) still holds.
import { MessageChannel, type MessagePort } from 'node:worker_threads';

export interface LinkableShards {
  readonly node: string;
  /** Worker shards: only sets of the same count hold each group on the same index. */
  readonly threads: number;
  /** Hands shard `index` its port to `peer`'s shard of the same index. */
  link(index: number, peer: string, port: MessagePort): void;
}

/** The shard sets of this process that link: node names are unique among in-process nodes. */
const linking = new Map<string, LinkableShards>();

/** Links every shard of `shards` with the same shard of each linking set of the same size. */
export function joinLinks(shards: LinkableShards): void {
  linking.set(shards.node, shards);
  for (let index = 0; index < shards.threads; index += 1) relink(shards, index);
}

/** Links shard `index` of `shards` (a fresh worker, say) with the same shard of every peer. */
export function relink(shards: LinkableShards, index: number): void {
  if (linking.get(shards.node) !== shards) return;
  for (const peer of linking.values()) {
    if (peer === shards || peer.threads !== shards.threads) continue;
    const { port1, port2 } = new MessageChannel();
    shards.link(index, peer.node, port1);
    peer.link(index, shards.node, port2);
  }
}

/** `shards` links no more; its ports close with its workers, and its peers fall back to the node. */
export function leaveLinks(shards: LinkableShards): void {
  if (linking.get(shards.node) === shards) linking.delete(shards.node);
}
