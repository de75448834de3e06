// A node's simulated disk for the production node: its log (the WAL's interface and crash
// semantics) and its directory of groups. Log writes become durable together when a sync
// completes, which reports them as the WAL does (onDurable); a crash loses what was not synced,
// or keeps a prefix of it, as a torn tail would be after recovery. Reads see writes not yet
// durable, as the WAL's reads see its live file. The directory stands for LMDB: a put is
// durable once it resolves. A wipe is a replaced disk.
import type { Clock } from '../../actors/index.js';
import type { Entry, Write } from '../../raft/index.js';
import { type GroupDirectory, type GroupRecord, MemoryDirectory } from '../../runtime/directory.js';
import type {
  EncodedWritesData,
  GroupLog,
  SharedLogOptions,
  StoredState,
  WalStats,
} from '../../wal/index.js';
import { recordAt } from '../../wal/indexed-file.js';
import { StoredGroup } from '../../wal/stored-group.js';
import { changeOf, type StoredChange } from '../../wal/write-codec.js';
import { sameEntry } from '../invariants.js';
import type { Prng } from '../prng.js';

/** What an encoded write changes: records read back as the WAL's recovery reads them. */
type EncodedChange = Exclude<StoredChange, { kind: 'deleteGroup' }>;

type LogOp =
  | { readonly kind: 'write'; readonly group: string; readonly seq: number; readonly write: Write }
  | {
      readonly kind: 'encoded';
      readonly group: string;
      readonly seq: number;
      readonly changes: readonly EncodedChange[];
    }
  | { readonly kind: 'identity'; readonly group: string; readonly member: string }
  /** `durable` is called once the delete is (never, if a crash loses it). */
  | { readonly kind: 'delete'; readonly group: string; readonly durable: () => void };

export class SimStorage {
  private readonly durable = new Map<string, StoredGroup>();
  private unsynced: LogOp[] = [];
  /**
   * Members whose data deleteGroup erased: what they acknowledged was true when they said it,
   * so the commit check counts them as holding it (a delete racing a commit is not a lost write).
   */
  private readonly erased = new Set<string>();
  readonly records = new Map<string, GroupRecord>();
  /** Writes made durable, and lost to crashes, for coverage. */
  synced = 0;
  lost = 0;

  /** The log of a node process on this disk; `syncMs` draws how long each sync takes. */
  openLog(options: SharedLogOptions, clock: Clock, syncMs: () => number): GroupLog {
    return new SimLog(this, options, clock, syncMs);
  }

  openDirectory(): GroupDirectory {
    return new MemoryDirectory(this.records);
  }

  queue(op: LogOp): void {
    this.unsynced.push(op);
  }

  get pending(): number {
    return this.unsynced.length;
  }

  /** Makes the first `count` queued operations durable; the highest sequence synced per group. */
  sync(count: number): Map<string, number> {
    const done = this.unsynced.slice(0, count);
    this.unsynced = this.unsynced.slice(count);
    const reports = new Map<string, number>();
    for (const op of done) {
      this.apply(op);
      if (op.kind === 'write' || op.kind === 'encoded') reports.set(op.group, op.seq);
      else if (op.kind === 'delete') op.durable();
    }
    this.synced += done.length;
    return reports;
  }

  load(group: string): StoredState | undefined {
    const durable = this.durable.get(group);
    let state: StoredGroup | undefined =
      durable === undefined ? undefined : StoredGroup.from(durable.toStored());
    for (const op of this.unsynced) {
      if (op.group !== group) continue;
      if (op.kind === 'delete') state = undefined;
      else {
        state ??= new StoredGroup();
        if (op.kind === 'write') state.applyWrite(op.write);
        else if (op.kind === 'encoded') for (const change of op.changes) state.apply(change);
        else state.apply({ kind: 'identity', member: op.member });
      }
    }
    if (state === undefined) return undefined;
    const stored = state.toStored();
    return { ...stored, entries: [...stored.entries] };
  }

  /** Whether the durable record of `group`, as member `member`, holds `entry` at `index` (or a snapshot past it). */
  holds(group: string, member: string, index: number, entry: Entry | undefined): boolean {
    const stored = this.durable.get(group);
    if (this.erased.has(`${group}\u0000${member}`)) return true;
    if (stored === undefined || stored.identity !== member || stored.snapshot === null) return false;
    if (index <= stored.snapshot.index) return true;
    return sameEntry(stored.entries[index - stored.snapshot.index - 1], entry);
  }

