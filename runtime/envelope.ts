// What nodes say to each other: Raft messages for their groups, calls one node makes on another
// (a client request routed to the leader, a member to create), and the calls' results.
import { type Consistency, decodeRaftBatch, type NodeChange, type Outcome } from '../actors/index.js';
import type { Message } from '../raft/index.js';
import type { Founding, GroupRecord } from './directory.js';

export type RemoteCall =
  /**
   * Whether this node holds the group (and its member's identity), or, if not, that its machine
   * loads and starts here and the identity a new member would have. Nothing is written.
   */
  | { readonly op: 'prepareMember'; readonly record: GroupRecord }
  /**
   * Creates the member `member` (the identity prepareMember offered): as a founder of a new group
   * whose founding voters are `founders`, or, with null, as an empty member that waits for the
   * leader's snapshot. A node that holds the group already leaves it as it is.
   */
  | {
      readonly op: 'createMember';
      readonly record: GroupRecord;
      readonly founders: readonly string[] | null;
      readonly member: string;
      /** For founders: the machine version the group starts at. */
      readonly version: number;
    }
  | { readonly op: 'deleteMember'; readonly group: string }
  /** Every member exists: the preferred leader may stand now rather than after a timeout. */
  | { readonly op: 'campaign'; readonly group: string }
  /** The command as the entry will hold it, encoded when the caller made the call. */
  | { readonly op: 'command'; readonly group: string; readonly data: Uint8Array }
  | {
      readonly op: 'query';
      readonly group: string;
      readonly name: string;
      readonly arg: unknown;
      readonly consistency: Consistency;
    }
  | { readonly op: 'changeMembers'; readonly group: string; readonly change: NodeChange }
  | { readonly op: 'transfer'; readonly group: string; readonly target: string }
  | { readonly op: 'members'; readonly group: string }
  /** What this node's directory says of a group, for a node with no member of it. */
  | { readonly op: 'record'; readonly group: string }
  | { readonly op: 'mailbox'; readonly mailbox: string; readonly message: unknown }
  | { readonly op: 'mailboxGone'; readonly mailbox: string }
  /** The sender's member of `group` stopped (or started again): its peers stop waiting on it. */
  | { readonly op: 'memberChanged'; readonly group: string; readonly up: boolean }
  /** From a client: this node's overview, or its member's status. */
  | { readonly op: 'overview' }
  | { readonly op: 'status'; readonly group: string };

export type Envelope =
  /**
   * A Raft message of `group` from member `from` to this node's member. The sender names itself:
   * a vote or an acknowledgement counts for that identity only, never for another incarnation.
   */
  | { readonly kind: 'raft'; readonly group: string; readonly from: string; readonly message: Message }
  | { readonly kind: 'call'; readonly id: number; readonly call: RemoteCall }
  | { readonly kind: 'result'; readonly id: number; readonly outcome: Outcome };

/** What prepareMember answers. */
export interface Prepared {
  /** Whether this node holds the group already (its member has data, or waits for it). */
  readonly holds: boolean;
  /** That member's identity, or the one a new member here would have. */
  readonly member: string;
  /** For a node that does not hold the group: the machine version its code supports. */
  readonly version: number;
  /** For a node whose member was created a founder: who the founders are. */
  readonly founding?: Founding;
  /**
   * For a node that holds the group: its member's term (the stored one, if it is not running).
   * A member at term 0 never voted and never heard from a leader.
   */
  readonly term?: number;
  /** For a node that holds the group: whether its member has no data yet (it waits for a snapshot). */
  readonly empty?: boolean;
}

/**
 * The messages of a raft batch (actors/raft-batch.ts) as the envelopes they stand for: for a
 * node that cannot hand the batch to a shard as it came. Throws WireError on a batch that does
 * not read.
 */
export function raftEnvelopes(batch: Uint8Array): Envelope[] {
  const flat = decodeRaftBatch(batch);
  const envelopes: Envelope[] = [];
  for (let at = 0; at < flat.length; at += 3)
    envelopes.push({
      kind: 'raft',
      group: flat[at] as string,
      from: flat[at + 1] as string,
      message: flat[at + 2] as Message,
    });
  return envelopes;
}
