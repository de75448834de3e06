// One group member as an actor: its raft member, its machine, its mailbox and the requests of
// its callers. The core's outputs are carried out by CoreHost (core-host.ts, shared with the
// simulator and the core's tests); this class answers callers, arms timers, and hands committed
// entries to its machine (machine-application.ts).
import {
  createMember,
  type Entry,
  type Message,
  type NodeId,
  type Proposal,
  type Input as RaftInput,
  type StoredMember,
  type Write,
} from '../raft/index.js';
import {
  type ActorInput,
  type Consistency,
  type MemberStatus,
  type MemberView,
  maxPendingCommands,
  maxPendingReads,
  type ShardContext,
} from './actor-io.js';
import { CoreHost, type HostOutput } from './core-host.js';
import { encodeSystem, encodeVersion } from './entry-codec.js';
import type { Machine, MachineRole } from './machine.js';
import {
  type ApplyHost,
  answerQuery,
  applyEntry,
  enterRole,
  restoreSnapshot,
} from './machine-application.js';
import { reportedVersion, targetVersion } from './machine-versions.js';
import { memberOn, membersOn, type NodeChange, translate } from './member-changes.js';
import { isOn, nodeOf } from './member-id.js';
import { Requests } from './requests.js';
import { Mailbox } from './scheduler.js';

export class GroupActor extends CoreHost implements ApplyHost {
  readonly mailbox = new Mailbox<ActorInput>();
  state: unknown;
  /** Client requests waiting here; null while there are none, which is most of an idle group's life. */
  private waiting: Requests | null = null;
  /** Commands received this turn, proposed together at its end; likewise consistent reads. */
  private gathered: Proposal[] | null = null;
  private gatheredReads: number[] | null = null;
  effectiveVersion = 0;
  versionBlocked: string | null = null;
  proposedVersion = 0;
  proposedTerm = 0;
  /** The last entry applied to the machine here: behind the core's while blocked. */
  appliedIndex = 0;

  constructor(
    readonly group: string,
    /** This member's identity (see member-id.ts). */
    id: NodeId,
    readonly machine: Machine,
    /** The machine's initial state, until a snapshot restores the member's own. */
    initial: unknown,
    stored: StoredMember,
    seed: number,
    readonly context: ShardContext,
    /** This member's number on a shard thread, for the watchdog to name a culprit by. */
    readonly slot = 0,
  ) {
    // Idle groups go quiet: the node's failure detector watches peers instead of every group.
    const watch = context.watch;
    super(
      createMember({ id, stored, seed, options: { ...watch?.options, quiesce: true } }),
      watch === null ? null : { group, observer: watch.observer },
    );
    this.state = initial;
  }

  private get requests(): Requests {
    this.waiting ??= new Requests();
    return this.waiting;
  }

  start(): void {
    this.step({ type: 'start' });
    this.afterVersions();
  }

  handle(input: ActorInput): void {
    // What was gathered this turn goes in before anything that could change what it meets.
    if (input.kind !== 'command' && input.kind !== 'system' && input.kind !== 'query') this.proposeGathered();
    this.dispatch(input);
    if (this.waiting?.empty === true) this.waiting = null;
  }

  endTurn(): void {
    this.proposeGathered();
    this.afterVersions();
    if (this.waiting?.empty === true) this.waiting = null;
  }

  /**
   * Once a turn: the core hears the version this member's code supports (for its leader) and
   * whether it may lead, and a leader moves the group to the newest version all its voters'
   * code supports.
   */
  private afterVersions(): void {
    const eligible = this.versionBlocked === null;
    const reported = reportedVersion(this);
    if (this.member.hostVersion !== reported || this.member.eligible !== eligible)
      this.step({ type: 'hostStatus', version: reported, eligible });
    const target = targetVersion(this, this.member);
    if (target === null) return;
    const before = this.member.log.lastIndex;
    this.step({ type: 'propose', proposals: [{ id: -1, data: encodeVersion(target) }] });
    // Refused (a leadership transfer under way): proposed again on a later turn.
    if (this.member.log.lastIndex === before) return;
    this.proposedVersion = target;
    this.proposedTerm = this.member.term;
  }

  /** One propose for every command of the turn: one write and one append per follower for all. */
  private proposeGathered(): void {
    const gathered = this.gathered;
    if (gathered !== null) {
      this.gathered = null;
      this.step({ type: 'propose', proposals: gathered });
    }
    // Consistent reads of a turn share one read-index round: one heartbeat quorum for all.
    const reads = this.gatheredReads;
    if (reads !== null) {
      this.gatheredReads = null;
      this.step({ type: 'read', ids: reads });
    }
  }

