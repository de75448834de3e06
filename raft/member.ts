// One group member as a value: its durable state (term, vote, log), its role and everything a
// role keeps, and the outputs collected while a step runs. Only step() changes it.
import { InvariantError, invariant } from './assert.js';
import { RaftLog } from './log.js';
import { type Options, resolveOptions } from './options.js';
import type { Progress } from './progress.js';
import { isVoter } from './quorum.js';
import type {
  Config,
  Message,
  NodeId,
  Output,
  PartialSnapshot,
  Role,
  Snapshot,
  StoredMember,
  Write,
} from './types.js';

/**
 * Empty collections shared by every member that is not using its own (followers have no
 * progress to track, most members no votes to count): an idle member then holds none. Changing
 * one is a bug, so they refuse.
 */
class SharedEmptyMap<K, V> extends Map<K, V> {
  override set(): this {
    throw new InvariantError('a shared empty map was changed');
  }
}

class SharedEmptySet<T> extends Set<T> {
  override add(): this {
    throw new InvariantError('a shared empty set was changed');
  }
}

export const noVotes: Map<NodeId, boolean> = new SharedEmptyMap();
export const noProgress: Map<NodeId, Progress> = new SharedEmptyMap();
export const noPeers: Set<NodeId> = new SharedEmptySet();
// Frozen, so a push where a fresh array was due fails loudly instead of sharing state.
export const noRounds: ReadRound[] = Object.freeze([]) as unknown as ReadRound[];
export const noReads: number[] = Object.freeze([]) as unknown as number[];
export const noOutputs: Output[] = Object.freeze([]) as unknown as Output[];

/** A read-index round: served once a quorum echoed `seq`, at the commit index it started with. */
export interface ReadRound {
  readonly seq: number;
  readonly index: number;
  readonly ids: readonly number[];
}

export interface Transfer {
  readonly id: number;
  readonly target: NodeId;
  readonly deadline: number;
  timeoutNowSent: boolean;
}

/** An entries write not yet reported durable: the log's last index once it lands. */
interface PendingWrite {
  readonly seq: number;
  lastIndex: number;
}

export class Member {
  readonly id: NodeId;
  readonly options: Options;
  term: number;
  vote: NodeId | null;
  commit: number;
  /** Entries up to here have been handed to the host as `apply` outputs. */
  applied: number;
  readonly log: RaftLog;
  partial: PartialSnapshot | null;
  role: Role = 'follower';
  leader: NodeId | null = null;
  now = 0;
  randomState: number;

  // Durability: every persist output carries a sequence number the host echoes back.
  writeSeq = 0;
  durableSeq = 0;
  /** Sequence of the last write that changed term or vote: messages wait for it. */
  termVoteSeq = 0;
  durableIndex: number;
  pendingWrites: PendingWrite[] = [];

  // Follower.
  /** Highest index known to match the current leader's log. */
  matched = 0;
  /** Match last reported to the leader, so each durable report acks once. */
  ackSent = 0;
  leaderContactAt = Number.NEGATIVE_INFINITY;
  electionDeadline = 0;

  // Candidates.
  /** Only while campaigning; otherwise the shared empty map. */
  votes: Map<NodeId, boolean> = noVotes;

  // Leader.
  /** Only while leading; otherwise the shared empty map. */
  progress: Map<NodeId, Progress> = noProgress;
  termStartIndex = 0;
  heartbeatDeadline = 0;
  checkQuorumDeadline = 0;
  heartbeatSeq = 0;
  /** Messages of an earlier term: answered with this term, otherwise ignored; counted for the host. */
  staleMessages = 0;
  readRounds: ReadRound[] = noRounds;
  readsAwaitingCommit: number[] = noReads;
  transfer: Transfer | null = null;

  timerArmedAt: number | null = null;
  /** Peers the host's failure detector reports lost (with `quiesce`). */
  downPeers: Set<NodeId> = noPeers;
  /** Whether the last step left this member quiet: nothing timed to do, nothing to send. */
  quiet = false;
  /** Set once this member learned it is out of the group (a `removed` output told the host). */
  removed = false;
  /** What the host last said of itself (the `hostStatus` input). */
  hostVersion = 0;
  eligible = true;
  /** Filled during a step, handed back by it; between steps the shared frozen empty list. */
  outputs: Output[] = noOutputs;

  constructor(id: NodeId, options: Options, stored: StoredMember, seed: number) {
    this.id = id;
    this.options = options;
    this.term = stored.term;
    this.vote = stored.vote;
    this.log = new RaftLog(stored.snapshot, stored.entries);
    this.commit = Math.max(stored.commit, this.log.snapshotIndex);
    invariant(
      this.commit <= this.log.lastIndex,
      `stored commit ${this.commit} beyond log ${this.log.lastIndex}`,
    );
    this.applied = this.log.snapshotIndex;
    this.durableIndex = this.log.lastIndex;
    this.partial = stored.partial;
    // xorshift32 must not start at zero.
    this.randomState = seed >>> 0 || 0x9e3779b9;
  }

  get stalled(): boolean {
    return this.log.snapshot === null;
  }

  get termVoteDurable(): boolean {
    return this.durableSeq >= this.termVoteSeq;
  }