  /**
   * Whether this disk durably holds a voter of `group` with data: a member founded, or caught up
   * with a snapshot, whose own latest configuration names it a voter (a member that replaced a
   * lost one counts once the leader's change naming it has reached it).
   */
  holdsVoter(group: string): boolean {
    const stored = this.durable.get(group);
    if (stored === undefined || stored.identity === null || stored.snapshot === null) return false;
    let config = stored.snapshot.config;
    for (const entry of stored.entries) if (entry.config !== null) config = entry.config;
    return config.voters.includes(stored.identity);
  }

  /** The commit index durable for `group`'s member `member`, 0 if it holds none. */
  durableCommit(group: string, member: string): number {
    const stored = this.durable.get(group);
    return stored?.identity === member ? stored.commit : 0;
  }

  /** A process crash: what was not synced is lost, or, when it tears, a prefix of it is kept. */
  crash(prng: Prng, tearProbability: number): void {
    const lost = this.unsynced;
    this.unsynced = [];
    let kept = 0;
    if (lost.length > 0 && prng.chance(tearProbability)) kept = prng.int(lost.length);
    for (const op of lost.slice(0, kept)) this.apply(op);
    this.lost += lost.length - kept;
  }

  private apply(op: LogOp): void {
    let stored = this.durable.get(op.group);
    if (op.kind === 'delete') {
      if (stored?.identity != null) this.erased.add(`${op.group}\u0000${stored.identity}`);
      this.durable.delete(op.group);
      return;
    }
    if (stored === undefined) {
      stored = new StoredGroup();
      this.durable.set(op.group, stored);
    }
    if (op.kind === 'write') stored.applyWrite(op.write);
    else if (op.kind === 'encoded') for (const change of op.changes) stored.apply(change);
    else stored.apply({ kind: 'identity', member: op.member });
  }

  /** The disk replaced: nothing of the log or the directory is left. */
  wipe(): void {
    this.durable.clear();
    this.unsynced = [];
    this.records.clear();
  }
}

class SimLog implements GroupLog {
  private syncing = false;
  private closed = false;
  private writes = 0;
  private syncs = 0;

  constructor(
    private readonly storage: SimStorage,
    private readonly options: SharedLogOptions,
    private readonly clock: Clock,
    private readonly syncMs: () => number,
  ) {}

  load(group: string): StoredState | undefined {
    return this.storage.load(group);
  }

  write(group: string, seq: number, write: Write): boolean {
    this.writes += 1;
    this.append({ kind: 'write', group, seq, write });
    return true;
  }

  /** Encoded writes (a worker shard's, in production) read back record by record, as recovery would. */
  writeEncoded(writes: EncodedWritesData): boolean {
    const buffer = Buffer.from(writes.bytes.buffer, writes.bytes.byteOffset, writes.length);
    writes.groups.forEach((group, write) => {
      this.writes += 1;
      const changes: EncodedChange[] = [];
      let offset = writes.starts[write]!;
      for (let record = 0; record < writes.counts[write]!; record += 1) {
        const decoded = recordAt(buffer, offset, 'an encoded write');
        const change = changeOf(decoded);
        if (change.kind !== 'deleteGroup') changes.push(change);
        offset = decoded.end;
      }
      this.append({ kind: 'encoded', group, seq: writes.seqs[write]!, changes });
    });
    return true;
  }

  setIdentity(group: string, member: string): void {
    this.append({ kind: 'identity', group, member });
  }

  deleteGroup(group: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the log is closed'));
    return new Promise((durable) => this.append({ kind: 'delete', group, durable }));
  }

  stats(): WalStats {
    return {
      writes: this.writes,
      records: this.writes,
      entries: this.writes,
      bytes: 0,
      syncs: this.syncs,
      segmentFlushes: 0,
      segmentRecords: 0,
      segmentEntries: 0,
      segmentMillis: 0,
      walFiles: 0,
      backlogBytes: 0,
    };
  }

  /** A clean close, as the WAL's: everything written is synced first (a crash is SimStorage.crash). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.storage.sync(this.storage.pending);
  }

  private append(op: LogOp): void {
    if (this.closed) return;
    this.storage.queue(op);
    this.startSync();
  }

  /** Group commit: one sync at a time covers everything queued when it began. */
  private startSync(): void {
    if (this.syncing) return;
    this.syncing = true;
    const covered = this.storage.pending;
    this.clock.after(this.syncMs(), () => {
      this.syncing = false;
      if (this.closed) return;
      this.syncs += 1;
      const reports = this.storage.sync(covered);
      if (reports.size > 0) this.options.onDurable(reports);
      if (this.storage.pending > 0) this.startSync();
    });
  }
}
