// One simulated node: it hosts a member of each of its groups, performs the core's outputs
// (disk writes, messages held until durable when asked, timers, applying to the KV machine) and
// answers client requests. A crash drops all of it but the disk.
import {
  createMember,
  type Entry,
  emptyStoredMember,
  type Input,
  type Member,
  type MembershipChange,
  type Message,
  type NodeId,
  type Options,
  type Output,
  step,
  type Write,
} from '../raft/index.js';
import type { GroupId, SimDisk } from './disk.js';
import type { GroupChecker } from './invariants.js';
import { decodeCommand, encodeCommand, type KvCommand, KvMachine } from './kv-machine.js';
import type { Prng } from './prng.js';

export type Reply =
  | { readonly kind: 'ok'; readonly value: string | null }
  | { readonly kind: 'rejected'; readonly leader: NodeId | null }
  /** The command's entry was overwritten: it was definitely not applied. */
  | { readonly kind: 'failed' };

export type ReplyHandler = (reply: Reply) => void;

/** What a node needs from the world around it. */
export interface Environment {
  readonly now: number;
  readonly prng: Prng;
  readonly options: Partial<Options>;
  readonly snapshotEvery: number;
  send(from: NodeId, to: NodeId, group: GroupId, message: Message): void;
  armTimer(node: NodeId, group: GroupId, at: number, generation: number): void;
  diskWritten(node: NodeId): void;
  checker(group: GroupId): GroupChecker;
  observe(node: NodeId, group: GroupId, member: Member, output: Output): void;
  /** A leader went quiet: its group has nothing to do. */
  quietLeader(): void;
  /** A member replaced part of its stored log (a conflicting suffix). */
  truncated(node: NodeId, group: GroupId): void;
}

interface Pending {
  readonly handler: ReplyHandler;
  index: number;
  term: number;
}

class Hosted {
  readonly pending = new Map<number, Pending>();
  readonly acceptedAt = new Map<number, number>();
  readonly reads = new Map<number, { readonly handler: ReplyHandler; readonly key: string }>();
  held: { readonly needSeq: number; readonly to: NodeId; readonly message: Message }[] = [];
  machine = new KvMachine();
  timerGeneration = 0;
  lastPersistSeq = 0;
  lastSnapshotIndex = 0;
  /** Last index this member has written, to tell a truncation from an append. */
  writtenLast: number;

  constructor(readonly member: Member) {
    this.writtenLast = member.log.lastIndex;
  }
}

