// The WAL's record format. Each record: u32 length of the whole record, u32 CRC-32 of everything
// after the checksum, u8 type, u8 flags, u16 group-name length, f64 index, f64 term, f64 extra,
// the group name (UTF-8), then the payload. Little-endian throughout. An entries write is one run
// record (index: the first entry's, extra: how many; the payload as entry-runs.ts lays out a
// run), so a write pays for one header, name and checksum however many entries it carries.
import { crc32 } from 'node:zlib';

export const headerBytes = 36;

export const RecordType = {
  entry: 1,
  state: 2,
  truncate: 3,
  snapshot: 4,
  chunk: 5,
  deleteGroup: 6,
  /** Who the group's member on this node is (its identity, written once when it is created). */
  identity: 7,
  /** Consecutive entries of one write. Files written before runs hold `entry` records, one each. */
  run: 8,
} as const;

/** The highest record type a file may hold. */
const lastRecordType = RecordType.run;

export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

/** A record as read back: the group and the numeric fields, with the payload as a view into the file. */
export interface DecodedRecord {
  readonly type: RecordTypeCode;
  readonly flags: number;
  readonly group: string;
  readonly index: number;
  readonly term: number;
  readonly extra: number;
  readonly payload: Uint8Array;
  /** Offset just past this record. */
  readonly end: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Fields of one record to encode. */
export interface RecordFields {
  readonly type: RecordTypeCode;
  readonly flags: number;
  readonly group: Uint8Array;
  readonly index: number;
  readonly term: number;
  readonly extra: number;
  readonly payload: Uint8Array;
}

export function encodeGroup(group: string): Uint8Array {
  const bytes = encoder.encode(group);
  if (bytes.byteLength === 0 || bytes.byteLength > 0xffff)
    throw new RangeError(`group name must be 1..65535 bytes`);
  return bytes;
}

export function recordSize(fields: RecordFields): number {
  return headerBytes + fields.group.byteLength + fields.payload.byteLength;
}

/** Writes one record at `offset` of `buffer` (which must have room) and returns the offset past it. */
export function writeRecord(buffer: Buffer, offset: number, fields: RecordFields): number {
  const { type, flags, group, index, term, extra, payload } = fields;
  return writeRecordParts(buffer, offset, type, flags, group, index, term, extra, payload);
}

/** The same, from the fields themselves: the hot path encodes entries without a fields object each. */
export function writeRecordParts(
  buffer: Buffer,
  offset: number,
  type: RecordTypeCode,
  flags: number,
  group: Uint8Array,
  index: number,
  term: number,
  extra: number,
  payload: Uint8Array,
): number {
  buffer.set(group, offset + headerBytes);
  buffer.set(payload, offset + headerBytes + group.byteLength);
  return finishRecord(buffer, offset, type, flags, group.byteLength, index, term, extra, payload.byteLength);
}

/**
 * The same with the group's name as a string of `groupBytes` UTF-8 bytes, written straight into
 * the buffer: the log keeps no encoded copy of every group's name. A payload given as a string
 * (a member voted for) is written as UTF-8 straight in too: thousands of groups' votes are never
 * encoded apart.
 */
export function writeNamedRecord(
  buffer: Buffer,
  offset: number,
  type: RecordTypeCode,
  flags: number,
  group: string,
  groupBytes: number,
  index: number,
  term: number,
  extra: number,
  payload: Uint8Array | string,
): number {
  buffer.write(group, offset + headerBytes, groupBytes, 'utf8');
  const at = offset + headerBytes + groupBytes;
  const payloadBytes = typeof payload === 'string' ? buffer.write(payload, at, 'utf8') : payload.byteLength;
  if (typeof payload !== 'string') buffer.set(payload, at);
  return finishRecord(buffer, offset, type, flags, groupBytes, index, term, extra, payloadBytes);
}

/**
 * Completes a record of the group named `group` whose payload, `payloadBytes` long, the caller
 * has already written at `payloadOffset(offset, groupBytes)`: the name, the header, the checksum.
 */
export function writeNamedHeader(
  buffer: Buffer,
  offset: number,
  type: RecordTypeCode,
  group: string,
  groupBytes: number,
  index: number,
  extra: number,
  payloadBytes: number,
): number {
  buffer.write(group, offset + headerBytes, groupBytes, 'utf8');
  return finishRecord(buffer, offset, type, 0, groupBytes, index, 0, extra, payloadBytes);
}

/** Where the payload of a record at `offset` whose group name is `groupBytes` long starts. */
export function payloadOffset(offset: number, groupBytes: number): number {
  return offset + headerBytes + groupBytes;
}

/** Writes the header (group name and payload are in place) and the checksum over it all. */
function finishRecord(
  buffer: Buffer,
  offset: number,
  type: RecordTypeCode,
  flags: number,
  groupBytes: number,
  index: number,
  term: number,
  extra: number,
  payloadBytes: number,
): number {
  const length = headerBytes + groupBytes + payloadBytes;
  buffer.writeUInt32LE(length, offset);
  buffer.writeUInt8(type, offset + 8);
  buffer.writeUInt8(flags, offset + 9);
  buffer.writeUInt16LE(groupBytes, offset + 10);
  buffer.writeDoubleLE(index, offset + 12);
  buffer.writeDoubleLE(term, offset + 20);
  buffer.writeDoubleLE(extra, offset + 28);
  buffer.writeUInt32LE(crc32(buffer.subarray(offset + 8, offset + length)), offset + 4);
  return offset + length;
}

/** The UTF-8 length of a group name, checked as encodeGroup checks it. */
export function groupNameBytes(group: string): number {
  const bytes = Buffer.byteLength(group, 'utf8');
  if (bytes === 0 || bytes > 0xffff) throw new RangeError(`group name must be 1..65535 bytes`);
  return bytes;
}

/**
 * The length of the intact record at `offset`, or 0 when the bytes there are not one (readRecord
 * says why). Scans call this on every record, so it builds nothing but the checksum's view.
 */
export function intactRecordLength(buffer: Buffer, offset: number): number {
  if (buffer.byteLength - offset < headerBytes) return 0;
  const length = buffer.readUInt32LE(offset);
  if (length < headerBytes || offset + length > buffer.byteLength) return 0;
  const type = buffer.readUInt8(offset + 8);
  if (type < RecordType.entry || type > lastRecordType) return 0;
  if (headerBytes + buffer.readUInt16LE(offset + 10) > length) return 0;
  if (crc32(buffer.subarray(offset + 8, offset + length)) !== buffer.readUInt32LE(offset + 4)) return 0;
  return length;
}

/** Why the record at `offset` is not intact, with the offset, for an error message. */
export function badRecordReason(buffer: Buffer, offset: number): string {
  const outcome = readRecord(buffer, offset);
  return `${outcome.kind === 'bad' ? outcome.reason : 'an unreadable record'} at offset ${offset}`;
}

export type ReadOutcome =
  | { readonly kind: 'record'; readonly record: DecodedRecord }
  | { readonly kind: 'end' }
  /** The bytes at `offset` are not a whole, intact record: a torn write or corruption. */
  | { readonly kind: 'bad'; readonly reason: string };

export function readRecord(buffer: Buffer, offset: number): ReadOutcome {
  if (offset === buffer.byteLength) return { kind: 'end' };
  if (buffer.byteLength - offset < headerBytes) return { kind: 'bad', reason: 'a header cut short' };
  const length = buffer.readUInt32LE(offset);
  if (length < headerBytes || offset + length > buffer.byteLength) {
    return { kind: 'bad', reason: `a length of ${length} bytes that does not fit` };
  }
  const checksum = buffer.readUInt32LE(offset + 4);
  if (crc32(buffer.subarray(offset + 8, offset + length)) !== checksum)
    return { kind: 'bad', reason: 'a checksum mismatch' };
  const type = buffer.readUInt8(offset + 8);
  if (type < RecordType.entry || type > lastRecordType)
    return { kind: 'bad', reason: `an unknown record type ${type}` };
  const groupLength = buffer.readUInt16LE(offset + 10);
  if (headerBytes + groupLength > length)
    return { kind: 'bad', reason: 'a group name longer than the record' };
  const groupStart = offset + headerBytes;
  return {
    kind: 'record',
    record: {
      type: type as RecordTypeCode,
      flags: buffer.readUInt8(offset + 9),
      group: decoder.decode(buffer.subarray(groupStart, groupStart + groupLength)),
      index: buffer.readDoubleLE(offset + 12),
      term: buffer.readDoubleLE(offset + 20),
      extra: buffer.readDoubleLE(offset + 28),
      payload: buffer.subarray(groupStart + groupLength, offset + length),
      end: offset + length,
    },
  };
}
