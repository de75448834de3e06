// The segment writer, run as a piscina task on a worker thread: moves one closed WAL file into
// LMDB in one transaction. The main thread deletes the file once this resolves.
import { readFileSync } from 'node:fs';
import { LmdbStore } from './lmdb-store.js';
import { RecordType, readRecord } from './record.js';
import { changeOf } from './write-codec.js';

export interface SegmentTask {
  readonly walPath: string;
  readonly lmdbPath: string;
}

export interface SegmentResult {
  readonly records: number;
  readonly bytes: number;
}

const stores = new Map<string, LmdbStore>();

export default function flushSegment(task: SegmentTask): SegmentResult {
  const buffer = readFileSync(task.walPath);
  let store = stores.get(task.lmdbPath);
  if (store === undefined) {
    store = new LmdbStore(task.lmdbPath);
    stores.set(task.lmdbPath, store);
  }
  let records = 0;
  const target = store;
  target.transaction(() => {
    let offset = 0;
    for (let outcome = readRecord(buffer, 0); outcome.kind !== 'end'; outcome = readRecord(buffer, offset)) {
      if (outcome.kind === 'bad') {
        // A closed file was fully synced before it was closed: damage here is corruption, not a torn tail.
        throw new Error(`corrupt WAL file ${task.walPath}: ${outcome.reason} at offset ${offset}`);
      }
      const { record } = outcome;
      if (record.type === RecordType.entry) target.putEntryRecord(record);
      else target.applyOne(record.group, changeOf(record));
      records += 1;
      offset = record.end;
    }
  });
  return { records, bytes: buffer.byteLength };
}
