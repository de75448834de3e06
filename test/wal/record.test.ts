// The record format: what is written reads back the same, and damage of any kind is reported
// as a bad record rather than read as data.
import { describe, expect, it } from 'vitest';
import {
  encodeGroup,
  headerBytes,
  RecordType,
  readRecord,
  recordSize,
  writeRecord,
} from '../../wal/record.js';

const fields = {
  type: RecordType.entry,
  flags: 2,
  group: encodeGroup('orders'),
  index: 123_456_789_012,
  term: 7,
  extra: 1_700_000_000_000.5,
  payload: new Uint8Array([1, 2, 3, 4, 5]),
};

function encoded(): Buffer {
  const buffer = Buffer.alloc(recordSize(fields));
  expect(writeRecord(buffer, 0, fields)).toBe(buffer.byteLength);
  return buffer;
}

describe('the WAL record format', () => {
  it('reads back every field it wrote, large indexes included', () => {
    const outcome = readRecord(encoded(), 0);
    expect(outcome.kind).toBe('record');
    if (outcome.kind !== 'record') return;
    const { record } = outcome;
    expect(record).toMatchObject({
      type: RecordType.entry,
      flags: 2,
      group: 'orders',
      index: 123_456_789_012,
      term: 7,
    });
    expect(record.extra).toBe(1_700_000_000_000.5);
    expect([...record.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(record.end).toBe(headerBytes + 6 + 5);
  });

  it('reports the end of the buffer as the end, not as damage', () => {
    expect(readRecord(encoded(), recordSize(fields)).kind).toBe('end');
  });

  it.each([
    [
      'a flipped payload bit',
      (buffer: Buffer) =>
        buffer.writeUInt8(buffer.readUInt8(buffer.byteLength - 1) ^ 1, buffer.byteLength - 1),
    ],
    ['a flipped index bit', (buffer: Buffer) => buffer.writeUInt8(buffer.readUInt8(12) ^ 0x10, 12)],
    [
      'a flipped group byte',
      (buffer: Buffer) => buffer.writeUInt8(buffer.readUInt8(headerBytes) ^ 4, headerBytes),
    ],
    ['a length past the end', (buffer: Buffer) => buffer.writeUInt32LE(buffer.byteLength + 1, 0)],
    ['a length below the header', (buffer: Buffer) => buffer.writeUInt32LE(3, 0)],
  ])('rejects %s', (_name, damage) => {
    const buffer = encoded();
    damage(buffer);
    expect(readRecord(buffer, 0).kind).toBe('bad');
  });

  it('rejects a record cut short at any length', () => {
    const buffer = encoded();
    for (let length = 1; length < buffer.byteLength; length += 1) {
      expect(readRecord(buffer.subarray(0, length), 0).kind).toBe('bad');
    }
  });

  it('refuses an empty group name', () => {
    expect(() => encodeGroup('')).toThrow(RangeError);
  });
});
