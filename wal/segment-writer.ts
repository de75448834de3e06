// The segment writer, run as a piscina task on a worker thread: moves one closed WAL file into
// LMDB in one transaction, each group's consecutive entries gathered into runs. The main thread
// deletes the file once this resolves.
import { readFileSync } from 'node:fs';
import { RecordRun } from './entry-runs.js';
import { GroupNames } from './group-names.js';
import { recordAt } from './indexed-file.js';
import { LmdbStore } from './lmdb-store.js';
import { badRecordReason, headerBytes, intactRecordLength, RecordType } from './record.js';
import { changeOf } from './write-codec.js';

export interface SegmentTask {
  readonly walPath: string;
  readonly lmdbPath: string;
}

export interface SegmentResult {
  readonly records: number;
  /** Raft entries those records carry (a run record carries many). */
  readonly entries: number;
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
  const target = store;
  const names = new GroupNames();
  const runs = new Map<string, RecordRun>();
  const putRun = (group: string) => {
    const run = runs.get(group);
    if (run === undefined) return;
    runs.delete(group);
    target.putRun(group, run);
  };
  let records = 0;
  let entries = 0;
  target.transaction(() => {
    for (let offset = 0; offset < buffer.byteLength; records += 1) {
      const length = intactRecordLength(buffer, offset);
      if (length === 0) {
        // A closed file was fully synced before it was closed: damage here is corruption, not a torn tail.
        throw new Error(`corrupt WAL file ${task.walPath}: ${badRecordReason(buffer, offset)}`);
      }
      const groupBytes = buffer.readUInt16LE(offset + 10);
      const group = names.at(buffer, offset + headerBytes, groupBytes);
      const type = buffer.readUInt8(offset + 8);
      if (type === RecordType.entry || type === RecordType.run) {
        const index = buffer.readDoubleLE(offset + 12);
        let run = runs.get(group);
        if (run !== undefined && (run.next !== index || run.full)) {
          putRun(group);
          run = undefined;
        }
        if (run === undefined) {
          run = new RecordRun(buffer, index);
          runs.set(group, run);
        }
        const count = type === RecordType.entry ? 1 : buffer.readDoubleLE(offset + 28);
        entries += count;
        if (type === RecordType.entry) run.add(offset, length, groupBytes);
        else run.addRun(offset + headerBytes + groupBytes, offset + length, count);
      } else {
        // The group's other changes are ordered against its entries: what came before goes first.
        putRun(group);
        target.applyOne(group, changeOf(recordAt(buffer, offset, task.walPath)));
      }
      offset += length;
    }
    for (const group of [...runs.keys()]) putRun(group);
  });
  return { records, entries, bytes: buffer.byteLength };
}
