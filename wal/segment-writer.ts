// The segment writer, run as a piscina task on a worker thread: moves one closed WAL file into
// LMDB in one transaction. The main thread deletes the file once this resolves.
import { LmdbStore } from './lmdb-store.js';
import { readWalFile } from './wal-reader.js';

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
  const contents = readWalFile(task.walPath);
  if (contents.badRecord !== null) {
    // A closed file was fully synced before it was closed: damage here is corruption, not a torn tail.
    throw new Error(`corrupt WAL file ${task.walPath}: ${contents.badRecord}`);
  }
  let store = stores.get(task.lmdbPath);
  if (store === undefined) {
    store = new LmdbStore(task.lmdbPath);
    stores.set(task.lmdbPath, store);
  }
  store.apply(contents.changes);
  return { records: contents.changes.length, bytes: contents.totalBytes };
}
