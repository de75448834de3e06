// How LMDB holds a group's entries: in runs of consecutive entries, one value per run keyed by
// the group and the run's first index. A segment flush then costs one LMDB put per run instead
// of one per entry, which is what lets it keep pace with the WAL.
// A run: u32 count, then per entry u32 payload length, u8 kind, f64 term, f64 time, payload.
// A WAL run record (record.ts) carries the same bytes as its payload, so a segment flush copies
// them as they are.
import { Packr } from 'msgpackr';
import type { Config, Entry, EntryKind } from '../raft/index.js';
import { headerBytes } from './record.js';

/** An entry's kind as the byte stored for it, in the WAL and in LMDB alike. */
export const entryKinds: readonly EntryKind[] = ['command', 'noop', 'config'];

const countBytes = 4;
const entryHeaderBytes = 21;
/** A run is closed at about this size, so reading one entry back never decodes much more. */
export const runBytes = 64 * 1024;
const packr = new Packr({ useRecords: false });

/** Consecutive entries of one group, ready to be stored as one value. */
export interface Run {
  readonly first: number;
  encode(): Buffer;
}

/** Bytes of a run of `entries` whose payloads are their data (no config entry among them). */
export function plainRunSize(entries: readonly Entry[]): number {
  let bytes = countBytes;
  for (const entry of entries) bytes += entryHeaderBytes + entry.data.byteLength;
  return bytes;
}

/** Writes the run of `entries` (no config entry among them) at `offset`; returns the offset past it. */
export function writePlainRun(buffer: Buffer, offset: number, entries: readonly Entry[]): number {
  buffer.writeUInt32LE(entries.length, offset);
  let at = offset + countBytes;
  for (const entry of entries) {
    buffer.writeUInt32LE(entry.data.byteLength, at);
    buffer.writeUInt8(entryKinds.indexOf(entry.kind), at + 4);
    buffer.writeDoubleLE(entry.term, at + 5);
    buffer.writeDoubleLE(entry.time, at + 13);
    buffer.set(entry.data, at + entryHeaderBytes);
    at += entryHeaderBytes + entry.data.byteLength;
  }
  return at;
}

/**
 * A run gathered from the records of one WAL file: run records, and the single-entry records
 * files written before runs hold. It keeps only where their bytes are and copies them straight
 * from the file when encoded, so a segment flush builds no entry objects.
 */
export class RecordRun implements Run {
  /** Per piece: where its bytes start in the file, and where they end (-1: a single-entry record). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private count = 0;
  private bytes = countBytes;

  constructor(
    private readonly file: Buffer,
    readonly first: number,
  ) {}

  get next(): number {
    return this.first + this.count;
  }

  get full(): boolean {
    return this.bytes >= runBytes;
  }

  /** Adds the single-entry record at `offset` of the file, `length` bytes long, its name `groupBytes` long. */
  add(offset: number, length: number, groupBytes: number): void {
    this.starts.push(offset);
    this.ends.push(-1);
    this.count += 1;
    this.bytes += entryHeaderBytes + length - headerBytes - groupBytes;
  }

  /** Adds the `count` entries of a run record whose payload spans [start, end) of the file. */
  addRun(start: number, end: number, count: number): void {
    this.starts.push(start + countBytes);
    this.ends.push(end);
    this.count += count;
    this.bytes += end - start - countBytes;
  }

  encode(): Buffer {
    const { file } = this;
    const value = Buffer.allocUnsafe(this.bytes);
    value.writeUInt32LE(this.count, 0);
    let at = countBytes;
    this.starts.forEach((offset, piece) => {
      const end = this.ends[piece]!;
      if (end >= 0) {
        at += file.copy(value, at, offset, end);
        return;
      }
      const payloadStart = offset + headerBytes + file.readUInt16LE(offset + 10);
      const payloadEnd = offset + file.readUInt32LE(offset);
      value.writeUInt32LE(payloadEnd - payloadStart, at);
      value.writeUInt8(file.readUInt8(offset + 9), at + 4);
      // The record's term and extra (the entry's time) sit side by side, as in a run.
      file.copy(value, at + 5, offset + 20, offset + 36);
      file.copy(value, at + entryHeaderBytes, payloadStart, payloadEnd);
      at += entryHeaderBytes + payloadEnd - payloadStart;
    });
    return value;
  }
}

