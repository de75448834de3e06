// A WAL file found at startup, read once and kept in memory until its segment flush: recovery
// only checks it and indexes each group's records by offset, and a group's records are decoded
// when it is read. That keeps opening a large WAL to a scan, with LMDB work left to the
// background segment writer.
import { crc32 } from 'node:zlib';
import { headerBytes, RecordType, readRecord } from './record.js';
import { changeOf, type StoredChange } from './write-codec.js';

export interface ScannedFile {
  readonly file: RecoveredFile;
  /** Why the scan stopped short of the end, or null. */
  readonly badRecord: string | null;
  readonly intactAfterBad: number | null;
  readonly goodBytes: number;
}

export class RecoveredFile {
  /** Offsets of each group's records, in file order. */
  readonly offsets = new Map<string, number[]>();
  /** The last index each group's records leave it at (0 after a deletion). */
  readonly lastIndex = new Map<string, number>();
  /** Groups whose last record here deletes them. */
  readonly deleted = new Set<string>();
  records = 0;

  constructor(
    readonly generation: number,
    readonly path: string,
    readonly buffer: Buffer,
  ) {}

  /** The changes this file makes to `group`, in order. */
  *changes(group: string): Generator<StoredChange> {
    for (const offset of this.offsets.get(group) ?? []) {
      const outcome = readRecord(this.buffer, offset);
      if (outcome.kind !== 'record')
        throw new Error(`record at ${offset} of ${this.path} changed after recovery`);
      yield changeOf(outcome.record);
    }
  }
}

/** Checks every record of `buffer` and indexes it by group, stopping at the first bad one. */
export function scanWalFile(generation: number, path: string, buffer: Buffer): ScannedFile {
  const file = new RecoveredFile(generation, path, buffer);
  const names = new Map<number, KnownName>();
  let offset = 0;
  while (offset < buffer.byteLength) {
    const length = buffer.byteLength - offset >= headerBytes ? buffer.readUInt32LE(offset) : 0;
    const type = length >= headerBytes ? buffer.readUInt8(offset + 8) : 0;
    const groupLength = length >= headerBytes ? buffer.readUInt16LE(offset + 10) : 0;
    const plausible =
      length >= headerBytes &&
      offset + length <= buffer.byteLength &&
      type >= RecordType.entry &&
      type <= RecordType.deleteGroup &&
      headerBytes + groupLength <= length &&
      crc32(buffer.subarray(offset + 8, offset + length)) === buffer.readUInt32LE(offset + 4);
    if (!plausible) {
      const outcome = readRecord(buffer, offset);
      const reason = outcome.kind === 'bad' ? outcome.reason : 'an unreadable record';
      return {
        file,
        badRecord: `${reason} at offset ${offset}`,
        intactAfterBad: intactRecordAfter(buffer, offset),
        goodBytes: offset,
      };
    }
    const group = groupName(buffer, offset + headerBytes, groupLength, names);
    let offsets = file.offsets.get(group);
    if (offsets === undefined) {
      offsets = [];
      file.offsets.set(group, offsets);
    }
    offsets.push(offset);
    trackLastIndex(file, group, type, buffer.readUInt8(offset + 9), buffer.readDoubleLE(offset + 12));
    file.records += 1;
    offset += length;
  }
  return { file, badRecord: null, intactAfterBad: null, goodBytes: offset };
}

interface KnownName {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Group names repeat on almost every record: decode each once, keyed by a hash of its bytes. */
function groupName(buffer: Buffer, start: number, length: number, names: Map<number, KnownName>): string {
  let hash = length;
  for (let position = start; position < start + length; position += 1)
    hash = Math.imul(hash ^ buffer[position]!, 0x01000193);
  const known = names.get(hash);
  if (
    known !== undefined &&
    known.bytes.byteLength === length &&
    known.bytes.compare(buffer, start, start + length) === 0
  ) {
    return known.name;
  }
  const bytes = Buffer.from(buffer.subarray(start, start + length));
  const name = bytes.toString('utf8');
  names.set(hash, { name, bytes });
  return name;
}

function trackLastIndex(
  file: RecoveredFile,
  group: string,
  type: number,
  flags: number,
  index: number,
): void {
  if (type === RecordType.deleteGroup) file.deleted.add(group);
  else file.deleted.delete(group);
  if (type === RecordType.entry) file.lastIndex.set(group, index);
  else if (type === RecordType.truncate) file.lastIndex.set(group, index - 1);
  else if (type === RecordType.snapshot && flags === 0) file.lastIndex.set(group, index);
  else if (type === RecordType.deleteGroup) file.lastIndex.set(group, 0);
}

/**
 * Whether any intact record starts past `offset`: damage followed by good records is corruption,
 * while a torn tail has nothing good after it. Only candidates whose header is plausible pay
 * for a checksum, so the scan is cheap on the garbage a torn write leaves.
 */
function intactRecordAfter(buffer: Buffer, offset: number): number | null {
  for (let start = offset + 1; start + headerBytes <= buffer.byteLength; start += 1) {
    const length = buffer.readUInt32LE(start);
    if (length < headerBytes || start + length > buffer.byteLength) continue;
    const type = buffer.readUInt8(start + 8);
    if (type < RecordType.entry || type > RecordType.deleteGroup) continue;
    if (readRecord(buffer, start).kind === 'record') return start;
  }
  return null;
}
