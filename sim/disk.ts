// A node's simulated disk: writes queue up and become durable together when a sync completes
// (group commit); a crash loses every write not yet synced, or, when it tears, keeps a prefix
// of them with the last one cut short, as a real log's torn tail would be after recovery.
import type { Entry, StoredMember, Write } from '../raft/index.js';
import { StoredGroup } from '../wal/stored-group.js';
import type { Prng } from './prng.js';

export type GroupId = string;

interface QueuedWrite {
  readonly group: GroupId;
  readonly seq: number;
  readonly write: Write;
}

export class SimDisk {
  private readonly stored = new Map<GroupId, StoredGroup>();
  private unsynced: QueuedWrite[] = [];
  /** How many of the oldest unsynced writes the running sync covers; 0 when idle. */
  private syncing = 0;
  /** Bumped on a crash so a sync that was running then completes nothing. */
  epoch = 0;

  get idle(): boolean {
    return this.syncing === 0;
  }

  get hasUnsynced(): boolean {
    return this.unsynced.length > 0;
  }

  write(group: GroupId, seq: number, write: Write): void {
    this.unsynced.push({ group, seq, write });
  }

  /** Starts a sync of everything queued so far. */
  startSync(): void {
    this.syncing = this.unsynced.length;
  }

  /** Completes the running sync; returns, per group, the highest write sequence now durable. */
  completeSync(): Map<GroupId, number> {
    const done = this.unsynced.slice(0, this.syncing);
    this.unsynced = this.unsynced.slice(this.syncing);
    this.syncing = 0;
    const reports = new Map<GroupId, number>();
    for (const queued of done) {
      this.apply(queued.group, queued.write);
      reports.set(queued.group, queued.seq);
    }
    return reports;
  }

  /** Loses what was not synced; returns whether the tail was torn (a prefix kept, the last write cut). */
  crash(prng: Prng, tearProbability: number): boolean {
    const lost = this.unsynced;
    this.unsynced = [];
    this.syncing = 0;
    this.epoch += 1;
    if (lost.length === 0 || !prng.chance(tearProbability)) return false;
    const kept = prng.int(lost.length);
    for (let position = 0; position < kept; position += 1)
      this.apply(lost[position]!.group, lost[position]!.write);
    const torn = lost[kept]!;
    if (torn.write.kind === 'entries' && torn.write.entries.length > 1) {
      const survivors = prng.int(torn.write.entries.length);
      this.apply(torn.group, { ...torn.write, entries: torn.write.entries.slice(0, survivors) });
    }
    return true;
  }

  has(group: GroupId): boolean {
    return this.stored.has(group);
  }

  delete(group: GroupId): void {
    this.stored.delete(group);
    this.unsynced = this.unsynced.filter((queued) => queued.group !== group);
    this.syncing = Math.min(this.syncing, this.unsynced.length);
  }

  /** Seeds a group's durable state directly (a founding member's bootstrap). */
  install(group: GroupId, member: StoredMember): void {
    this.stored.set(group, StoredGroup.from(member));
  }

  load(group: GroupId): StoredMember | undefined {
    const stored = this.stored.get(group);
    if (stored === undefined) return undefined;
    return { ...stored.toStored(), entries: [...stored.entries] };
  }

  /** The durable entry at `index`, or whether a durable snapshot covers it. */
  holds(group: GroupId, index: number, entry: Entry | undefined): boolean {
    const stored = this.stored.get(group);
    if (stored === undefined || stored.snapshot === null) return false;
    if (index <= stored.snapshot.index) return true;
    const held = stored.entries[index - stored.snapshot.index - 1];
    return held !== undefined && held === entry;
  }

  durableCommit(group: GroupId): number {
    return this.stored.get(group)?.commit ?? 0;
  }

  private apply(group: GroupId, write: Write): void {
    let stored = this.stored.get(group);
    if (stored === undefined) {
      stored = new StoredGroup();
      this.stored.set(group, stored);
    }
    if (write.kind === 'entries') {
      // The core only ever writes entries right after what it holds, or over part of it.
      const base = stored.snapshot?.index ?? 0;
      if (write.from > stored.lastIndex + 1 || write.from <= base) {
        throw new Error(`entries write at ${write.from} leaves a gap after ${stored.lastIndex}`);
      }
    }
    stored.applyWrite(write);
  }
}
