// A group's stored state as plain data, built up change by change: recovery and reads that overlay
// the changes still waiting in WAL files on what LMDB holds use it.
import type { Entry, NodeId, PartialSnapshot, Snapshot, StoredMember, Write } from '../raft/index.js';
import type { StoredChange } from './write-codec.js';

/** What the log holds of one group's member: the core's stored state and the member's identity. */
export interface StoredState extends StoredMember {
  readonly identity: string | null;
}

export class StoredGroup {
  term = 0;
  vote: NodeId | null = null;
  commit = 0;
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  partial: PartialSnapshot | null = null;
  /** The member's identity, once recorded; null for a member stored before identities were. */
  identity: string | null = null;

  static from(stored: StoredMember | StoredState): StoredGroup {
    const group = new StoredGroup();
    group.term = stored.term;
    group.vote = stored.vote;
    group.commit = stored.commit;
    group.snapshot = stored.snapshot;
    group.entries = [...stored.entries];
    group.partial = stored.partial;
    group.identity = 'identity' in stored ? stored.identity : null;
    return group;
  }

  get lastIndex(): number {
    const last = this.entries[this.entries.length - 1];
    return last?.index ?? this.snapshot?.index ?? 0;
  }

  apply(change: Exclude<StoredChange, { kind: 'deleteGroup' }>): void {
    switch (change.kind) {
      case 'state':
        this.term = change.term;
        this.vote = change.vote;
        this.commit = change.commit;
        return;
      case 'truncate':
        this.dropFrom(change.from);
        return;
      case 'entry':
        this.dropFrom(change.entry.index);
        this.entries.push(change.entry);
        return;
      case 'run': {
        const first = change.entries[0];
        if (first === undefined) return;
        this.dropFrom(first.index);
        for (const entry of change.entries) this.entries.push(entry);
        return;
      }
      case 'snapshot': {
        const { snapshot } = change;
        this.entries = change.keepLaterEntries
          ? this.entries.filter((entry) => entry.index > snapshot.index)
          : [];
        this.snapshot = snapshot;
        this.partial = null;
        return;
      }
      case 'chunk':
        this.applyChunk(change);
        return;
      case 'identity':
        // A new member begins here: nothing stored under the group's name before it is its own
        // (a delete that never became durable leaves the old group's data behind).
        this.term = 0;
        this.vote = null;
        this.commit = 0;
        this.snapshot = null;
        this.entries = [];
        this.partial = null;
        this.identity = change.member;
        return;
      default: {
        const exhausted: never = change;
        throw new Error(`unknown change ${JSON.stringify(exhausted)}`);
      }
    }
  }

  /** The same, for a write not yet encoded: what a read sees of writes still in WAL files. */
  applyWrite(write: Write): void {
    if (write.kind !== 'entries') {
      this.apply(write);
      return;
    }
    this.dropFrom(write.from);
    this.entries.push(...write.entries);
  }

  private dropFrom(index: number): void {
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1]!.index >= index) keep -= 1;
    this.entries.length = keep;
  }

  private applyChunk(change: Extract<StoredChange, { kind: 'chunk' }>): void {
    const { index, term, config, size, offset, data } = change;
    if (offset === 0) {
      this.partial = { index, term, config, size, chunks: [data], received: data.byteLength };
      return;
    }
    const partial = this.partial;
    if (partial === null || partial.index !== index || partial.term !== term || partial.received !== offset)
      return;
    this.partial = {
      ...partial,
      chunks: [...partial.chunks, data],
      received: partial.received + data.byteLength,
    };
  }

  toStored(): StoredState {
    // Entries the snapshot covers are not part of the log, as LMDB reads leave them out too.
    const base = this.snapshot?.index ?? 0;
    if (this.entries.length > 0 && this.entries[0]!.index <= base) {
      this.entries = this.entries.filter((entry) => entry.index > base);
    }
    return {
      term: this.term,
      vote: this.vote,
      commit: this.commit,
      snapshot: this.snapshot,
      entries: this.entries,
      partial: this.partial,
      identity: this.identity,
    };
  }
}
