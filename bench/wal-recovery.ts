// Recovery time against WAL size: WAL files of a given size are written straight in the log's
// format (as a crash would leave them, never flushed to LMDB), then the log is opened and timed.
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Entry,
  encodeGroup,
  recordSize,
  recordsOf,
  SharedLog,
  walFilePath,
  writeRecord,
} from 'flotilla/wal';

export interface RecoveryResult {
  readonly walBytes: number;
  readonly records: number;
  readonly seconds: number;
}

const groups = 1000;
const fileBytes = 128 * 1024 * 1024;

/** Writes about `walBytes` of 100-byte entries spread over 1,000 groups, in 128 MiB files. */
function writeWal(directory: string, walBytes: number): number {
  const walDirectory = join(directory, 'wal');
  mkdirSync(walDirectory, { recursive: true });
  const names = Array.from({ length: groups }, (_, index) => encodeGroup(`group-${index}`));
  const next = new Array<number>(groups).fill(1);
  const data = new Uint8Array(100).fill(3);
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  let written = 0;
  let records = 0;
  for (let generation = 1; written < walBytes; generation += 1) {
    const fd = openSync(walFilePath(walDirectory, generation), 'w');
    let inFile = 0;
    while (inFile < fileBytes && written < walBytes) {
      let length = 0;
      for (let group = 0; length < buffer.byteLength - 4096; group = (group + 1) % groups) {
        const entry: Entry = { index: next[group]!, term: 1, kind: 'command', data, config: null, time: 0 };
        for (const record of recordsOf(names[group]!, {
          kind: 'entries',
          from: entry.index,
          entries: [entry],
        })) {
          if (length + recordSize(record) > buffer.byteLength) break;
          length = writeRecord(buffer, length, record);
          records += 1;
        }
        next[group]! += 1;
      }
      writeSync(fd, buffer, 0, length);
      inFile += length;
      written += length;
    }
    closeSync(fd);
  }
  return records;
}

export async function measureRecovery(directory: string, walBytes: number): Promise<RecoveryResult> {
  rmSync(directory, { recursive: true, force: true });
  const records = writeWal(directory, walBytes);
  const started = performance.now();
  const log = await SharedLog.open({ directory, onDurable() {} });
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  rmSync(directory, { recursive: true, force: true });
  return { walBytes, records, seconds };
}
