// The disk's own ceiling for the WAL's pattern: sequential appends of a given batch size, one
// fdatasync each, for a fixed time. The WAL's figures are printed as a ratio of this.
import { closeSync, fdatasync, openSync, rmSync, write } from 'node:fs';
import { join } from 'node:path';
import { LatencySample } from './latency.js';

export interface RawCeiling {
  readonly batchBytes: number;
  readonly syncsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly syncP50: number;
  readonly syncP99: number;
}

export async function measureRawCeiling(
  directory: string,
  batchBytes: number,
  seconds: number,
): Promise<RawCeiling> {
  const path = join(directory, `raw-${batchBytes}.bin`);
  const fd = openSync(path, 'a');
  const buffer = Buffer.alloc(Math.max(1, Math.round(batchBytes)), 0x5a);
  const latencies = new LatencySample();
  const started = performance.now();
  let syncs = 0;
  try {
    while (performance.now() - started < seconds * 1000) {
      const before = performance.now();
      await new Promise<void>((resolve, reject) => {
        write(fd, buffer, 0, buffer.byteLength, null, (error) => {
          if (error !== null) return reject(error);
          fdatasync(fd, (syncError) => (syncError === null ? resolve() : reject(syncError)));
        });
      });
      latencies.add(performance.now() - before);
      syncs += 1;
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    batchBytes: buffer.byteLength,
    syncsPerSecond: syncs / elapsed,
    megabytesPerSecond: (syncs * buffer.byteLength) / elapsed / 1e6,
    syncP50: latencies.percentile(0.5),
    syncP99: latencies.percentile(0.99),
  };
}
