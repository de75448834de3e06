// One write-ahead log per node, shared by every group on it: writes from all groups go through
// one group commit; WAL files roll over and segment writers (piscina tasks) move them into LMDB;
// reads see LMDB overlaid by what is still in WAL files; opening recovers what a crash left.
import { mkdirSync, readFileSync, truncateSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { Write } from '../raft/index.js';
import type { EncodedWritesData } from './encoded-writes.js';
import { GroupCommit } from './group-commit.js';
import type { GroupLog, WalStats } from './group-log.js';
import { IndexedFile } from './indexed-file.js';
import { LmdbStore } from './lmdb-store.js';
import { defaultMaxBacklogBytes, defaultRolloverBytes, type SharedLogOptions } from './options.js';
import { encodeGroup, type RecordFields, RecordType } from './record.js';
import type { SegmentResult, SegmentTask } from './segment-writer.js';
import { StoredGroup, type StoredState } from './stored-group.js';
import { listWalFiles, WalFile, walFilePath } from './wal-file.js';
import { changeOf, deleteGroupRecord, identityRecord, planWrite } from './write-codec.js';

export class SharedLog implements GroupLog {
  private readonly commit: GroupCommit;
  private readonly pool: Piscina<SegmentTask, SegmentResult>;
  /** Groups written since opening: only their reads look at the batches not yet written. */
  private readonly written = new Set<string>();
  /**
   * WAL files not yet in LMDB, oldest first, the live one last: the in-memory tables that reads
   * overlay. Files found at startup come first; each leaves once its segment flush is done.
   */
  private files: IndexedFile[];
  /** Buffers of files already in LMDB, for the next live files to reuse. */
  private readonly spareBuffers: Buffer[] = [];
  /** Closed files waiting for their segment flush, oldest first. */
  private readonly flushQueue: IndexedFile[] = [];
  private flushing: Promise<void> | null = null;
  private backlogBytes = 0;
  private wasCongested = false;
  private failure: Error | null = null;
  private counters = {
    writes: 0,
    records: 0,
    entries: 0,
    bytes: 0,
    syncs: 0,
    segmentFlushes: 0,
    segmentRecords: 0,
    segmentEntries: 0,
    segmentMillis: 0,
  };

  private constructor(
    private readonly options: SharedLogOptions,
    private readonly store: LmdbStore,
    private readonly walDirectory: string,
    private readonly lmdbPath: string,
    firstGeneration: number,
    recovered: IndexedFile[],
  ) {
    this.pool = new Piscina({
      filename: new URL('./segment-task.cjs', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
    });
    const file = new WalFile(firstGeneration, walFilePath(walDirectory, firstGeneration));
    this.files = [...recovered, IndexedFile.live(file.generation, file.path, this.liveFileBytes)];
    this.commit = new GroupCommit(file, options.sync ?? true, {
      durable: (reports, records, entries, bytes) => {
        this.counters.syncs += 1;
        this.counters.records += records;
        this.counters.entries += entries;
        this.counters.bytes += bytes;
        options.onDurable(reports);
      },
      written: (current, batch) => {
        this.files.at(-1)!.appendBatch(batch.buffer, batch.length, batch);
        return this.maybeRollOver(current);
      },
      failed: (error) => this.fail(error),
    });
    for (const file of recovered) {
      this.flushQueue.push(file);
      this.backlogBytes += file.size;
    }
    if (this.flushQueue.length > 0) this.flushing = this.flushSegments();
  }

  /** Opens (creating if need be) the log in `options.directory`, replaying what a crash left behind. */
  static async open(options: SharedLogOptions): Promise<SharedLog> {
    const walDirectory = join(options.directory, 'wal');
    const lmdbPath = join(options.directory, 'lmdb');
    mkdirSync(walDirectory, { recursive: true });
    const store = new LmdbStore(lmdbPath);
    const files = listWalFiles(walDirectory);
    const recovered: IndexedFile[] = [];
    files.forEach((file, position) => {
      options.onRecoveryProgress?.(file.path, position + 1, files.length);
      const scanned = IndexedFile.scan(file.generation, file.path, readFileSync(file.path));
      if (scanned.badRecord !== null) {
        if (position !== files.length - 1) {
          throw new Error(
            `corrupt WAL record in ${file.path}: ${scanned.badRecord}; only the last file may end torn`,
          );
        }
        if (scanned.intactAfterBad !== null) {
          throw new Error(
            `corrupt WAL record in ${file.path}: ${scanned.badRecord}, followed by an intact record at offset ${scanned.intactAfterBad}`,
          );
        }
        // A torn tail: the write never completed, so nothing past it was ever acknowledged.
        truncateSync(file.path, scanned.goodBytes);
      }
      if (scanned.goodBytes === 0) unlinkSync(file.path);
      else recovered.push(scanned.file);
    });
    const next = (files.at(-1)?.generation ?? 0) + 1;
    return new SharedLog(options, store, walDirectory, lmdbPath, next, recovered);
  }

  /** Groups with anything stored (as of the last segment flush or recovery). */
  groups(): string[] {
    const names = new Set(this.store.groups());
    for (const file of this.files) {
      for (const group of file.offsets.keys()) {
        if (file.deleted.has(group)) names.delete(group);
        else names.add(group);
      }
    }
    for (const group of this.commit.pendingGroups()) {
      if (this.lastWasDelete(group)) names.delete(group);
      else names.add(group);
    }
    return [...names].sort();
  }

  /** A group's stored state and its member's identity: LMDB overlaid by its writes still in WAL files. */
  load(group: string): StoredState | undefined {
    const stored = this.store.load(group);
    let state = stored === undefined ? undefined : StoredGroup.from(stored);
    const changes = [...this.files.flatMap((file) => [...file.changes(group)])];
    // A group not written since opening has nothing pending, and the batches need no scan (a
    // node creating thousands of groups loads each of them).
    if (this.written.has(group))
      for (const record of this.commit.pending(group)) changes.push(changeOf(record));
    for (const change of changes) {
      if (change.kind === 'deleteGroup') {
        state = undefined;
        continue;
      }
      state ??= new StoredGroup();
      state.apply(change);
    }
    return state?.toStored();
  }

  /**
   * Queues a write of `group`; `seq` is reported to onDurable once it is durable. Returns false
   * while segment flushing is behind: the caller should hold back new work until onDrain.
   */
  write(group: string, seq: number, write: Write): boolean {
    this.throwIfFailed();
    this.written.add(group);
    this.counters.writes += 1;
    const plan = planWrite(group, write);
    this.commit.appendEncoded(group, seq, plan.bytes, plan.records, plan.entries, plan.encode);
    return !this.congested;
  }

  /**
   * Appends writes a shard encoded itself (encoded-writes.ts), as they are: write `i` is
   * `writes.seqs[i]` of `writes.groups[i]`, reported to onDurable once durable. Returns false as
   * write() does.
   */
  writeEncoded(writes: EncodedWritesData): boolean {
    this.throwIfFailed();
    const { bytes, groups, seqs, starts, counts, entries } = writes;
    for (let write = 0; write < groups.length; write += 1) {
      const group = groups[write]!;
      this.written.add(group);
      this.counters.writes += 1;
      const end = write + 1 < groups.length ? starts[write + 1]! : writes.length;
      this.commit.appendBytes(
        group,
        seqs[write]!,
        bytes,
        starts[write]!,
        end,
        counts[write]!,
        entries[write]!,
      );
    }
    return !this.congested;
  }

  /**
   * Records who this node's member of `group` is: written before anything else the member writes,
   * so that stored data always says whose it is, and data that is gone is known to be gone.
   */
  setIdentity(group: string, member: string): void {
    this.throwIfFailed();
    // Written from here on, so load() looks at the pending batches for this record; a new
    // member's log is empty, whatever was stored under the name before (stored-group.ts).
    this.written.add(group);
    this.counters.writes += 1;
    this.commit.append(group, -1, [identityRecord(encodeGroup(group), member)]);
  }

  /** Removes everything the group had; once resolved, recovery will not bring it back. */
  deleteGroup(group: string): Promise<void> {
    this.throwIfFailed();
    this.counters.writes += 1;
    this.commit.append(group, -1, [deleteGroupRecord(encodeGroup(group))]);
    this.written.add(group);
    return this.commit.whenDurable();
  }

  private lastWasDelete(group: string): boolean {
    let last: RecordFields['type'] | undefined;
    for (const record of this.commit.pending(group)) last = record.type;
    return last === RecordType.deleteGroup;
  }

  get congested(): boolean {
    return this.backlogBytes > (this.options.maxBacklogBytes ?? defaultMaxBacklogBytes);
  }

  stats(): WalStats {
    return { ...this.counters, walFiles: this.flushQueue.length + 1, backlogBytes: this.backlogBytes };
  }

  /** Waits for queued writes to be durable and for segment flushes under way, then closes. */
  async close(): Promise<void> {
    await this.commit.idle();
    this.commit.close();
    this.commit.currentFile.close();
    while (this.flushing !== null) await this.flushing;
    await this.pool.destroy();
    await this.store.close();
  }

  /** What a live file holds when it rolls over: the rollover size and one large batch past it. */
  private get liveFileBytes(): number {
    return (this.options.rolloverBytes ?? defaultRolloverBytes) + 4 * 1024 * 1024;
  }

  /** After each write: past the rollover size, the file goes to a segment writer and a new one starts. */
  private maybeRollOver(current: WalFile): WalFile {
    if (current.size < (this.options.rolloverBytes ?? defaultRolloverBytes)) return current;
    current.close();
    this.flushQueue.push(this.files.at(-1)!);
    this.backlogBytes += current.size;
    if (this.congested) this.wasCongested = true;
    this.flushing ??= this.flushSegments();
    const next = new WalFile(current.generation + 1, walFilePath(this.walDirectory, current.generation + 1));
    this.files.push(
      IndexedFile.live(next.generation, next.path, this.liveFileBytes, this.spareBuffers.pop()),
    );
    return next;
  }

  /** Moves closed files into LMDB one at a time, in order, so later records land after earlier ones. */
  private async flushSegments(): Promise<void> {
    try {
      for (let file = this.flushQueue[0]; file !== undefined; file = this.flushQueue[0]) {
        const started = performance.now();
        const result = await this.pool.run({ walPath: file.path, lmdbPath: this.lmdbPath });
        this.counters.segmentMillis += performance.now() - started;
        // Off the event loop: freeing a large file's blocks takes the kernel a while.
        await unlink(file.path);
        this.flushQueue.shift();
        this.backlogBytes -= file.size;
        this.counters.segmentFlushes += 1;
        this.counters.segmentRecords += result.records;
        this.counters.segmentEntries += result.entries;
        // Its records are in LMDB now: reads need no overlay from it.
        this.files = this.files.filter((pending) => pending !== file);
        const buffer = file.release();
        if (this.spareBuffers.length === 0) this.spareBuffers.push(buffer);
        if (
          this.wasCongested &&
          this.backlogBytes <= (this.options.maxBacklogBytes ?? defaultMaxBacklogBytes) / 2
        ) {
          this.wasCongested = false;
          this.options.onDrain?.();
        }
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.flushing = null;
    }
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.options.onError?.(error);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw new Error(`the shared log has failed: ${this.failure.message}`);
  }
}
