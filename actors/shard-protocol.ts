// What a node and a shard on a worker thread say to each other, in batches of one turn.
import type { MessagePort } from 'node:worker_threads';
import type { Message, StoredMember } from '../raft/index.js';
import type { EncodedWritesData } from '../wal/index.js';
import type { ActorInput, Outcome } from './actor-io.js';
import type { ErrorCode } from './errors.js';
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
  | {
      readonly t: 'send';
      readonly group: string;
      readonly from: string;
      readonly to: string;
      readonly message: Message;
    }
  /** The turn's writes of every group, encoded as WAL records by the shard (its buffer moved, not copied). */
  | { readonly t: 'persisted'; writes: EncodedWritesData | null }
  | { readonly t: 'reply'; readonly request: number; readonly outcome: Outcome }
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
      readonly unknownGroup: number;
    };

/**
 * Raft messages between linked shards, one batch a turn: four slots per message (group, sending
 * member, receiving member, message), flat, so a batch is one array however many it carries.
 */
export type LinkBatch = readonly unknown[];

export interface ShardWorkerData {
  readonly node: string;
  /** One Int32: the slot of the member the worker runs now, 0 for none (see Shard). */
  readonly running: SharedArrayBuffer;
}
