// A node's shards: each group's member lives on the shard its name hashes to, the same index on
// every node. With `threads: 0` there is one shard, inline. A worker shard that fails is started
// afresh (a bounded number of times a minute), and the node is told which groups it held and
// which member was running when it failed, so it can reopen the others from the WAL.
import type { MessagePort } from 'node:worker_threads';
import type { StoredMember } from '../raft/index.js';
import type { ActorInput, MemberStatus, MemberView } from './actor-io.js';
import { type Clock, systemClock } from './clock.js';
import { raftBatchShard } from './raft-batch.js';
import type { MemberSpec } from './shard.js';
import { FailedShard, InlineShard, type ShardHandle } from './shard-handle.js';
import { joinLinks, type LinkableShards, leaveLinks, relink } from './shard-links.js';
import { WorkerShard, type WorkerShardHost } from './worker-shard.js';
import { WriteSequences } from './write-sequences.js';

/** Failures of one shard's worker within a minute past which it is not started again. */
export const maxShardRestartsPerMinute = 3;

export interface ShardFailure {
  readonly shard: number;
  readonly reason: string;
  /** The groups whose members ran on it, all closed now. */
  readonly groups: readonly string[];
  /** The group whose member was running when it failed, if any: likely what made it fail. */
  readonly culprit: string | null;
  /** Whether a fresh worker took its place; if not, nothing opens on it any more. */
  readonly restarted: boolean;
}

export interface ShardSetHost extends WorkerShardHost {
  shardFailed(failure: ShardFailure): void;
}

export interface ShardSetOptions {
  /**
   * Whether this node's worker shards link with those of other in-process nodes that link
   * (shard-links.ts): only a node whose peers are reached in-process may.
   */
  readonly linkInProcess?: boolean;
}

export class ShardSet implements LinkableShards {
  private readonly shards: ShardHandle[];
  /** Counts of workers that failed and were replaced, so the node's totals do not go back. */
  private retired = { linkedMessages: 0, framedMessages: 0, unknownGroupMessages: 0 };
  private readonly linked: boolean;
  /** The groups with a running member here, their shard and slot. */
  private readonly running = new Map<
    string,
    { readonly shard: ShardHandle; readonly slot: number; readonly member: string }
  >();
  private nextSlot = 1;
  /** Each group's writes numbered as the log sees them, across its member's openings. */
  private readonly sequences = new WriteSequences();
  /** When each shard's worker failed, within the last minute. */
  private readonly failures: number[][];
  /** The node's host, but a member that fails leaves the running set before the node hears of it. */
  private readonly shardHost: WorkerShardHost;

  constructor(
    readonly node: string,
    readonly threads: number,
    private readonly host: ShardSetHost,
    /** Inline shards run on it; worker threads keep their own (the simulator runs inline shards only). */
    private readonly clock: Clock = systemClock,
    options: ShardSetOptions = {},
  ) {
    this.shardHost = {
      ...host,
      persist: (group, seq, write) => host.persist(group, this.sequences.toLog(group, seq), write),
      persistEncoded: (writes) => {
        const { groups, seqs } = writes;
        for (let write = 0; write < groups.length; write += 1)
          seqs[write] = this.sequences.toLog(groups[write]!, seqs[write]!);
        host.persistEncoded(writes);
      },
      memberFailed: (group, reason) => {
        this.running.delete(group);
        host.memberFailed(group, reason);
      },
    };
    this.failures = Array.from({ length: Math.max(threads, 1) }, () => []);
    this.shards =
      threads === 0 ? [this.inline()] : Array.from({ length: threads }, (_, index) => this.worker(index));
    host.watch?.shardsStarted?.((culprit, reason) => this.failShard(culprit, reason));
    this.linked = options.linkInProcess === true && threads > 0;
    if (this.linked) joinLinks(this);
  }

  link(index: number, peer: string, port: MessagePort): void {
    const shard = this.shards[index];
    if (shard instanceof WorkerShard) shard.link(peer, port);
    else port.close();
  }

