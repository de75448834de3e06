// A node's shards: each group's member lives on the shard its name hashes to, the same index on
// every node. With `threads: 0` there is one shard, inline.
import type { StoredMember } from '../raft/index.js';
import type { ActorInput, MemberStatus, MemberView } from './group-actor.js';
import type { MemberSpec, ShardHost } from './shard.js';
import { InlineShard, type ShardHandle } from './shard-handle.js';
import { WorkerShard } from './worker-shard.js';

export class ShardSet {
  private readonly shards: ShardHandle[];
  /** The groups with a running member here, and their shard. */
  private readonly running = new Map<string, ShardHandle>();

  constructor(node: string, threads: number, host: ShardHost) {
    this.shards =
      threads === 0
        ? [new InlineShard(node, host)]
        : Array.from({ length: threads }, () => new WorkerShard(node, host));
  }

  get size(): number {
    return this.running.size;
  }

  get timersArmed(): number {
    return this.shards.reduce((sum, shard) => sum + shard.timersArmed, 0);
  }

  get staleMessages(): number {
    return this.shards.reduce((sum, shard) => sum + shard.staleMessages, 0);
  }

  get leaders(): number {
    return this.shards.reduce((sum, shard) => sum + shard.leaders, 0);
  }

  has(group: string): boolean {
    return this.running.has(group);
  }

  async open(spec: MemberSpec, stored: StoredMember | undefined): Promise<void> {
    const shard = this.shardFor(spec.group);
    await shard.open(spec, stored);
    this.running.set(spec.group, shard);
  }

  /** Hands an input to the group's member here; false if it has none running. */
  deliver(group: string, input: ActorInput): boolean {
    const shard = this.running.get(group);
    if (shard === undefined) return false;
    shard.deliver(group, input);
    return true;
  }

  peerChanged(node: string, up: boolean): void {
    for (const shard of this.shards) shard.peerChanged(node, up);
  }

  close(group: string): void {
    this.running.get(group)?.close(group);
    this.running.delete(group);
  }

  async membership(group: string): Promise<MemberView | undefined> {
    return this.running.get(group)?.membership(group);
  }

  async status(group: string): Promise<MemberStatus | undefined> {
    return this.running.get(group)?.status(group);
  }

  async stop(): Promise<void> {
    this.running.clear();
    await Promise.all(this.shards.map((shard) => shard.stop()));
  }

  private shardFor(group: string): ShardHandle {
    return this.shards[groupHash(group) % this.shards.length]!;
  }
}

/** A stable hash of a group's name (FNV-1a): the same shard index and preferred leader everywhere. */
export function groupHash(group: string): number {
  let hash = 0x811c9dc5;
  for (let position = 0; position < group.length; position += 1)
    hash = Math.imul(hash ^ group.charCodeAt(position), 0x01000193);
  return hash >>> 0;
}
