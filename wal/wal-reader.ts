// Reads a WAL file back into the changes its records make. A bad record (torn or corrupt) ends the
// read; whether that is a torn tail to cut or an error to report is the caller's call.
import { readFileSync } from 'node:fs';
import { headerBytes, RecordType, readRecord } from './record.js';
import { changeOf, type StoredChange } from './write-codec.js';

/**
 * Whether any intact record starts past `offset`: damage followed by good records is corruption,
 * while a torn tail has nothing good after it. Only candidates whose header is plausible pay
 * for a checksum, so the scan is cheap on the garbage a torn write leaves.
 */
export function intactRecordAfter(buffer: Buffer, offset: number): number | null {
  for (let start = offset + 1; start + headerBytes <= buffer.byteLength; start += 1) {
    const length = buffer.readUInt32LE(start);
    if (length < headerBytes || start + length > buffer.byteLength) continue;
    const type = buffer.readUInt8(start + 8);
    if (type < RecordType.entry || type > RecordType.deleteGroup) continue;
    if (readRecord(buffer, start).kind === 'record') return start;
  }
  return null;
}

export interface WalFileContents {
  readonly changes: (readonly [string, StoredChange])[];
  /** Bytes of whole, intact records from the start of the file. */
  readonly goodBytes: number;
  readonly totalBytes: number;
  /** Why the read stopped before the end of the file, or null if it reached the end. */
  readonly badRecord: string | null;
  /** Where an intact record follows the bad one, if one does. */
  readonly intactAfterBad: number | null;
}

export function readWalFile(path: string): WalFileContents {
  const buffer = readFileSync(path);
  const changes: (readonly [string, StoredChange])[] = [];
  let offset = 0;
  for (;;) {
    const outcome = readRecord(buffer, offset);
    if (outcome.kind === 'end') {
      return {
        changes,
        goodBytes: offset,
        totalBytes: buffer.byteLength,
        badRecord: null,
        intactAfterBad: null,
      };
    }
    if (outcome.kind === 'bad') {
      return {
        changes,
        goodBytes: offset,
        totalBytes: buffer.byteLength,
        badRecord: `${outcome.reason} at offset ${offset}`,
        intactAfterBad: intactRecordAfter(buffer, offset),
      };
    }
    changes.push([outcome.record.group, changeOf(outcome.record)]);
    offset = outcome.record.end;
  }
}
