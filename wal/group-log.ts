// What a node needs of its log, whatever holds it: the shared WAL on disk, or the simulator's
// disk, which keeps the WAL's crash semantics (what was not reported durable may be lost).
import type { Write } from '../raft/index.js';
import type { EncodedWritesData } from './encoded-writes.js';
import type { StoredState } from './stored-group.js';

export interface GroupLog {
  /** What the log holds of `group`, or undefined if nothing. */
  load(group: string): StoredState | undefined;
  /**
   * Appends write `seq` of `group`; its durability is reported later (onDurable). False when
   * the log is behind and appenders should hold back.
   */
  write(group: string, seq: number, write: Write): boolean;
  /** Appends writes a shard encoded as records itself, as write() would each (encoded-writes.ts). */
  writeEncoded(writes: EncodedWritesData): boolean;
  /**
   * Records the identity of this node's new member of `group`, before anything else it writes:
   * whatever the log held under the name before is gone from then on, as if deleted.
   */
  setIdentity(group: string, member: string): void;
  /**
   * Removes everything the log holds of `group`; resolves once that is durable, so that a node
   * forgets the group only when a crash can no longer bring its data back under the name.
   */
  deleteGroup(group: string): Promise<void>;
  stats(): WalStats;
  close(): Promise<void>;
}

/** Counters of the log's work, for overview() and the benchmarks. */
export interface WalStats {
  readonly writes: number;
  readonly records: number;
  /** Raft entries written (a record may carry many). */
  readonly entries: number;
  readonly bytes: number;
  readonly syncs: number;
  readonly segmentFlushes: number;
  readonly segmentRecords: number;
  readonly segmentEntries: number;
  /** Time spent in segment flushes, for their throughput. */
  readonly segmentMillis: number;
  readonly walFiles: number;
  readonly backlogBytes: number;
}