export class SimNode {
  up = true;
  /** A paused process (a long GC pause, SIGSTOP) handles nothing until then. */
  pausedUntil = 0;
  private readonly hosted = new Map<GroupId, Hosted>();
  private nextId = 1;

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    private readonly env: Environment,
  ) {}

  member(group: GroupId): Member | undefined {
    return this.hosted.get(group)?.member;
  }

  /** Starts (or restarts) this node's member of `group` from what its disk holds. */
  startMember(group: GroupId): void {
    const recovered = this.disk.load(group);
    const stored = recovered ?? emptyStoredMember;
    const member = createMember({
      id: this.id,
      stored,
      seed: this.env.prng.seed(),
      options: this.env.options,
    });
    this.env
      .checker(group)
      .onRestart(this.id, member, this.disk.durableCommit(group), recovered === undefined);
    const hosted = new Hosted(member);
    hosted.lastSnapshotIndex = member.log.snapshotIndex;
    this.hosted.set(group, hosted);
    this.process(group, { type: 'start' });
  }

  deleteMember(group: GroupId): void {
    this.hosted.delete(group);
    this.disk.delete(group);
  }

  crash(): void {
    this.up = false;
    this.pausedUntil = 0;
    this.hosted.clear();
  }

  receive(group: GroupId, from: NodeId, message: Message): void {
    if (this.up && this.hosted.has(group)) this.process(group, { type: 'message', from, message });
  }

  timer(group: GroupId, generation: number): void {
    const hosted = this.hosted.get(group);
    if (this.up && hosted !== undefined && hosted.timerGeneration === generation)
      this.process(group, { type: 'timeout' });
  }

  /** The failure detector's news of a peer, for every member here. */
  peerChanged(peer: NodeId, alive: boolean): void {
    if (!this.up) return;
    for (const group of [...this.hosted.keys()])
      this.process(group, alive ? { type: 'peerUp', node: peer } : { type: 'peerDown', node: peer });
  }

  /** The disk finished a sync: members learn what is durable and held messages go out. */
  synced(reports: ReadonlyMap<GroupId, number>): void {
    for (const [group, seq] of reports) {
      const hosted = this.hosted.get(group);
      if (hosted === undefined) continue;
      this.process(group, { type: 'durable', seq });
      const ready = hosted.held.filter((held) => held.needSeq <= seq);
      hosted.held = hosted.held.filter((held) => held.needSeq > seq);
      for (const held of ready) this.transmit(group, held.to, held.message);
    }
  }

  command(group: GroupId, command: KvCommand, handler: ReplyHandler): boolean {
    const hosted = this.hosted.get(group);
    if (!this.up || hosted === undefined) return false;
    const id = this.nextId++;
    hosted.pending.set(id, { handler, index: 0, term: 0 });
    this.process(group, { type: 'propose', proposals: [{ id, data: encodeCommand(command) }] });
    return true;
  }

  read(group: GroupId, key: string, handler: ReplyHandler): boolean {
    const hosted = this.hosted.get(group);
    if (!this.up || hosted === undefined) return false;
    const id = this.nextId++;
    hosted.reads.set(id, { handler, key });
    this.process(group, { type: 'read', ids: [id] });
    return true;
  }

  changeMembers(group: GroupId, change: MembershipChange, handler: ReplyHandler): boolean {
    const hosted = this.hosted.get(group);
    if (!this.up || hosted === undefined) return false;
    const id = this.nextId++;
    hosted.pending.set(id, { handler, index: 0, term: 0 });
    this.process(group, { type: 'changeMembers', id, change });
    return true;
  }

  transfer(group: GroupId, target: NodeId): void {
    if (this.up && this.hosted.has(group))
      this.process(group, { type: 'transfer', id: this.nextId++, target });
  }

  private process(group: GroupId, first: Input): void {
    const queue: Input[] = [first];
    for (let input = queue.shift(); input !== undefined; input = queue.shift()) {
      const hosted = this.hosted.get(group);
      if (hosted === undefined) return;
      const member = hosted.member;
      const commitBefore = member.commit;
      const quietBefore = member.quiet;
      const outputs = step(member, this.env.now, input);
      if (member.quiet && !quietBefore && member.role === 'leader') this.env.quietLeader();
      this.env.checker(group).afterStep(this.id, member, commitBefore, outputs);
      for (const output of outputs) this.perform(group, hosted, output);
      if (
        hosted.member.applied - hosted.lastSnapshotIndex >= this.env.snapshotEvery &&
        this.hosted.get(group) === hosted
      ) {
        hosted.lastSnapshotIndex = hosted.member.applied;
        queue.push({ type: 'snapshot', index: hosted.member.applied, data: hosted.machine.encode() });
      }
    }
  }

  private perform(group: GroupId, hosted: Hosted, output: Output): void {
    this.env.observe(this.id, group, hosted.member, output);
    switch (output.type) {
      case 'send':
        if (output.sync && hosted.lastPersistSeq > hosted.member.durableSeq) {
          hosted.held.push({ needSeq: hosted.lastPersistSeq, to: output.to, message: output.message });
        } else {
          this.transmit(group, output.to, output.message);
        }
        return;
      case 'persist':
        hosted.lastPersistSeq = output.seq;
        this.noteWritten(group, hosted, output.write);
        this.disk.write(group, output.seq, output.write);
        this.env.diskWritten(this.id);
        return;
      case 'apply':
        for (const entry of output.entries) this.apply(hosted, entry);
        return;
      case 'restore':
        hosted.machine = KvMachine.decode(output.snapshot.data);
        hosted.lastSnapshotIndex = output.snapshot.index;
        return;
      case 'accepted': {
        const pending = hosted.pending.get(output.id);
        if (pending === undefined) return;
        pending.index = output.index;
        pending.term = output.term;
        hosted.acceptedAt.set(output.index, output.id);
        return;
      }
      case 'rejected': {
        const pending = hosted.pending.get(output.id);
        hosted.pending.delete(output.id);
        pending?.handler({ kind: 'rejected', leader: output.leader });
        return;
      }
      case 'readReady':
        for (const id of output.ids) {
          const read = hosted.reads.get(id);
          hosted.reads.delete(id);
          if (read === undefined) continue;
          if (hosted.member.applied < output.index)
            throw new Error('read ready before the host applied its index');
          read.handler({ kind: 'ok', value: hosted.machine.get(read.key) });
        }
        return;
      case 'readRejected':
        for (const id of output.ids) {
          const read = hosted.reads.get(id);
          hosted.reads.delete(id);
          read?.handler({ kind: 'rejected', leader: output.leader });
        }
        return;
      case 'timer':
        hosted.timerGeneration += 1;
        if (output.at !== null) this.env.armTimer(this.id, group, output.at, hosted.timerGeneration);
        return;
      case 'transferred':
      case 'role':
      // The nemesis deletes removed members itself, once their removal is committed.
      case 'removed':
        return;
      default: {
        const exhausted: never = output;
        throw new Error(`unknown output ${JSON.stringify(exhausted)}`);
      }
    }
  }

  private noteWritten(group: GroupId, hosted: Hosted, write: Write): void {
    if (write.kind === 'entries') {
      if (write.from <= hosted.writtenLast) this.env.truncated(this.id, group);
      hosted.writtenLast = write.from + write.entries.length - 1;
    } else if (write.kind === 'snapshot' && !write.keepLaterEntries) {
      hosted.writtenLast = write.snapshot.index;
    }
  }

  private apply(hosted: Hosted, entry: Entry): void {
    if (entry.kind === 'command') hosted.machine.apply(decodeCommand(entry.data));
    const id = hosted.acceptedAt.get(entry.index);
    if (id === undefined) return;
    hosted.acceptedAt.delete(entry.index);
    const pending = hosted.pending.get(id);
    hosted.pending.delete(id);
    if (pending === undefined) return;
    pending.handler(pending.term === entry.term ? { kind: 'ok', value: null } : { kind: 'failed' });
  }

  private transmit(group: GroupId, to: NodeId, message: Message): void {
    this.env.checker(group).onSent(this.id, to, message);
    this.env.send(this.id, to, group, message);
  }
}