  /** The simulator's stand-in for a worker thread dying: the shard's members are gone at once. */
  private failShard(culprit: string | null, reason: string): void {
    const index = culprit === null ? 0 : this.shards.indexOf(this.shardFor(culprit));
    const shard = this.shards[index]!;
    const slot = culprit === null ? 0 : (this.running.get(culprit)?.slot ?? 0);
    void shard.stop();
    this.failed(index, shard, reason, slot);
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

  /** Raft messages the shards sent straight to linked peer shards, not through the node. */
  get linkedMessages(): number {
    return this.shards.reduce((sum, shard) => sum + shard.linkedMessages, this.retired.linkedMessages);
  }

  /** Raft messages worker shards framed themselves, for the node to carry as bytes. */
  get framedMessages(): number {
    return this.shards.reduce((sum, shard) => sum + shard.framedMessages, this.retired.framedMessages);
  }

  /** Raft messages linked peer shards sent for groups with no member running here. */
  get unknownGroupMessages(): number {
    return this.shards.reduce(
      (sum, shard) => sum + shard.unknownGroupMessages,
      this.retired.unknownGroupMessages,
    );
  }

  has(group: string): boolean {
    return this.running.has(group);
  }

  /**
   * Hands a raft batch framed by `node`'s shard to this node's shard of the same index, as it
   * came, when both nodes have as many worker shards (each group on the same index); false when
   * the node must read it itself.
   */
  deliverFramed(node: string, batch: Uint8Array): boolean {
    const { index, shards } = raftBatchShard(batch);
    const shard = shards === this.threads ? this.shards[index] : undefined;
    if (!(shard instanceof WorkerShard)) return false;
    shard.deliverFramed(node, batch);
    return true;
  }

  async open(spec: Omit<MemberSpec, 'slot'>, stored: StoredMember | undefined): Promise<void> {
    const shard = this.shardFor(spec.group);
    const slot = this.nextSlot++;
    this.sequences.opened(spec.group);
    await shard.open({ ...spec, slot }, stored);
    // A shard that failed while opening took the member with it.
    if (this.shardFor(spec.group) === shard)
      this.running.set(spec.group, { shard, slot, member: spec.member });
  }

  /** The identity of the group's member running here, if one is. */
  memberOf(group: string): string | undefined {
    return this.running.get(group)?.member;
  }

  /** Loads the group's machine and runs its init where its member would run, writing nothing. */
  check(group: string, module: string, config: unknown): Promise<number> {
    return this.shardFor(group).check(module, config);
  }

  /** Hands an input to the group's member here; false if it has none running. */
  deliver(group: string, input: ActorInput): boolean {
    const running = this.running.get(group);
    if (running === undefined) return false;
    if (input.kind === 'durable') {
      const seq = this.sequences.fromLog(group, input.seq);
      if (seq === null) return true;
      running.shard.deliver(group, seq === input.seq ? input : { kind: 'durable', seq });
      return true;
    }
    running.shard.deliver(group, input);
    return true;
  }

  peerChanged(node: string, up: boolean): void {
    for (const shard of this.shards) shard.peerChanged(node, up);
  }

  /** Resolves once nothing more of the member can reach the host (its last writes included). */
  async close(group: string): Promise<void> {
    const running = this.running.get(group);
    this.running.delete(group);
    await running?.shard.close(group);
  }

  async membership(group: string): Promise<MemberView | undefined> {
    return this.running.get(group)?.shard.membership(group);
  }

  async status(group: string): Promise<MemberStatus | undefined> {
    return this.running.get(group)?.shard.status(group);
  }

  async stop(): Promise<void> {
    if (this.linked) leaveLinks(this);
    this.running.clear();
    await Promise.all(this.shards.map((shard) => shard.stop()));
  }

  private shardFor(group: string): ShardHandle {
    return this.shards[groupHash(group) % this.shards.length]!;
  }

  private inline(): InlineShard {
    return new InlineShard(this.node, this.shardHost, this.clock);
  }

  private worker(index: number): WorkerShard {
    const shard: WorkerShard = new WorkerShard(
      this.node,
      index,
      this.threads,
      this.shardHost,
      (reason, culpritSlot) => this.failed(index, shard, reason, culpritSlot),
    );
    return shard;
  }

  private failed(index: number, shard: ShardHandle, reason: string, culpritSlot: number): void {
    if (this.shards[index] !== shard) return;
    const groups: string[] = [];
    let culprit: string | null = null;
    for (const [group, running] of this.running) {
      if (running.shard !== shard) continue;
      groups.push(group);
      if (running.slot === culpritSlot) culprit = group;
    }
    for (const group of groups) this.running.delete(group);
    const now = this.clock.now();
    const recent = this.failures[index]!.filter((at) => now - at < 60_000);
    recent.push(now);
    this.failures[index] = recent;
    const restarted = recent.length <= maxShardRestartsPerMinute;
    this.retired = {
      linkedMessages: this.retired.linkedMessages + shard.linkedMessages,
      framedMessages: this.retired.framedMessages + shard.framedMessages,
      unknownGroupMessages: this.retired.unknownGroupMessages + shard.unknownGroupMessages,
    };
    this.shards[index] = restarted
      ? this.threads === 0
        ? this.inline()
        : this.worker(index)
      : new FailedShard(`its worker failed ${recent.length} times in a minute; the last time ${reason}`);
    if (this.linked && restarted) relink(this, index);
    this.host.shardFailed({ shard: index, reason, groups, culprit, restarted });
  }
}

/** A stable hash of a group's name (FNV-1a): the same shard index and preferred leader everywhere. */
export function groupHash(group: string): number {
  let hash = 0x811c9dc5;
  for (let position = 0; position < group.length; position += 1)
    hash = Math.imul(hash ^ group.charCodeAt(position), 0x01000193);
  return hash >>> 0;
}
