// The data the core consumes and produces: entries, configurations, snapshots, peer messages,
// step inputs and step outputs. Everything here is plain data so a host can encode it as is.

export type NodeId = string;

export type EntryKind = 'command' | 'noop' | 'config';

/** Who votes and who only follows. `promote` lists non-voters to make voters once caught up. */
export interface Config {
  readonly voters: readonly NodeId[];
  readonly nonVoters: readonly NodeId[];
  readonly promote: readonly NodeId[];
}

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
  /** Set for config entries, null otherwise. */
  readonly config: Config | null;
  /** Leader's clock when it appended the entry; machines see it as `meta.time`. */
  readonly time: number;
}

export interface Snapshot {
  readonly index: number;
  readonly term: number;
  readonly config: Config;
  readonly data: Uint8Array;
}

/** A snapshot being received chunk by chunk; persisted so a restart resumes it. */
export interface PartialSnapshot {
  readonly index: number;
  readonly term: number;
  readonly config: Config;
  readonly size: number;
  readonly chunks: readonly Uint8Array[];
  readonly received: number;
}

export type Message =
  | {
      readonly type: 'append';
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
      /**
       * Whether a successful append with no entries is answered: only a probe needs one. An
       * empty append that only carries the commit index goes unanswered, which halves the
       * messages of a group committing one command at a time.
       */
      readonly probe: boolean;
    }
  | {
      readonly type: 'appendResponse';
      readonly term: number;
      readonly success: boolean;
      /** Highest index the sender holds durably and knows to match the leader. */
      readonly match: number;
      /** On rejection: the prevIndex that did not match, and the sender's hint of where to retry. */
      readonly rejectIndex: number;
      readonly hintIndex: number;
      readonly stalled: boolean;
      /** The sender's host version (see the `hostStatus` input), when it has one to report. */
      readonly version?: number;
    }
  | { readonly type: 'heartbeat'; readonly term: number; readonly commit: number; readonly seq: number }
  | {
      readonly type: 'heartbeatResponse';
      readonly term: number;
      readonly seq: number;
      readonly match: number;
      readonly version?: number;
    }
  | {
      readonly type: 'vote';
      readonly term: number;
      readonly lastIndex: number;
      readonly lastTerm: number;
      readonly pre: boolean;
      readonly transfer: boolean;
    }
  | { readonly type: 'voteResponse'; readonly term: number; readonly granted: boolean; readonly pre: boolean }
  | {
      readonly type: 'snapshot';
      readonly term: number;
      readonly index: number;
      readonly snapshotTerm: number;
      readonly config: Config;
      readonly size: number;
      readonly offset: number;
      readonly chunk: Uint8Array;
    }
  | {
      readonly type: 'snapshotResponse';
      readonly term: number;
      readonly index: number;
      /** Bytes of this snapshot held durably; equals the size once installed. */
      readonly received: number;
      readonly installed: boolean;
    }
  | { readonly type: 'timeoutNow'; readonly term: number }
  /** With `quiesce`: the sender led this term and no longer does, so its quiet followers must not wait on it. */
  | { readonly type: 'leaderGone'; readonly term: number }
  /**
   * From a leader: `member` is not in its committed configuration (at `configIndex`). The
   * receiver, if it is that member and its own latest configuration is no later, is out of the
   * group. It names the member because a host may deliver it to another incarnation on its node.
   */
  | {
      readonly type: 'removed';
      readonly term: number;
      readonly configIndex: number;
      readonly member: NodeId;
    };

export type MembershipChange =
  | { readonly kind: 'add'; readonly node: NodeId; readonly voter: boolean }
  | { readonly kind: 'remove'; readonly node: NodeId }
  /**
   * `old` leaves and `node` joins as a non-voter, promoted once caught up if `old` voted: one
   * voter fewer, so still a single-server change. For a member whose data is gone coming back
   * under a new identity: the old one's votes and acknowledgements stop counting at once.
   */
  | { readonly kind: 'replace'; readonly old: NodeId; readonly node: NodeId };

