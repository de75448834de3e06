// What a group actor takes in and gives out: its inputs, the outcomes of its callers' requests,
// what it needs of its shard, and what it reports of itself.
import type { Message, NodeId, Options, Write } from '../raft/index.js';
import type { CoreObserver } from './core-host.js';
import type { ErrorCode } from './errors.js';
import type { Effect, Machine, SystemEvent } from './machine.js';
import type { NodeChange } from './member-changes.js';

/** Commands waiting for their entry to apply, per group: past it, callers get OVERLOADED. */
export const maxPendingCommands = 4096;
/** Consistent reads waiting for their read-index round, per group. */
export const maxPendingReads = 4096;

export type Consistency = 'local' | 'leader' | 'consistent';

export type ActorInput =
  /** A Raft message from member `from` (its sender names itself: votes and acknowledgements count by it). */
  | { readonly kind: 'message'; readonly from: NodeId; readonly message: Message }
  | { readonly kind: 'durable'; readonly seq: number }
  | { readonly kind: 'timeout' }
  /** Stand for election now: this member is a new group's preferred leader. */
  | { readonly kind: 'campaign' }
  /** The node failure detector's news of a peer node (or of this group's member there stopping). */
  | { readonly kind: 'peer'; readonly node: string; readonly up: boolean }
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

/**
 * What the simulator sets on a node's members: an observer of every step (its safety checks),
 * core options that expose more interleavings (tiny batches, short timeouts), and the machine
 * code the node process runs (a module's import is cached for the life of the process, so a
 * node restarted on upgraded code loads it under another URL).
 */
export interface ShardWatch {
  readonly observer: CoreObserver;
  readonly options: Partial<Options>;
  loadMachine?(module: string): Promise<Machine>;
  /**
   * Handed, once a node's shards exist, a way to fail one as a dying worker thread would: with
   * `culprit`, the shard of that group, its member taken for the cause; without, shard 0.
   */
  shardsStarted?(fail: (culprit: string | null, reason: string) => void): void;
}

/** What an actor needs from its shard. */
export interface ShardContext {
  readonly node: NodeId;
  /** The simulator's watch over this shard's members; null in production. */
  readonly watch: ShardWatch | null;
  /** Messages of an earlier term the shard's members ignored. */
  staleMessages: number;
  now(): number;
  /** A message from member `from` (this node's) to member `to`, on the node `to` names. */
  send(group: string, from: NodeId, to: NodeId, message: Message): void;
  persist(group: string, seq: number, write: Write): void;
  /** Arms the timer of this actor (of a closed one, nothing). */
  armTimer(actor: { readonly group: string }, at: number | null): void;
  reply(request: number, outcome: Outcome): void;
  /** The group's leader is now on node `leader` (or unknown). */
  leaderChanged(group: string, leader: string | null, term: number): void;
  /** Effects the leader runs: sends, monitors and timers. */
  effects(group: string, effects: readonly Effect[]): void;
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
  /** Whether this member has no data yet (new, or its disk was replaced) and waits for a leader's snapshot. */
  readonly stalled: boolean;
}
