// What nodes say to each other: Raft messages for their groups, calls one node makes on another
// (a client request routed to the leader, a member to create), and the calls' results.
import type { Consistency, Outcome } from '../actors/index.js';
import type { MembershipChange, Message } from '../raft/index.js';
import type { GroupRecord } from './directory.js';

export type RemoteCall =
  | { readonly op: 'createMember'; readonly record: GroupRecord; readonly founding: boolean }
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
  | { readonly op: 'changeMembers'; readonly group: string; readonly change: MembershipChange }
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
  | { readonly kind: 'raft'; readonly group: string; readonly message: Message }
  | { readonly kind: 'call'; readonly id: number; readonly call: RemoteCall }
  | { readonly kind: 'result'; readonly id: number; readonly outcome: Outcome };
