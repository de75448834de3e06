import {
  createMember,
  type Entry,
  type Member,
  type Message,
  type NodeId,
  type Proposal,
  type Input as RaftInput,
  type Output as RaftOutput,
  type StoredMember,
  step,
  type Write,
} from '../raft/index.js';
import {
  decodeEntryData,
  decodeState,
  detached,
  encodeState,
  encodeSystem,
  encodeVersion,
} from './entry-codec.js';
import type { ErrorCode } from './errors.js';
import type { Effect, Machine, MachineRole, SystemEvent } from './machine.js';
import { checkApplyResult, checkEffects } from './machine-output.js';
import { enterVersion, reportedVersion, targetVersion, type VersionState } from './machine-versions.js';
import { memberOn, membersOn, type NodeChange, translate } from './member-changes.js';
import { nodeOf } from './member-id.js';
import { plainDataProblem } from './plain-data.js';
import { type PendingCommand, Requests } from './requests.js';
import { Mailbox } from './scheduler.js';

/** Commands waiting for their entry to apply, per group: past it, callers get OVERLOADED. */
export const maxPendingCommands = 4096;
/** Consistent reads waiting for their read-index round, per group. */
export const maxPendingReads = 4096;

export type Consistency = 'local' | 'leader' | 'consistent';

export type ActorInput =
  /** A Raft message from member `from` for member `to`, which may be an earlier incarnation of this one. */
  | { readonly kind: 'message'; readonly from: NodeId; readonly to: NodeId; readonly message: Message }
  | { readonly kind: 'durable'; readonly seq: number }
  | { readonly kind: 'timeout' }
  /** Stand for election now: this member is a new group's preferred leader. */
  | { readonly kind: 'campaign' }
  /** The node failure detector's news of a peer node (or of this group's member there stopping). */
  | { readonly kind: 'peer'; readonly node: string; readonly up: boolean }
  /** Node `current`'s member is a new incarnation: the `stale` one there is gone with its data. */
  | { readonly kind: 'incarnation'; readonly stale: NodeId; readonly current: NodeId }
  | { readonly kind: 'command'; readonly request: number; readonly data: Uint8Array }
  | { readonly kind: 'system'; readonly event: SystemEvent }
  | {
      readonly kind: 'query';
      readonly request: number;
      readonly name: string;
      readonly arg: unknown;
      readonly consistency: Consistency;
    }
  | { readonly kind: 'changeMembers'; readonly request: number; readonly change: NodeChange }
  /** Hand leadership to the member on node `target`. */
  | { readonly kind: 'transfer'; readonly request: number; readonly target: string };

/** How a request ended, as the node sees it. */
export type Outcome =
  | { readonly kind: 'ok'; readonly value: unknown }
  /** Not accepted here; `leader` is the node to try instead. Nothing was appended. */
  | { readonly kind: 'notLeader'; readonly leader: string | null }
  /** Appended, then replaced by another leader's entry: it will never apply. */
  | { readonly kind: 'dropped' }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string };

/** What an actor needs from its shard. */
export interface ShardContext {
  readonly node: NodeId;
  /** Messages of an earlier term the shard's members ignored. */
  staleMessages: number;
  now(): number;
  /** A message from member `from` (this node's) to member `to`, on the node `to` names. */
  send(group: string, from: NodeId, to: NodeId, message: Message): void;
  /**
   * A message for `stale` reached this node, whose member is `current`: member `replyTo` is told,
   * so that a leader among them can replace the stale identity by the new one.
   */
  misaddressed(group: string, stale: NodeId, current: NodeId, replyTo: NodeId): void;
  persist(group: string, seq: number, write: Write): void;
  armTimer(actor: GroupActor, at: number | null): void;
  reply(request: number, outcome: Outcome): void;
  /** The group's leader is now on node `leader` (or unknown). */
  leaderChanged(group: string, leader: string | null, term: number): void;
  /** Effects the leader runs: sends, monitors and timers. */
  effects(actor: GroupActor, effects: readonly Effect[]): void;
  /** Something this member could not do and no caller hears of: the node reports it as an error. */
  report(group: string, code: ErrorCode, message: string): void;
  /** This member learned it is out of the group's committed configuration: its node deletes it. */
  removed(group: string): void;
}

