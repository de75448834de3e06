// A WAL file not yet moved into LMDB, held in memory as its bytes with each group's record
// offsets: the in-memory table that reads overlay on LMDB. The live file grows batch by batch;
// a file found at startup is read once and checked by a scan. Keeping bytes and offsets rather
// than entry objects means the garbage collector has almost nothing to trace however many
// entries wait for their segment flush.
import { GroupNames } from './group-names.js';
import { grownBuffer } from './grown-buffer.js';
import {
  badRecordReason,
  type DecodedRecord,
  headerBytes,
  intactRecordLength,
  RecordType,
  readRecord,
} from './record.js';
import { changeOf, type StoredChange } from './write-codec.js';

/** The writes of one batch, in order: each is `counts[i]` records of `groups[i]` from `starts[i]`. */
export interface BatchIndex {
  readonly writes: number;
  readonly groups: readonly string[];
  readonly starts: readonly number[];
  readonly counts: readonly number[];
}

export interface ScannedFile {
  readonly file: IndexedFile;
  /** Why the scan stopped short of the end, or null. */
  readonly badRecord: string | null;
  readonly intactAfterBad: number | null;
  readonly goodBytes: number;
}

const initialBytes = 1024 * 1024;

export class IndexedFile {
  /** Offsets of each group's records, in file order. */
  readonly offsets = new Map<string, number[]>();
  /** Groups whose last record here deletes them. */
  readonly deleted = new Set<string>();
  records = 0;

  constructor(
    readonly generation: number,
    readonly path: string,
    private bytes: Buffer = Buffer.allocUnsafe(initialBytes),
    private length = 0,
  ) {}

  /**
   * A live file, empty, reusing `bytes` if given, or else room for `expectedBytes`: reserved
   * up front, a file never copies itself to grow, and pages not yet written take no memory.
   */
  static live(generation: number, path: string, expectedBytes: number, bytes?: Buffer): IndexedFile {
    return new IndexedFile(
      generation,
      path,
      bytes ?? Buffer.allocUnsafe(Math.max(initialBytes, expectedBytes)),
    );
  }

  get size(): number {
    return this.length;
  }

  /**
   * Gives up the file's bytes once it is in LMDB, so the next live file can reuse them: a buffer
   * already grown and paged in costs nothing to write into again.
   */
  release(): Buffer {
    const { bytes } = this;
    this.bytes = Buffer.alloc(0);
    this.length = 0;
    this.offsets.clear();
    return bytes;
  }

  /** Adds a batch just written to this file: its bytes and where each group's records are. */
  appendBatch(buffer: Buffer, length: number, index: BatchIndex): void {
    const base = this.length;
    this.reserve(length);
    buffer.copy(this.bytes, base, 0, length);
    this.length += length;
    for (let write = 0; write < index.writes; write += 1) {
      const group = index.groups[write]!;
      let offset = base + index.starts[write]!;
      const offsets = this.offsetsOf(group);
      for (let record = 0; record < index.counts[write]!; record += 1) {
        offsets.push(offset);
        offset += this.bytes.readUInt32LE(offset);
      }
      if (this.bytes.readUInt8(base + index.starts[write]! + 8) === RecordType.deleteGroup)
        this.deleted.add(group);
      else if (this.deleted.size > 0) this.deleted.delete(group);
      this.records += index.counts[write]!;
    }
  }

  /** The changes this file makes to `group`, in order. */
  *changes(group: string): Generator<StoredChange> {
    for (const offset of this.offsets.get(group) ?? [])
      yield changeOf(recordAt(this.bytes, offset, this.path));
  }

  private offsetsOf(group: string): number[] {
    let offsets = this.offsets.get(group);
    if (offsets === undefined) {
      offsets = [];
      this.offsets.set(group, offsets);
    }
    return offsets;
  }

  private reserve(more: number): void {
    this.bytes = grownBuffer(this.bytes, this.length, more);
  }

  /** Checks every record of `buffer` and indexes it by group, stopping at the first bad one. */
  static scan(generation: number, path: string, buffer: Buffer): ScannedFile {
    const file = new IndexedFile(generation, path, buffer, buffer.byteLength);
    const names = new GroupNames();
    let offset = 0;
    while (offset < buffer.byteLength) {
      const length = intactRecordLength(buffer, offset);
      if (length === 0) {
        file.length = offset;
        return {
          file,
          badRecord: badRecordReason(buffer, offset),
          intactAfterBad: intactRecordAfter(buffer, offset),
          goodBytes: offset,
        };
      }
      const group = names.at(buffer, offset + headerBytes, buffer.readUInt16LE(offset + 10));
      file.offsetsOf(group).push(offset);
      if (buffer.readUInt8(offset + 8) === RecordType.deleteGroup) file.deleted.add(group);
      else file.deleted.delete(group);
      file.records += 1;
      offset += length;
    }
    return { file, badRecord: null, intactAfterBad: null, goodBytes: offset };
  }
}

/** The record at `offset` of bytes already checked, decoded. */
export function recordAt(buffer: Buffer, offset: number, where: string): DecodedRecord {
  const outcome = readRecord(buffer, offset);
  if (outcome.kind !== 'record')
    throw new Error(`record at ${offset} of ${where} changed after it was checked`);
  return outcome.record;
}

/**
 * Whether any intact record starts past `offset`: damage followed by good records is corruption,
 * while a torn tail has nothing good after it. Only candidates whose header is plausible pay
 * for a checksum, so the scan is cheap on the garbage a torn write leaves.
 */
function intactRecordAfter(buffer: Buffer, offset: number): number | null {
  for (let start = offset + 1; start + headerBytes <= buffer.byteLength; start += 1) {
    if (intactRecordLength(buffer, start) > 0) return start;
  }
  return null;
}
