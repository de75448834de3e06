// What a node and a shard on a worker thread say to each other, in batches of one turn.
import type { MessagePort } from 'node:worker_threads';
import type { StoredMember } from '../raft/index.js';
import type { EncodedWritesData } from '../wal/index.js';
import type { ActorInput, Outcome } from './actor-io.js';
import type { ErrorCode } from './errors.js';
import type { InputLaneData } from './input-lane.js';
import type { Effect } from './machine.js';
import type { MemberSpec } from './shard.js';

export type ToShard =
  | {
      readonly t: 'open';
      readonly id: number;
      readonly spec: MemberSpec;
      readonly stored: StoredMember | undefined;
    }
  | { readonly t: 'check'; readonly id: number; readonly module: string; readonly config: unknown }
  | { readonly t: 'in'; readonly group: string; readonly input: ActorInput }
  /** Commands and durable reports, in order, as one lane (input-lane.ts); filled in as the batch is posted. */
  | { readonly t: 'inputs'; inputs: InputLaneData | null }
  /** A peer node's raft batch for this shard's groups, as its shard framed it (raft-batch.ts). */
  | { readonly t: 'framed'; readonly node: string; readonly batch: Uint8Array }
  | { readonly t: 'peer'; readonly node: string; readonly up: boolean }
  /** The port to `node`'s shard of the same index (shard-links.ts): raft messages to it go there. */
  | { readonly t: 'link'; readonly node: string; readonly port: MessagePort }
  | { readonly t: 'close'; readonly id: number; readonly group: string }
  | { readonly t: 'status'; readonly id: number; readonly group: string }
  | { readonly t: 'members'; readonly id: number; readonly group: string }
  /** The watchdog asks whether the thread still turns: any batch back says it does. */
  | { readonly t: 'ping' }
  | { readonly t: 'stop'; readonly id: number };

export type FromShard =
  /** The turn's raft messages to node `to` (one not linked), framed here (its buffer moved). */
  | { readonly t: 'framed'; readonly to: string; readonly batch: Uint8Array; readonly messages: number }
  /** A framed batch from `node` that did not decode: the node closes its connection. */
  | { readonly t: 'refused'; readonly node: string; readonly reason: string }
  /** The turn's writes of every group, encoded as WAL records by the shard (its buffer moved, not copied). */
  | { readonly t: 'persisted'; writes: EncodedWritesData | null }
  | { readonly t: 'reply'; readonly request: number; readonly outcome: Outcome }
  /**
   * Replies in a row, as one message: an `ok` outcome goes as its value alone, any other as
   * itself at the positions `others` lists (ascending). Filled in until anything else is posted.
   */
  | {
      readonly t: 'replies';
      readonly requests: number[];
      readonly values: unknown[];
      readonly others: number[];
    }
  | { readonly t: 'leader'; readonly group: string; readonly leader: string | null; readonly term: number }
  | { readonly t: 'effects'; readonly group: string; readonly effects: readonly Effect[] }
  | { readonly t: 'report'; readonly group: string; readonly code: ErrorCode; readonly message: string }
  | { readonly t: 'failed'; readonly group: string; readonly reason: string }
  | { readonly t: 'removed'; readonly group: string }
  | {
      readonly t: 'answer';
      readonly id: number;
      readonly value?: unknown;
      readonly error?: { readonly code: ErrorCode; readonly message: string };
    }
  | {
      readonly t: 'stats';
      readonly timersArmed: number;
      readonly leaders: number;
      readonly staleMessages: number;
      /** Raft messages sent over links to peer shards, and those received there for no member here. */
      readonly linkedMessages: number;
      /** Raft messages this shard framed for nodes it is not linked to. */
      readonly framedMessages: number;
      readonly unknownGroup: number;
    };

export interface ShardWorkerData {
  readonly node: string;
  /** This shard's index among its node's `shards`: named in the batches it frames. */
  readonly index: number;
  readonly shards: number;
  /** One Int32: the slot of the member the worker runs now, 0 for none (see Shard). */
  readonly running: SharedArrayBuffer;
}