/** The group as a member knows it, by node name. */
export interface MemberView {
  readonly leader: string | null;
  readonly voters: readonly string[];
  readonly nonVoters: readonly string[];
  /** Whether this member holds no data yet (it waits for the leader's snapshot). */
  readonly stalled: boolean;
}

export interface MemberStatus {
  /** This member's identity: its node and the incarnation of its data. */
  readonly member: NodeId;
  readonly role: 'follower' | 'preCandidate' | 'candidate' | 'leader';
  readonly term: number;
  /** The node of the leader, as this member knows it. */
  readonly leader: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** The machine version the group applies under here (see machine-versions.ts). */
  readonly version: number;
  /** Why this member stopped applying (its code is older than its log's version), or null. */
  readonly blocked: string | null;
  /** Entries held in the log after its snapshot. */
  readonly logSize: number;
  readonly snapshotIndex: number;
  readonly pendingCommands: number;
}

interface HeldSend {
  readonly seq: number;
  readonly to: NodeId;
  readonly message: Message;
}

export class GroupActor implements VersionState {
  readonly mailbox = new Mailbox<ActorInput>();
  readonly member: Member;
  state: unknown;
  /** Client requests waiting here; null while there are none, which is most of an idle group's life. */
  private waiting: Requests | null = null;
  /** Commands received this turn, proposed together at its end; likewise consistent reads. */
  private gathered: Proposal[] | null = null;
  private gatheredReads: number[] | null = null;
  /** Messages waiting for this member's writes to be durable; null while there are none. */
  private held: HeldSend[] | null = null;
  private lastPersistSeq = 0;
  effectiveVersion = 0;
  versionBlocked: string | null = null;
  proposedVersion = 0;
  /** The last entry applied to the machine here: behind the core's while blocked. */
  private appliedIndex = 0;

  constructor(
    readonly group: string,
    /** This member's identity (see member-id.ts). */
    id: NodeId,
    readonly machine: Machine,
    /** The machine's initial state, until a snapshot restores the member's own. */
    initial: unknown,
    stored: StoredMember,
    seed: number,
    private readonly context: ShardContext,
    /** This member's number on a shard thread, for the watchdog to name a culprit by. */
    readonly slot = 0,
  ) {
    // Idle groups go quiet: the node's failure detector watches peers instead of every group.
    this.member = createMember({ id, stored, seed, options: { quiesce: true } });
    this.state = initial;
  }

