// One simulated node: it hosts a member of each of its groups, whose outputs the runtime's
// CoreHost carries out (messages held until durable, replies matched to accepted entries) into
// the simulated disk, network, timers and KV machine, and answers client requests. A crash drops
// all of it but the disk.
import { CoreHost, type HostOutput } from '../actors/core-host.js';
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

/** A member of a group on this node, its core's outputs carried out by the runtime's CoreHost. */
class SimMember extends CoreHost {
  /** Callers of commands and membership changes, answered when their entry applies. */
  readonly handlers = new Map<number, ReplyHandler>();
  readonly reads = new Map<number, { readonly handler: ReplyHandler; readonly key: string }>();
  machine = new KvMachine();
  timerGeneration = 0;
  lastSnapshotIndex = 0;
  /** Last index this member has written, to tell a truncation from an append. */
  writtenLast: number;

  constructor(
    member: Member,
    private readonly node: SimNode,
    private readonly group: GroupId,
    private readonly env: Environment,
  ) {
    super(member);
    this.writtenLast = member.log.lastIndex;
    this.lastSnapshotIndex = member.log.snapshotIndex;
  }

  /** Steps the member and carries out its outputs; the world sees them and the checker checks. */
  stepAt(now: number, input: Input): void {
    const member = this.member;
    const commitBefore = member.commit;
    const quietBefore = member.quiet;
    const outputs = this.stepCore(now, input);
    for (const output of outputs) this.env.observe(this.node.id, this.group, member, output);
    if (member.quiet && !quietBefore && member.role === 'leader') this.env.quietLeader();
    this.env.checker(this.group).afterStep(this.node.id, member, commitBefore, outputs);
  }

  /** A command (or membership change) about to be proposed as `id`. */
  expect(id: number, handler: ReplyHandler): void {
    this.handlers.set(id, handler);
    this.awaitEntry(id);
  }

  protected transmit(to: NodeId, message: Message): void {
    this.node.transmit(this.group, to, message);
  }

  protected write(seq: number, write: Write): void {
    if (write.kind === 'entries') {
      if (write.from <= this.writtenLast) this.env.truncated(this.node.id, this.group);
      this.writtenLast = write.from + write.entries.length - 1;
    } else if (write.kind === 'snapshot' && !write.keepLaterEntries) {
      this.writtenLast = write.snapshot.index;
    }
    this.node.disk.write(this.group, seq, write);
    this.env.diskWritten(this.node.id);
  }

  protected applyEntry(entry: Entry, request: number | null): void {
    if (entry.kind === 'command') this.machine.apply(decodeCommand(entry.data));
    if (request !== null) this.answer(request, { kind: 'ok', value: null });
  }

  protected overwritten(request: number): void {
    this.answer(request, { kind: 'failed' });
  }

  protected carry(output: HostOutput): void {
    switch (output.type) {
      case 'restore':
        this.machine = KvMachine.decode(output.snapshot.data);
        this.lastSnapshotIndex = output.snapshot.index;
        return;
      case 'rejected':
        this.forgetCommand(output.id);
        this.answer(output.id, { kind: 'rejected', leader: output.leader });
        return;
      case 'readReady':
        for (const id of output.ids) {
          const read = this.reads.get(id);
          this.reads.delete(id);
          if (read === undefined) continue;
          if (this.member.applied < output.index)
            throw new Error('read ready before the host applied its index');
          read.handler({ kind: 'ok', value: this.machine.get(read.key) });
        }
        return;
      case 'readRejected':
        for (const id of output.ids) {
          const read = this.reads.get(id);
          this.reads.delete(id);
          read?.handler({ kind: 'rejected', leader: output.leader });
        }
        return;
      case 'timer':
        this.timerGeneration += 1;
        if (output.at !== null) this.env.armTimer(this.node.id, this.group, output.at, this.timerGeneration);
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

  private answer(id: number, reply: Reply): void {
    const handler = this.handlers.get(id);
    this.handlers.delete(id);
    handler?.(reply);
  }
}

export class SimNode {
  up = true;
  /** A paused process (a long GC pause, SIGSTOP) handles nothing until then. */
  pausedUntil = 0;
  private readonly hosted = new Map<GroupId, SimMember>();
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
    this.hosted.set(group, new SimMember(member, this, group, this.env));
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
    for (const [group, seq] of reports)
      if (this.hosted.has(group)) this.process(group, { type: 'durable', seq });
  }

  command(group: GroupId, command: KvCommand, handler: ReplyHandler): boolean {
    const hosted = this.hosted.get(group);
    if (!this.up || hosted === undefined) return false;
    const id = this.nextId++;
    hosted.expect(id, handler);
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
    hosted.expect(id, handler);
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
      hosted.stepAt(this.env.now, input);
      if (
        hosted.member.applied - hosted.lastSnapshotIndex >= this.env.snapshotEvery &&
        this.hosted.get(group) === hosted
      ) {
        hosted.lastSnapshotIndex = hosted.member.applied;
        queue.push({ type: 'snapshot', index: hosted.member.applied, data: hosted.machine.encode() });
      }
    }
  }

  transmit(group: GroupId, to: NodeId, message: Message): void {
    this.env.checker(group).onSent(this.id, to, message);
    this.env.send(this.id, to, group, message);
  }
}
