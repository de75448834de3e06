// A member's log: the snapshot it stands on plus the entries after it, and the configuration
// in force (the latest config entry, committed or not, as single-server changes require).
import { invariant } from './assert.js';
import type { Config, Entry, Snapshot } from './types.js';

export const emptyConfig: Config = { voters: [], nonVoters: [], promote: [] };
/** The payload of no-op and config entries: one shared empty array rather than one each. */
export const noData: Uint8Array = new Uint8Array(0);

export class RaftLog {
  /** Null while stalled: a member that has no data yet (fresh or wiped disk). */
  snapshot: Snapshot | null;
  entries: Entry[];
  config: Config;
  configIndex: number;

  constructor(snapshot: Snapshot | null, entries: readonly Entry[]) {
    this.snapshot = snapshot;
    this.entries = [];
    this.config = emptyConfig;
    this.configIndex = 0;
    if (snapshot !== null) {
      let expected = snapshot.index + 1;
      for (const entry of entries) {
        if (entry.index <= snapshot.index) continue;
        invariant(entry.index === expected, `stored log has a gap at ${expected}`);
        this.entries.push(entry);
        expected += 1;
      }
    }
    this.refreshConfig();
  }

  get snapshotIndex(): number {
    return this.snapshot === null ? 0 : this.snapshot.index;
  }

  get snapshotTerm(): number {
    return this.snapshot === null ? 0 : this.snapshot.term;
  }

  get firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  get lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.snapshotTerm : last.term;
  }

  /** The term at `index`, or -1 when the log does not hold it (compacted away or beyond the end). */
  termAt(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    const entry = this.entries[index - this.firstIndex];
    return entry === undefined ? -1 : entry.term;
  }

  entryAt(index: number): Entry | undefined {
    return this.entries[index - this.firstIndex];
  }

  /** Entries from `from` on, at most `maxEntries` and about `maxBytes` (always at least one). */
  slice(from: number, maxEntries: number, maxBytes: number): Entry[] {
    const start = from - this.firstIndex;
    invariant(start >= 0, `slice from ${from} below first index ${this.firstIndex}`);
    let end = start;
    let bytes = 0;
    while (end < this.entries.length && end - start < maxEntries) {
      const size = this.entries[end]!.data.byteLength;
      if (end > start && bytes + size > maxBytes) break;
      bytes += size;
      end += 1;
    }
    return this.entries.slice(start, end);
  }

  /** Entries from `from` up to `to` inclusive. */
  range(from: number, to: number): Entry[] {
    return this.entries.slice(from - this.firstIndex, to - this.firstIndex + 1);
  }

  append(entry: Entry): void {
    invariant(entry.index === this.lastIndex + 1, `append at ${entry.index} after ${this.lastIndex}`);
    this.entries.push(entry);
    if (entry.config !== null) {
      this.config = entry.config;
      this.configIndex = entry.index;
    }
  }

  /** Drops every entry at or after `index`. */
  truncateFrom(index: number): void {
    invariant(index > this.snapshotIndex, `truncation at ${index} into the snapshot`);
    this.entries.length = Math.max(0, index - this.firstIndex);
    if (this.configIndex >= index) this.refreshConfig();
  }

  /** Replaces the entries up to the new snapshot's index by the snapshot; later entries stay. */
  compact(snapshot: Snapshot): void {
    invariant(snapshot.index >= this.snapshotIndex, 'snapshot older than the log base');
    invariant(snapshot.index <= this.lastIndex, 'snapshot beyond the log');
    this.entries = this.entries.slice(snapshot.index - this.snapshotIndex);
    this.snapshot = snapshot;
    this.refreshConfig();
  }

  /** A snapshot received from the leader replaces the whole log. */
  install(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = [];
    this.refreshConfig();
  }

  /** The configuration in force at `index` (for a snapshot taken there). */
  configAt(index: number): Config {
    for (let position = Math.min(index, this.lastIndex) - this.firstIndex; position >= 0; position -= 1) {
      const config = this.entries[position]!.config;
      if (config !== null) return config;
    }
    return this.snapshot === null ? emptyConfig : this.snapshot.config;
  }

  /** Raft's election restriction: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  private refreshConfig(): void {
    for (let position = this.entries.length - 1; position >= 0; position -= 1) {
      const entry = this.entries[position]!;
      if (entry.config !== null) {
        this.config = entry.config;
        this.configIndex = entry.index;
        return;
      }
    }
    this.config = this.snapshot === null ? emptyConfig : this.snapshot.config;
    this.configIndex = this.snapshotIndex;
  }
}