  private dispatch(input: ActorInput): void {
    switch (input.kind) {
      case 'message': {
        const type = input.message.type;
        if (type === 'appendResponse' || type === 'heartbeatResponse') this.replaceStale(input.from);
        const stale = this.member.staleMessages;
        this.step({ type: 'message', from: input.from, message: input.message });
        this.context.staleMessages += this.member.staleMessages - stale;
        return;
      }
      case 'durable':
        this.step({ type: 'durable', seq: input.seq });
        return;
      case 'timeout':
        this.step({ type: 'timeout' });
        return;
      case 'campaign':
        this.step({ type: 'campaign' });
        return;
      case 'peer':
        // The core knows members; the failure detector knows nodes: every member there hears it.
        for (const member of this.membersOn(input.node))
          this.step(input.up ? { type: 'peerUp', node: member } : { type: 'peerDown', node: member });
        return;
      case 'command':
        this.propose(input.request, input.data);
        return;
      case 'system':
        if (this.member.role === 'leader') this.propose(-1, encodeSystem(input.event));
        return;
      case 'query':
        this.query(input.request, input.name, input.arg, input.consistency);
        return;
      case 'changeMembers':
        this.changeMembers(input.request, input.change);
        return;
      case 'transfer': {
        const target = memberOn(this.member.log.config, input.target);
        if (!this.leading(input.request)) return;
        if (target === null) {
          this.context.reply(input.request, {
            kind: 'error',
            code: 'BAD_ARGUMENT',
            message: `node ${input.target} has no member of ${this.group}`,
          });
          return;
        }
        this.requests.transfers.add(input.request);
        this.step({ type: 'transfer', id: input.request, target });
        return;
      }
      default: {
        const exhausted: never = input;
        throw new Error(`unknown actor input ${JSON.stringify(exhausted)}`);
      }
    }
  }

  /** Whether this member leads; if not, the request is answered with where the leader is. */
  private leading(request: number): boolean {
    if (this.member.role === 'leader') return true;
    this.context.reply(request, { kind: 'notLeader', leader: this.leaderNode() });
    return false;
  }

  /** A change by node name, made in member identities against this leader's configuration. */
  private changeMembers(request: number, change: NodeChange): void {
    if (!this.leading(request)) return;
    const translated = translate(this.member.log.config, change);
    if (translated.kind === 'done') {
      this.context.reply(request, { kind: 'ok', value: undefined });
      return;
    }
    if (translated.kind === 'refused') {
      this.context.reply(request, { kind: 'error', code: 'BAD_ARGUMENT', message: translated.reason });
      return;
    }
    // Answered like a command: once its config entry applies.
    this.awaitEntry(request);
    this.step({ type: 'changeMembers', id: request, change: translated.change });
  }

  /**
   * A member answered for its node where the configuration names another: that one's data is
   * gone with it, and this one is its node's new incarnation (its messages went to the old
   * identity's node). The leader replaces the old identity by the new. Refused while another
   * change is under way (a new leader before its first commit); the next answer, to an append or
   * a heartbeat, brings the news again. The new member may not be stalled: it may have begun a
   * snapshot from a leader since deposed, whose replacement entry was overwritten.
   */
  private replaceStale(current: NodeId): void {
    const member = this.member;
    if (member.role !== 'leader' || member.progress.has(current)) return;
    const stale = memberOn(member.log.config, nodeOf(current));
    if (stale === null || stale === current) return;
    this.step({ type: 'changeMembers', id: -1, change: { kind: 'replace', old: stale, node: current } });
  }

  /** The members this one knows on `node`: in its configuration, replicated to, or known down. */
  private membersOn(node: string): NodeId[] {
    const member = this.member;
    const found = new Set(membersOn(member.log.config, node));
    for (const peer of member.progress.keys()) if (isOn(peer, node)) found.add(peer);
    for (const peer of member.downPeers) if (isOn(peer, node)) found.add(peer);
    found.delete(member.id);
    return [...found];
  }

  private leaderNode(): string | null {
    return this.member.leader === null ? null : nodeOf(this.member.leader);
  }

  private propose(request: number, data: Uint8Array): void {
    if (request >= 0) {
      if (this.pendingCommands >= maxPendingCommands) {
        this.context.reply(request, {
          kind: 'error',
          code: 'OVERLOADED',
          message: 'too many commands pending',
        });
        return;
      }
      this.awaitEntry(request);
    }
    this.gathered ??= [];
    this.gathered.push({ id: request, data });
  }

  private query(request: number, name: string, arg: unknown, consistency: Consistency): void {
    const query = this.machine.queries?.[name];
    if (query === undefined) {
      this.context.reply(request, { kind: 'error', code: 'BAD_ARGUMENT', message: `no query named ${name}` });
      return;
    }
    if (consistency === 'local') {
      answerQuery(this, request, name, arg);
    } else if (this.member.role !== 'leader') {
      this.context.reply(request, { kind: 'notLeader', leader: this.leaderNode() });
    } else if (consistency === 'leader') {
      answerQuery(this, request, name, arg);
    } else if (this.requests.reads.size >= maxPendingReads) {
      this.context.reply(request, { kind: 'error', code: 'OVERLOADED', message: 'too many reads pending' });
    } else {
      this.requests.reads.set(request, { name, arg });
      this.gatheredReads ??= [];
      this.gatheredReads.push(request);
    }
  }

  step(input: RaftInput): void {
    this.stepCore(this.context.now(), input);
  }

