// Writes of many groups encoded into one buffer as the WAL's records, ready for its batch: a shard
// on a worker thread encodes its turn's writes here and hands the node the bytes (the buffer is
// moved, not copied), so no write crosses a thread as objects and the node's thread only copies
// them into its batch (SharedLog.writeEncoded).
import type { Write } from '../raft/index.js';
import { grownBuffer } from './grown-buffer.js';
import { planWrite } from './write-codec.js';

/** What crosses to the node: write `i` is `seqs[i]` of `groups[i]`, bytes [starts[i], starts[i + 1]). */
export interface EncodedWritesData {
  readonly bytes: Uint8Array;
  /** Bytes used: the last write ends here. */
  readonly length: number;
  readonly groups: readonly string[];
  /** Sequences as the shard numbered them; the node may renumber them before the log sees them. */
  readonly seqs: number[];
  readonly starts: readonly number[];
  readonly counts: readonly number[];
  readonly entries: readonly number[];
}

/** A turn's buffer starts at this size, and doubles as needed. */
const initialBytes = 64 * 1024;

export class EncodedWrites {
  private bytes: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  private length = 0;
  private groups: string[] = [];
  private seqs: number[] = [];
  private starts: number[] = [];
  private counts: number[] = [];
  private entries: number[] = [];

  get size(): number {
    return this.groups.length;
  }

  add(group: string, seq: number, write: Write): void {
    const plan = planWrite(group, write);
    this.reserve(plan.bytes);
    this.groups.push(group);
    this.seqs.push(seq);
    this.starts.push(this.length);
    this.counts.push(plan.records);
    this.entries.push(plan.entries);
    this.length = plan.encode(this.bytes, this.length);
  }

  /** The writes so far, handed over with their buffer (to be moved to the node); starts afresh. */
  take(): EncodedWritesData {
    const taken: EncodedWritesData = {
      bytes: this.bytes,
      length: this.length,
      groups: this.groups,
      seqs: this.seqs,
      starts: this.starts,
      counts: this.counts,
      entries: this.entries,
    };
    // A fresh buffer of its own each turn: the one handed over goes to another thread.
    this.bytes = Buffer.allocUnsafeSlow(Math.max(initialBytes, this.length));
    this.length = 0;
    this.groups = [];
    this.seqs = [];
    this.starts = [];
    this.counts = [];
    this.entries = [];
    return taken;
  }

  private reserve(more: number): void {
    // A buffer of its own, not a slice of the pool: it is moved to the node's thread whole.
    this.bytes = grownBuffer(this.bytes, this.length, more, Buffer.allocUnsafeSlow);
  }
}
