// Group commit: records from every group that arrive while a write and its fdatasync are running
// are gathered into the next single write and single fdatasync. Batches are sized by what
// arrived, never by a timer. Two buffers alternate, so encoding never waits on the disk.
import { type RecordFields, recordSize, writeRecord } from './record.js';
import type { WalFile } from './wal-file.js';

/** A batch buffer starts here and doubles as needed; it is kept for reuse, so it costs once. */
const initialBatchBytes = 1024 * 1024;

export interface GroupCommitEvents {
  /** The records of these groups up to these write sequences are durable. */
  durable(reports: ReadonlyMap<string, number>, batchRecords: number, batchBytes: number): void;
  /** Batch `batch` is in `file`; the owner may roll the file over before the next write starts. */
  written(file: WalFile, batch: number): WalFile;
  failed(error: Error): void;
}

class Batch {
  /** Batches are numbered in write order, so a reader can tell which file holds an append. */
  number = 0;
  buffer = Buffer.allocUnsafe(initialBatchBytes);
  length = 0;
  records = 0;
  readonly reports = new Map<string, number>();

  reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  reset(): void {
    this.length = 0;
    this.records = 0;
    this.reports.clear();
  }
}

export class GroupCommit {
  private filling = new Batch();
  private spare = new Batch();
  private nextBatch = 1;
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

  /** The number of the batch the next append joins. */
  get fillingBatch(): number {
    return this.filling.number;
  }

  /** Bytes waiting for the next write. */
  get queuedBytes(): number {
    return this.filling.length;
  }

  /** Encodes `records` into the next batch; `seq` is reported durable for `group` once they are. */
  append(group: string, seq: number, records: readonly RecordFields[]): void {
    let bytes = 0;
    for (const record of records) bytes += recordSize(record);
    this.appendEncoded(group, seq, bytes, records.length, (buffer, offset) => {
      let end = offset;
      for (const record of records) end = writeRecord(buffer, end, record);
      return end;
    });
  }

  /** Appends `count` records of `bytes` in all, written by `encode` at `offset`; it returns the offset past them. */
  appendEncoded(
    group: string,
    seq: number,
    bytes: number,
    count: number,
    encode: (buffer: Buffer, offset: number) => number,
  ): void {
    if (this.closed) throw new Error('the WAL is closed');
    const batch = this.filling;
    batch.reserve(bytes);
    batch.length = encode(batch.buffer, batch.length);
    batch.records += count;
    if (seq >= 0) batch.reports.set(group, seq);
    if (!this.writing) this.flush();
  }

  private flush(): void {
    const batch = this.filling;
    if (batch.length === 0 && batch.reports.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    this.filling = this.spare;
    this.filling.number = this.nextBatch++;
    this.spare = batch;
    this.writing = true;
    this.file.append(batch.buffer, batch.length, this.sync, (error) => {
      if (error !== null) {
        this.writing = false;
        this.closed = true;
        this.events.failed(error);
        return;
      }
      // Still marked as writing while the owner hears of durability, so whatever it appends in
      // response joins the filling batch instead of starting a write into the batch being reported.
      this.events.durable(batch.reports, batch.records, batch.length);
      const number = batch.number;
      batch.reset();
      this.file = this.events.written(this.file, number);
      this.writing = false;
      this.flush();
    });
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
