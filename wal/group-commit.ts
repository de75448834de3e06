// Group commit: records from every group that arrive while a write and its fdatasync are running
// are gathered into the next single write and single fdatasync. Batches are sized by what
// arrived, never by a timer. Two buffers alternate, so encoding never waits on the disk.
import { grownBuffer } from './grown-buffer.js';
import { type BatchIndex, recordAt } from './indexed-file.js';
import { type DecodedRecord, type RecordFields, recordSize, writeRecord } from './record.js';
import type { WalFile } from './wal-file.js';

/** A batch buffer starts here and doubles as needed; it is kept for reuse, so it costs once. */
const initialBatchBytes = 1024 * 1024;

export interface GroupCommitEvents {
  /** The records of these groups up to these write sequences are durable. */
  durable(
    reports: ReadonlyMap<string, number>,
    batchRecords: number,
    batchEntries: number,
    batchBytes: number,
  ): void;
  /** `batch` is now in `file`; the owner may roll the file over before the next write starts. */
  written(file: WalFile, batch: Batch): WalFile;
  failed(error: Error): void;
}

/** Appends gathered for one write, with where each group's records are in it. */
export class Batch implements BatchIndex {
  buffer: Buffer = Buffer.allocUnsafe(initialBatchBytes);
  length = 0;
  records = 0;
  /** Raft entries the records carry (a run record carries many). */
  entries = 0;
  reports = new Map<string, number>();
  /** Told once this batch is durable (or failed): callers of whenDurable(). */
  waiters: ((error: Error | null) => void)[] = [];
  writes = 0;
  // Reused from batch to batch: writing over them allocates nothing.
  readonly groups: string[] = [];
  readonly starts: number[] = [];
  readonly counts: number[] = [];

  /** Its records of `group`, in order. */
  *recordsOf(group: string): Generator<DecodedRecord> {
    for (let write = 0; write < this.writes; write += 1) {
      if (this.groups[write] !== group) continue;
      let offset = this.starts[write]!;
      for (let record = 0; record < this.counts[write]!; record += 1) {
        const decoded = recordAt(this.buffer, offset, 'a batch');
        yield decoded;
        offset = decoded.end;
      }
    }
  }

  reserve(bytes: number): void {
    this.buffer = grownBuffer(this.buffer, this.length, bytes);
  }

  reset(): void {
    this.length = 0;
    this.records = 0;
    this.entries = 0;
    this.writes = 0;
    this.reports.clear();
  }
}

export class GroupCommit {
  private filling = new Batch();
  private spare = new Batch();
  private writing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private file: WalFile,
    private readonly sync: boolean,
    private readonly events: GroupCommitEvents,
  ) {}

  get currentFile(): WalFile {
    return this.file;
  }

  /** Groups with appends not yet written. */
  pendingGroups(): Set<string> {
    const groups = new Set<string>();
    for (const batch of this.writing ? [this.spare, this.filling] : [this.filling]) {
      for (let write = 0; write < batch.writes; write += 1) groups.add(batch.groups[write]!);
    }
    return groups;
  }

  /** Records of `group` appended but not yet written: in the batch being written, then the next. */
  *pending(group: string): Generator<DecodedRecord> {
    if (this.writing) yield* this.spare.recordsOf(group);
    yield* this.filling.recordsOf(group);
  }

  /** Bytes waiting for the next write. */
  get queuedBytes(): number {
    return this.filling.length;
  }

  /** Resolves once everything appended so far is durable; rejects if the write fails. */
  whenDurable(): Promise<void> {
    const batch = this.filling.length > 0 ? this.filling : this.writing ? this.spare : null;
    if (batch === null) return Promise.resolve();
    return new Promise((resolve, reject) =>
      batch.waiters.push((error) => (error === null ? resolve() : reject(error))),
    );
  }

  /**
   * Encodes `records` (carrying `entries` raft entries) into the next batch; `seq` is reported
   * durable for `group` once they are.
   */
  append(group: string, seq: number, records: readonly RecordFields[], entries = 0): void {
    let bytes = 0;
    for (const record of records) bytes += recordSize(record);
    this.appendEncoded(group, seq, bytes, records.length, entries, (buffer, offset) => {
      let end = offset;
      for (const record of records) end = writeRecord(buffer, end, record);
      return end;
    });
  }

  /**
   * Appends `count` records (carrying `entries` raft entries) of `bytes` in all, written by
   * `encode` at `offset`; it returns the offset past them.
   */
  appendEncoded(
    group: string,
    seq: number,
    bytes: number,
    count: number,
    entries: number,
    encode: (buffer: Buffer, offset: number) => number,
  ): void {
    const batch = this.begin(group, bytes, count);
    batch.length = encode(batch.buffer, batch.length);
    this.end(batch, group, seq, count, entries);
  }

  /** Appends records already encoded, `source` bytes [start, end): `count` records carrying `entries` entries. */
  appendBytes(
    group: string,
    seq: number,
    source: Uint8Array,
    start: number,
    end: number,
    count: number,
    entries: number,
  ): void {
    const batch = this.begin(group, end - start, count);
    batch.buffer.set(source.subarray(start, end), batch.length);
    batch.length += end - start;
    this.end(batch, group, seq, count, entries);
  }

  private begin(group: string, bytes: number, count: number): Batch {
    if (this.closed) throw new Error('the WAL is closed');
    const batch = this.filling;
    batch.reserve(bytes);
    batch.groups[batch.writes] = group;
    batch.starts[batch.writes] = batch.length;
    batch.counts[batch.writes] = count;
    batch.writes += 1;
    return batch;
  }

  private end(batch: Batch, group: string, seq: number, count: number, entries: number): void {
    batch.records += count;
    batch.entries += entries;
    if (seq >= 0) batch.reports.set(group, seq);
    if (!this.writing) this.flush();
  }

  private flush(): void {
    if (!this.startWrite()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Starts writing the filling batch, if it holds anything; says whether it did. */
  private startWrite(): boolean {
    const batch = this.filling;
    if (batch.length === 0 && batch.reports.size === 0) return false;
    this.filling = this.spare;
    this.spare = batch;
    this.writing = true;
    this.file.append(batch.buffer, batch.length, this.sync, (error) => {
      const waiters = batch.waiters;
      batch.waiters = [];
      if (error !== null) {
        this.writing = false;
        this.closed = true;
        this.events.failed(error);
        for (const waiter of waiters) waiter(error);
        return;
      }
      this.file = this.events.written(this.file, batch);
      const { reports, records, entries, length } = batch;
      batch.reports = new Map();
      batch.reset();
      // The next batch goes to the disk before the owner hears of this one, so whatever the owner
      // appends in response is encoded while that write runs. With nothing to write, appends
      // made in response are held until the owner returns, then go out as one batch.
      this.writing = false;
      const started = this.startWrite();
      this.writing = true;
      this.events.durable(reports, records, entries, length);
      for (const waiter of waiters) waiter(null);
      if (!started) {
        this.writing = false;
        this.flush();
      }
    });
    return true;
  }

  /** Resolves once everything appended so far is written (and synced). */
  idle(): Promise<void> {
    if (!this.writing && this.filling.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
  }
}