  protected transmit(to: NodeId, message: Message): void {
    this.context.send(this.group, this.member.id, to, message);
  }

  protected write(seq: number, write: Write): void {
    this.context.persist(this.group, seq, write);
  }

  /** A committed entry, and the caller waiting on it here: the machine applies it. */
  protected applyEntry(entry: Entry, request: number | null): void {
    applyEntry(this, entry, request);
    this.watchApplied(entry.index);
  }

  /** Tells the simulator's watch what the machine holds at `index`, once it holds it. */
  private watchApplied(index: number): void {
    if (this.appliedIndex === index)
      this.context.watch?.observer.applied?.(this.group, this.member.id, index, this.state);
  }

  protected overwritten(request: number): void {
    this.context.reply(request, { kind: 'dropped' });
  }

  protected carry(output: HostOutput): void {
    switch (output.type) {
      case 'restore':
        restoreSnapshot(this, output.snapshot.index, output.snapshot.data);
        this.watchApplied(output.snapshot.index);
        return;
      case 'rejected':
        this.rejected(output.id, output.reason, output.leader);
        return;
      case 'readReady':
        for (const id of output.ids) {
          const read = this.requests.reads.get(id);
          this.requests.reads.delete(id);
          if (read !== undefined) answerQuery(this, id, read.name, read.arg);
        }
        return;
      case 'readRejected':
        for (const id of output.ids) {
          if (this.requests.reads.delete(id))
            this.context.reply(id, {
              kind: 'notLeader',
              leader: output.leader === null ? null : nodeOf(output.leader),
            });
        }
        return;
      case 'transferred':
        if (this.requests.transfers.delete(output.id))
          this.context.reply(output.id, output.ok ? { kind: 'ok', value: undefined } : { kind: 'dropped' });
        return;
      case 'timer':
        this.context.armTimer(this, output.at);
        return;
      case 'role':
        this.roleChanged(output.role, output.leader, output.term);
        return;
      case 'removed':
        this.context.removed(this.group);
        return;
      default: {
        const exhausted: never = output;
        throw new Error(`unknown output ${JSON.stringify(exhausted)}`);
      }
    }
  }

  private rejected(id: number, reason: string, leader: NodeId | null): void {
    const known = this.forgetCommand(id) || this.waiting?.transfers.delete(id) === true;
    if (!known) return;
    if (reason === 'notLeader' || reason === 'transferring') {
      this.context.reply(id, { kind: 'notLeader', leader: leader === null ? null : nodeOf(leader) });
    } else if (reason === 'busy') {
      this.context.reply(id, {
        kind: 'error',
        code: 'OVERLOADED',
        message: 'the group is busy (a change is in progress)',
      });
    } else if (reason === 'noQuorum') {
      this.context.reply(id, {
        kind: 'error',
        code: 'OVERLOADED',
        message:
          'the voters left would have no quorum of members that answer (another voter is down, or lost its data and is not back yet): try again once it is',
      });
    } else {
      this.context.reply(id, { kind: 'error', code: 'BAD_ARGUMENT', message: `rejected: ${reason}` });
    }
  }

  private roleChanged(role: string, leader: NodeId | null, term: number): void {
    this.context.leaderChanged(this.group, leader === null ? null : nodeOf(leader), term);
    if (role !== 'preCandidate') enterRole(this, role as MachineRole);
  }

  failReads(message: string): void {
    for (const id of [...(this.waiting?.reads.keys() ?? [])]) {
      this.waiting!.reads.delete(id);
      this.context.reply(id, { kind: 'error', code: 'STOPPED', message });
    }
  }

  /**
   * The requests still waiting on this member, forgotten as it closes: those whose entry may
   * have been appended (and may yet apply elsewhere), and reads, which changed nothing.
   */
  abandon(): { readonly appended: number[]; readonly reads: number[] } {
    const waiting = this.waiting;
    this.waiting = null;
    this.gathered = null;
    this.gatheredReads = null;
    const appended = this.abandonCommands();
    if (waiting === null) return { appended, reads: [] };
    return { appended: [...appended, ...waiting.transfers], reads: [...waiting.reads.keys()] };
  }

  /** Status figures for this member. */
  status(): MemberStatus {
    const member = this.member;
    return {
      member: member.id,
      role: member.role,
      term: member.term,
      leader: this.leaderNode(),
      commitIndex: member.commit,
      appliedIndex: this.appliedIndex,
      version: this.effectiveVersion,
      blocked: this.versionBlocked,
      logSize: member.log.lastIndex - member.log.snapshotIndex,
      snapshotIndex: member.log.snapshotIndex,
      pendingCommands: this.pendingCommands,
      stalled: member.stalled,
    };
  }

  /** The group's configuration as this member knows it. */
  membership(): MemberView {
    const config = this.member.log.config;
    return {
      leader: this.leaderNode(),
      voters: config.voters.map(nodeOf),
      nonVoters: config.nonVoters.map(nodeOf),
      stalled: this.member.stalled,
    };
  }
}