  get pendingCommands(): number {
    return this.waiting?.pending.size ?? 0;
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
    this.proposedVersion = target;
    this.step({ type: 'propose', proposals: [{ id: -1, data: encodeVersion(target) }] });
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
        if (input.to !== this.member.id) {
          // For an earlier incarnation of this member, whose data is gone: not ours to answer.
          this.context.misaddressed(this.group, input.to, this.member.id, input.from);
          return;
        }
        const stale = this.member.staleMessages;
        this.step({ type: 'message', from: input.from, message: input.message });
        this.context.staleMessages += this.member.staleMessages - stale;
        return;
      }
      case 'durable':
        this.step({ type: 'durable', seq: input.seq });
        this.releaseHeld();
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
      case 'incarnation':
        this.replaceStale(input.stale, input.current);
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
    this.requests.pending.set(request, { request, index: 0, term: 0 });
    this.step({ type: 'changeMembers', id: request, change: translated.change });
  }

  /**
   * The member on `current`'s node is a new incarnation and `stale`, in the configuration, is
   * gone with its data: the leader replaces it. Refused while another change is under way; the
   * next message to the stale member brings the news again.
   */
  private replaceStale(stale: NodeId, current: NodeId): void {
    const config = this.member.log.config;
    if (this.member.role !== 'leader' || nodeOf(stale) !== nodeOf(current)) return;
    if (memberOn(config, nodeOf(stale)) !== stale) return;
    this.step({ type: 'changeMembers', id: -1, change: { kind: 'replace', old: stale, node: current } });
  }

  /** The members this one knows on `node`: in its configuration, replicated to, or known down. */
  private membersOn(node: string): NodeId[] {
    const member = this.member;
    const found = new Set(membersOn(member.log.config, node));
    for (const peer of member.progress.keys()) if (nodeOf(peer) === node) found.add(peer);
    for (const peer of member.downPeers) if (nodeOf(peer) === node) found.add(peer);
    found.delete(member.id);
    return [...found];
  }

  private leaderNode(): string | null {
    return this.member.leader === null ? null : nodeOf(this.member.leader);
  }

  private propose(request: number, data: Uint8Array): void {
    if (request >= 0) {
      if (this.requests.pending.size >= maxPendingCommands) {
        this.context.reply(request, {
          kind: 'error',
          code: 'OVERLOADED',
          message: 'too many commands pending',
        });
        return;
      }
      this.requests.pending.set(request, { request, index: 0, term: 0 });
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
      this.answer(request, name, arg);
    } else if (this.member.role !== 'leader') {
      this.context.reply(request, { kind: 'notLeader', leader: this.leaderNode() });
    } else if (consistency === 'leader') {
      this.answer(request, name, arg);
    } else if (this.requests.reads.size >= maxPendingReads) {
      this.context.reply(request, { kind: 'error', code: 'OVERLOADED', message: 'too many reads pending' });
    } else {
      this.requests.reads.set(request, { name, arg });
      this.gatheredReads ??= [];
      this.gatheredReads.push(request);
    }
  }

  private answer(request: number, name: string, arg: unknown): void {
    if (this.versionBlocked !== null) {
      this.context.reply(request, { kind: 'error', code: 'STOPPED', message: this.versionBlocked });
      return;
    }
    let value: unknown;
    try {
      value = this.machine.queries![name]!(this.state, arg);
    } catch (error) {
      this.context.reply(request, { kind: 'error', code: 'MACHINE_ERROR', message: String(error) });
      return;
    }
    const problem = plainDataProblem(value, `the result of query ${name}`);
    if (problem !== null)
      this.context.reply(request, { kind: 'error', code: 'MACHINE_ERROR', message: problem });
    else this.context.reply(request, { kind: 'ok', value: detached(value) });
  }

  private step(input: RaftInput): void {
    const outputs = step(this.member, this.context.now(), input);
    for (const output of outputs) this.perform(output);
  }

  private perform(output: RaftOutput): void {
    switch (output.type) {
      case 'send':
        if (output.sync && this.lastPersistSeq > this.member.durableSeq) {
          this.held ??= [];
          this.held.push({ seq: this.lastPersistSeq, to: output.to, message: output.message });
        } else {
          this.context.send(this.group, this.member.id, output.to, output.message);
        }
        return;
      case 'persist':
        this.lastPersistSeq = output.seq;
        this.context.persist(this.group, output.seq, output.write);
        return;
      case 'apply':
        for (const entry of output.entries) this.apply(entry);
        return;
      case 'restore':
        this.restore(output.snapshot.index, output.snapshot.data);
        return;
      case 'accepted': {
        const pending = this.requests.pending.get(output.id);
        if (pending === undefined) return;
        pending.index = output.index;
        pending.term = output.term;
        this.requests.acceptedAt.set(output.index, output.id);
        return;
      }
      case 'rejected':
        this.rejected(output.id, output.reason, output.leader);
        return;
      case 'readReady':
        for (const id of output.ids) {
          const read = this.requests.reads.get(id);
          this.requests.reads.delete(id);
          if (read !== undefined) this.answer(id, read.name, read.arg);
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
    const known = this.requests.pending.delete(id) || this.requests.transfers.delete(id);
    if (!known) return;
    if (reason === 'notLeader' || reason === 'transferring') {
      this.context.reply(id, { kind: 'notLeader', leader: leader === null ? null : nodeOf(leader) });
    } else if (reason === 'busy') {
      this.context.reply(id, {
        kind: 'error',
        code: 'OVERLOADED',
        message: 'the group is busy (a change is in progress)',
      });
    } else {
      this.context.reply(id, { kind: 'error', code: 'BAD_ARGUMENT', message: `rejected: ${reason}` });
    }
  }

  private roleChanged(role: string, leader: NodeId | null, term: number): void {
    this.context.leaderChanged(this.group, leader === null ? null : nodeOf(leader), term);
    if (role === 'preCandidate' || this.machine.stateEnter === undefined) return;
    let returned: unknown;
    try {
      returned = this.machine.stateEnter(role as MachineRole, this.state);
    } catch (error) {
      this.context.report(this.group, 'MACHINE_ERROR', `stateEnter(${role}) threw: ${String(error)}`);
      return;
    }
    const checked = checkEffects(returned, null, `stateEnter(${role})`);
    if (!checked.ok) this.context.report(this.group, 'MACHINE_ERROR', `${checked.problem}; none of them ran`);
    else if (role === 'leader' && checked.value.length > 0) this.context.effects(this, checked.value);
  }

  private apply(entry: Entry): void {
    const request = this.requests.acceptedAt.get(entry.index);
    let pending: PendingCommand | undefined;
    if (request !== undefined) {
      this.requests.acceptedAt.delete(entry.index);
      pending = this.requests.pending.get(request);
      this.requests.pending.delete(request);
      if (pending !== undefined && pending.term !== entry.term) {
        this.context.reply(request, { kind: 'dropped' });
        pending = undefined;
      }
    }
    if (this.versionBlocked !== null) {
      // A member that cannot apply cannot answer: the entry applies on the others.
      if (pending !== undefined)
        this.context.reply(pending.request, {
          kind: 'error',
          code: 'TIMEOUT',
          message: `the member that took the call cannot apply the log: ${this.versionBlocked}`,
        });
      return;
    }
    if (entry.kind !== 'command') {
      this.appliedIndex = entry.index;
      if (pending !== undefined) this.context.reply(pending.request, { kind: 'ok', value: undefined });
      return;
    }
    const [tag, payload] = decodeEntryData(entry.data);
    if (tag === 2) {
      this.applyVersion(entry, payload as number);
      if (pending !== undefined) this.context.reply(pending.request, { kind: 'ok', value: undefined });
      return;
    }
    this.appliedIndex = entry.index;
    const meta = { index: entry.index, term: entry.term, time: entry.time, version: this.effectiveVersion };
    const from = tag === 0 ? 'apply' : 'system';
    let returned: unknown;
    try {
      returned =
        tag === 0
          ? this.machine.apply(meta, payload, this.state)
          : (this.machine.system?.(meta, payload as SystemEvent, this.state) ?? { state: this.state });
    } catch (error) {
      // The same command throws on every member, so every member keeps the state it had.
      this.machineFailed(pending, tag === 1, String(error));
      return;
    }
    // Checked on every member alike: what fails here fails everywhere, and the state stays.
    const checked = checkApplyResult(returned, entry.index, from);
    if (!checked.ok) {
      this.machineFailed(pending, tag === 1, checked.problem);
      return;
    }
    const result = checked.value;
    this.state = result.state;
    if (pending !== undefined)
      this.context.reply(pending.request, { kind: 'ok', value: detached(result.reply) });
    if (result.effects !== undefined && result.effects.length > 0)
      this.runEffects(entry.term, result.effects);
  }

  /** A command the machine failed: its caller hears why; a system event's failure is reported by the leader. */
  private machineFailed(pending: PendingCommand | undefined, system: boolean, message: string): void {
    if (pending !== undefined)
      this.context.reply(pending.request, { kind: 'error', code: 'MACHINE_ERROR', message });
    else if (system && this.member.role === 'leader')
      this.context.report(this.group, 'MACHINE_ERROR', message);
  }

  /**
   * A leader runs the effects of the entries of its own term only. An entry of an earlier term
   * may have had its effects run by the leader that appended it, before a restart or a change
   * of leader, and nothing on this member can tell: so effects are run at most once, and a
   * machine re-establishes what a new leader needs (monitors, timers) from stateEnter.
   */
  private runEffects(term: number, effects: readonly Effect[]): void {
    const leaderEffects: Effect[] = [];
    for (const effect of effects) {
      // Every member truncates its own log; everything else is the leader's to do, once.
      if (effect.type === 'releaseCursor') {
        if (effect.index <= this.member.applied && effect.index > this.member.log.snapshotIndex)
          this.step({
            type: 'snapshot',
            index: effect.index,
            data: encodeState(this.effectiveVersion, effect.state),
          });
      } else if (this.member.role === 'leader' && term === this.member.term) {
        leaderEffects.push(effect);
      }
    }
    if (leaderEffects.length > 0) this.context.effects(this, leaderEffects);
  }

  /** A snapshot becomes the member's state, at the machine version it was taken under. */
  private restore(index: number, data: Uint8Array): void {
    const { version, state } = decodeState(data);
    if (!enterVersion(this, version, `a snapshot at ${index}`)) {
      this.stopApplying();
      return;
    }
    this.state = state;
    this.appliedIndex = index;
  }

  /**
   * A version entry: from here on the group applies under `version`, on every member alike. The
   * machine's `upgrade`, if it has one, turns the state into the new version's, here, in the log.
   */
  private applyVersion(entry: Entry, version: number): void {
    const from = this.effectiveVersion;
    if (!enterVersion(this, version, `entry ${entry.index}`)) {
      this.stopApplying();
      return;
    }
    this.appliedIndex = entry.index;
    if (version <= from || this.machine.upgrade === undefined) return;
    let upgraded: unknown;
    try {
      upgraded = this.machine.upgrade(from, this.state);
    } catch (error) {
      // The same on every member: the state stays as it was, under the new version.
      this.reportHere(
        `upgrade(${from}) to version ${version} threw, so the state stays as it was: ${String(error)}`,
      );
      return;
    }
    this.state = upgraded;
  }

  /** This member's code is older than its log: it applies nothing more and gives up leading. */
  private stopApplying(): void {
    this.reportHere(`${this.versionBlocked}; it stops applying until its code is upgraded`);
    for (const id of [...(this.waiting?.reads.keys() ?? [])]) {
      this.waiting!.reads.delete(id);
      this.context.reply(id, { kind: 'error', code: 'STOPPED', message: this.versionBlocked! });
    }
  }

  /** Reported by the member it concerns: the one blocked, or for what every member does, the leader. */
  private reportHere(message: string): void {
    if (this.member.role === 'leader' || this.versionBlocked !== null)
      this.context.report(this.group, 'MACHINE_ERROR', message);
  }

  private releaseHeld(): void {
    if (this.held === null) return;
    const durable = this.member.durableSeq;
    const ready = this.held.filter((held) => held.seq <= durable);
    const waiting = this.held.filter((held) => held.seq > durable);
    this.held = waiting.length === 0 ? null : waiting;
    for (const held of ready) this.context.send(this.group, this.member.id, held.to, held.message);
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
    if (waiting === null) return { appended: [], reads: [] };
    return { appended: [...waiting.pending.keys(), ...waiting.transfers], reads: [...waiting.reads.keys()] };
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