export interface Proposal {
  readonly id: number;
  readonly data: Uint8Array;
}

export type Input =
  | { readonly type: 'start' }
  | { readonly type: 'timeout' }
  /** The host asks this member to stand for election now, as a new group's preferred leader. */
  | { readonly type: 'campaign' }
  | { readonly type: 'message'; readonly from: NodeId; readonly message: Message }
  | { readonly type: 'propose'; readonly proposals: readonly Proposal[] }
  | { readonly type: 'read'; readonly ids: readonly number[] }
  | { readonly type: 'changeMembers'; readonly id: number; readonly change: MembershipChange }
  | { readonly type: 'transfer'; readonly id: number; readonly target: NodeId }
  | { readonly type: 'durable'; readonly seq: number }
  /** From the host's failure detector (used with `quiesce`): a peer was lost, or is back. */
  | { readonly type: 'peerDown'; readonly node: NodeId }
  | { readonly type: 'peerUp'; readonly node: NodeId }
  | { readonly type: 'snapshot'; readonly index: number; readonly data: Uint8Array }
  /**
   * What the host says of itself. `version`, when above 0, goes to the leader in this member's
   * responses (a leader's host learns from it what its followers' hosts can do: the versions of
   * their state machine code). `eligible` false keeps this member from leading: it stops
   * campaigning, and a leader steps down (a host whose machine cannot apply the log).
   */
  | { readonly type: 'hostStatus'; readonly version: number; readonly eligible: boolean };

export type Write =
  /** A term or vote change, with the commit index known then: commits alone are not written. */
  | { readonly kind: 'state'; readonly term: number; readonly vote: NodeId | null; readonly commit: number }
  /** Entries from `from` on; anything stored at or after `from` is replaced (a truncation when `from` is not the next index). */
  | { readonly kind: 'entries'; readonly from: number; readonly entries: readonly Entry[] }
  /** Replaces the stored entries up to the snapshot's index; later ones stay only with `keepLaterEntries`. */
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot; readonly keepLaterEntries: boolean }
  | {
      readonly kind: 'chunk';
      readonly index: number;
      readonly term: number;
      readonly config: Config;
      readonly size: number;
      readonly offset: number;
      readonly data: Uint8Array;
    };

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** `noQuorum`: the change would remove a live voter and leave no quorum of voters that answer. */
export type RejectReason = 'notLeader' | 'transferring' | 'busy' | 'badArgument' | 'noQuorum';

export type Output =
  /** `sync`: hold the message until every write this member emitted before it is durable. */
  | { readonly type: 'send'; readonly to: NodeId; readonly message: Message; readonly sync: boolean }
  | { readonly type: 'persist'; readonly seq: number; readonly write: Write }
  | { readonly type: 'apply'; readonly entries: readonly Entry[] }
  | { readonly type: 'restore'; readonly snapshot: Snapshot }
  /** A proposal or membership change was appended at (index, term); the host replies when that entry applies. */
  | { readonly type: 'accepted'; readonly id: number; readonly index: number; readonly term: number }
  | {
      readonly type: 'rejected';
      readonly id: number;
      readonly reason: RejectReason;
      readonly leader: NodeId | null;
    }
  /** Reads may be served once the machine has applied `index`. */
  | { readonly type: 'readReady'; readonly ids: readonly number[]; readonly index: number }
  | { readonly type: 'readRejected'; readonly ids: readonly number[]; readonly leader: NodeId | null }
  | { readonly type: 'transferred'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'timer'; readonly at: number | null }
  | { readonly type: 'role'; readonly role: Role; readonly term: number; readonly leader: NodeId | null }
  /** This member learned it is not in the group's committed configuration: the host may delete it. */
  | { readonly type: 'removed' };

/** What a host recovered from its disk for one member. */
export interface StoredMember {
  readonly term: number;
  readonly vote: NodeId | null;
  /** A commit index known when term or vote was last written: a restart re-applies up to here. */
  readonly commit: number;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly partial: PartialSnapshot | null;
}