/** Gathers consecutive entries of one group, from entry objects, into a run. */
export class RunBuilder implements Run {
  private readonly payloads: Uint8Array[] = [];
  private readonly kinds: number[] = [];
  private readonly terms: number[] = [];
  private readonly times: number[] = [];
  private bytes = countBytes;

  constructor(readonly first: number) {}

  get next(): number {
    return this.first + this.payloads.length;
  }

  get full(): boolean {
    return this.bytes >= runBytes;
  }

  add(kind: number, term: number, time: number, payload: Uint8Array): void {
    this.payloads.push(payload);
    this.kinds.push(kind);
    this.terms.push(term);
    this.times.push(time);
    this.bytes += entryHeaderBytes + payload.byteLength;
  }

  addEntry(entry: Entry): void {
    const payload = entry.config === null ? entry.data : packr.pack(entry.config);
    this.add(entryKinds.indexOf(entry.kind), entry.term, entry.time, payload);
  }

  encode(): Buffer {
    const value = Buffer.allocUnsafe(this.bytes);
    value.writeUInt32LE(this.payloads.length, 0);
    let offset = countBytes;
    this.payloads.forEach((payload, position) => {
      value.writeUInt32LE(payload.byteLength, offset);
      value.writeUInt8(this.kinds[position]!, offset + 4);
      value.writeDoubleLE(this.terms[position]!, offset + 5);
      value.writeDoubleLE(this.times[position]!, offset + 13);
      value.set(payload, offset + entryHeaderBytes);
      offset += entryHeaderBytes + payload.byteLength;
    });
    return value;
  }
}

export function runCount(run: Uint8Array): number {
  return Buffer.from(run.buffer, run.byteOffset, run.byteLength).readUInt32LE(0);
}

/**
 * The run's entries from index `from` on (`first` is the run's first index). `run` must be a
 * buffer of its own (LMDB hands out a fresh one per value): the entries' data are views into it,
 * not copies, so a recovering node makes one allocation per run rather than one per entry (with
 * 10,000 groups holding 1 GiB of entries, restart took 5.4-5.9 s rather than 7.1-8.1 s). A run
 * is freed when its last entry leaves the log; a run whose first half is already behind `from`
 * is copied without it, so at most half a run per group is held for entries already released.
 */
export function decodeRun(first: number, run: Uint8Array, from = first): Entry[] {
  let view = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
  const count = view.readUInt32LE(0);
  let offset = countBytes;
  let position = 0;
  for (; position < count && first + position < from; position += 1)
    offset += entryHeaderBytes + view.readUInt32LE(offset);
  if (offset > view.byteLength / 2 && position < count) {
    view = Buffer.from(view.subarray(offset));
    offset = 0;
  }
  const entries: Entry[] = [];
  for (; position < count; position += 1) {
    const length = view.readUInt32LE(offset);
    const start = offset + entryHeaderBytes;
    entries.push(decodeOne(first + position, view, offset, start, length));
    offset = start + length;
  }
  return entries;
}

function decodeOne(index: number, view: Buffer, offset: number, start: number, length: number): Entry {
  const kind = entryKinds[view.readUInt8(offset + 4)];
  if (kind === undefined) throw new Error(`stored entry ${index} has an unknown kind`);
  const config = kind === 'config' ? (packr.unpack(view.subarray(start, start + length)) as Config) : null;
  return {
    index,
    term: view.readDoubleLE(offset + 5),
    kind,
    data: config === null ? new Uint8Array(view.buffer, view.byteOffset + start, length) : noData,
    config,
    time: view.readDoubleLE(offset + 13),
  };
}

const noData = new Uint8Array(0);

/** The run re-encoded with only its entries in [from, to). */
export function sliceRun(first: number, run: Uint8Array, from: number, to: number): RunBuilder {
  const start = Math.max(first, from);
  const builder = new RunBuilder(start);
  for (const entry of decodeRun(first, run, start)) {
    if (entry.index >= to) break;
    builder.addEntry(entry);
  }
  return builder;
}