  random(): number {
    let x = this.randomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.randomState = x >>> 0;
    return this.randomState / 0x100000000;
  }

  send(to: NodeId, message: Message, sync = false): void {
    this.outputs.push({ type: 'send', to, message, sync: sync || !this.termVoteDurable });
  }

  persist(write: Write): void {
    this.writeSeq += 1;
    this.outputs.push({ type: 'persist', seq: this.writeSeq, write });
  }

  /** Persists the log's new tail; `from` below the old end is a truncation. */
  persistEntries(from: number): void {
    const entries = from <= this.log.lastIndex ? this.log.range(from, this.log.lastIndex) : [];
    this.persist({ kind: 'entries', from, entries });
    this.pendingWrites.push({ seq: this.writeSeq, lastIndex: this.log.lastIndex });
  }

  persistSnapshotInstall(snapshot: Snapshot): void {
    this.persist({ kind: 'snapshot', snapshot, keepLaterEntries: false });
    this.pendingWrites.push({ seq: this.writeSeq, lastIndex: snapshot.index });
  }

  /** After the log lost its tail at `from`, nothing at or past it can be reported durable by older writes. */
  forgetFrom(from: number): void {
    this.durableIndex = Math.min(this.durableIndex, from - 1);
    for (const pending of this.pendingWrites) pending.lastIndex = Math.min(pending.lastIndex, from - 1);
  }

  /** Persists a new term or vote; messages that depend on it wait until it is durable. */
  persistTermAndVote(): void {
    this.persist({ kind: 'state', term: this.term, vote: this.vote, commit: this.commit });
    this.termVoteSeq = this.writeSeq;
  }

  /** Handles a durable report; returns whether the durable log index moved. */
  markDurable(seq: number): boolean {
    if (seq <= this.durableSeq) return false;
    invariant(seq <= this.writeSeq, `durable report ${seq} for a write never made (${this.writeSeq})`);
    this.durableSeq = seq;
    let moved = false;
    while (this.pendingWrites.length > 0 && this.pendingWrites[0]!.seq <= seq) {
      const lastIndex = this.pendingWrites.shift()!.lastIndex;
      // An emptied array keeps its storage; an idle member should not.
      if (this.pendingWrites.length === 0) this.pendingWrites = [];
      if (lastIndex > this.durableIndex) {
        this.durableIndex = lastIndex;
        moved = true;
      }
    }
    return moved;
  }

  /**
   * A busy leader's heartbeat period. Quiescent groups have the failure detector for liveness and
   * check-quorum, so their heartbeats only retransmit what was lost: a much slower beat will do,
   * and thousands of busy groups then do not flood the node with heartbeats.
   */
  get heartbeatPeriod(): number {
    return this.options.quiesce ? this.options.electionTimeout : this.options.heartbeatInterval;
  }

  /** When the leader next checks it heard from a quorum; quiescent groups leave that to peerDown. */
  nextQuorumCheck(): number {
    return this.options.quiesce ? Number.POSITIVE_INFINITY : this.now + this.options.electionTimeout;
  }

  resetElectionDeadline(): void {
    const base = this.options.electionTimeout;
    this.electionDeadline = this.now + base + Math.floor(this.random() * base);
  }

  /** The earliest moment this member needs to be woken, or null when it has nothing timed to do. */
  nextDeadline(): number | null {
    if (this.quiet) return null;
    if (this.role === 'leader') {
      let at = Math.min(this.heartbeatDeadline, this.checkQuorumDeadline);
      if (this.transfer !== null) at = Math.min(at, this.transfer.deadline);
      return at;
    }
    if (canCampaign(this)) return this.electionDeadline;
    // Quiescent: a member that led and cannot campaign keeps repeating that it stepped down.
    return this.options.quiesce && this.leader === null && this.vote === this.id
      ? this.electionDeadline
      : null;
  }
}

export interface MemberInit {
  readonly id: NodeId;
  readonly stored: StoredMember;
  /** Seeds the member's election-timeout jitter; the host supplies it so the core stays deterministic. */
  readonly seed: number;
  readonly options?: Partial<Options>;
}

export function createMember(init: MemberInit): Member {
  return new Member(init.id, resolveOptions(init.options), init.stored, init.seed);
}

/** What a member with no disk state looks like: stalled until a leader sends it a snapshot. */
export const emptyStoredMember: StoredMember = {
  term: 0,
  vote: null,
  commit: 0,
  snapshot: null,
  entries: [],
  partial: null,
};

/** The stored state of a group's founding member: a snapshot at index 0 holding the initial configuration. */
export function bootstrapStoredMember(config: Config, data: Uint8Array): StoredMember {
  return { ...emptyStoredMember, snapshot: { index: 0, term: 0, config, data } };
}

/**
 * A voter of the latest configuration may campaign, and so may a voter of the committed one: a
 * member whose log ends in an uncommitted change removing it may be the only one holding that
 * log, and must be able to lead long enough to commit it or the group cannot elect anyone.
 */
export function canCampaign(member: Member): boolean {
  if (member.stalled || member.removed || !member.eligible) return false;
  const log = member.log;
  return (
    isVoter(log.config, member.id) ||
    (log.configIndex > member.commit && isVoter(log.configAt(member.commit), member.id))
  );
}
