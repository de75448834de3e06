// Drives the shared log the way many Raft groups would: each group keeps a few appends of
// 100-byte entries in flight and sends the next once the log reports the last durable. With an
// offered rate it runs open loop instead, for latency at a given load.
import { type Entry, SharedLog, type WalStats } from 'flotilla/wal';
import { GcPauses, LatencySample } from './latency.js';

export interface LoadOptions {
  readonly directory: string;
  readonly groups: number;
  readonly seconds: number;
  /** Entries per second to offer (open loop); omitted, every group keeps its window full. */
  readonly offeredRate?: number;
}

export interface LoadResult {
  readonly groups: number;
  readonly entriesPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly syncsPerSecond: number;
  readonly entriesPerSync: number;
  readonly batchBytes: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  /** Most WAL files waiting at once: if segment flushing keeps pace this stays small. */
  readonly maxWalFiles: number;
  /** Share of the measured time appenders were held back because segment flushing was behind. */
  readonly heldFraction: number;
  /** p99 of writes made durable while a segment flush ran, and while none did: what flushing costs. */
  readonly latencyP99DuringFlush: number;
  readonly latencyP99OutsideFlush: number;
  /** Garbage-collection pauses of the appending thread in the measured window. */
  readonly gcPauseFraction: number;
  readonly gcLongestPause: number;
  readonly stats: WalStats;
}

const entryBytes = 100;
/**
 * Entries in flight across all groups in closed loop. Throughput is this window over the time of
 * one write and fdatasync, so it is sized to keep the disk's large sequential writes busy.
 */
const windowEntries = 131_072;

interface GroupLoad {
  readonly name: string;
  nextIndex: number;
  seq: number;
  inflight: number;
  readonly submitted: { seq: number; at: number; entries: number }[];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const data = new Uint8Array(entryBytes).fill(7);
  const latencies = new LatencySample();
  const duringFlush = new LatencySample();
  const outsideFlush = new LatencySample();
  const pauses = new GcPauses();
  const groups: GroupLoad[] = Array.from({ length: options.groups }, (_, index) => ({
    name: `group-${index}`,
    nextIndex: 1,
    seq: 0,
    inflight: 0,
    submitted: [],
  }));
  const byName = new Map(groups.map((group) => [group.name, group]));
  const perWrite = Math.max(1, Math.min(256, Math.floor(windowEntries / options.groups / 4)));
  // The same window however many groups share it: one group pipelines many writes.
  const depth = Math.max(1, Math.round(windowEntries / options.groups / perWrite));
  // The window starts in two halves, the second on the first durable report, so that in the
  // steady state one half is encoded while the other is written: the overlap a busy node has.
  let secondHalf: (() => void) | null = null;
  let durableEntries = 0;
  let heldSince: number | null = null;
  let heldMillis = 0;
  let measuredFrom = 0;
  const topUp = () => {
    for (const group of groups) while (group.inflight < depth && heldSince === null) submit(group, perWrite);
  };
  let measuring = false;
  let stopped = false;
  let maxWalFiles = 0;
  let log: SharedLog | null = null;

  const submit = (group: GroupLoad, count: number) => {
    const entries: Entry[] = [];
    for (let offset = 0; offset < count; offset += 1) {
      entries.push({
        index: group.nextIndex + offset,
        term: 1,
        kind: 'command',
        data,
        config: null,
        time: 0,
      });
    }
    group.seq += 1;
    group.inflight += 1;
    group.submitted.push({ seq: group.seq, at: performance.now(), entries: count });
    // Backpressure: past the backlog bound the log asks appenders to wait for onDrain.
    if (
      !log!.write(group.name, group.seq, { kind: 'entries', from: group.nextIndex, entries }) &&
      heldSince === null
    )
      heldSince = performance.now();
    group.nextIndex += count;
  };

  log = await SharedLog.open({
    directory: options.directory,
    onDurable: (reports) => {
      const now = performance.now();
      // A closed file waiting means a segment flush is running beside these writes.
      const sample = log!.stats().walFiles > 1 ? duringFlush : outsideFlush;
      if (secondHalf !== null) {
        secondHalf();
        secondHalf = null;
      }
      for (const [name, seq] of reports) {
        const group = byName.get(name)!;
        while (group.submitted.length > 0 && group.submitted[0]!.seq <= seq) {
          const write = group.submitted.shift()!;
          group.inflight -= 1;
          if (measuring) {
            durableEntries += write.entries;
            latencies.add(now - write.at);
            sample.add(now - write.at);
          }
        }
        if (options.offeredRate === undefined && !stopped)
          while (group.inflight < depth && heldSince === null) submit(group, perWrite);
      }
      maxWalFiles = Math.max(maxWalFiles, log!.stats().walFiles);
    },
    onDrain: () => {
      if (heldSince === null) return;
      if (measuring) heldMillis += performance.now() - Math.max(heldSince, measuredFrom);
      heldSince = null;
      if (options.offeredRate === undefined && !stopped) topUp();
    },
  });

  let ticker: NodeJS.Timeout | null = null;
  if (options.offeredRate === undefined) {
    const firstHalf = Math.ceil(depth / 2);
    for (const group of groups) while (group.inflight < firstHalf) submit(group, perWrite);
    secondHalf = topUp;
  } else {
    // Writes of the same shape as at full load, so the load is lighter rather than different.
    const writesPerMillisecond = options.offeredRate / perWrite / 1000;
    let owed = 0;
    let cursor = 0;
    let last = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      owed += (now - last) * writesPerMillisecond;
      last = now;
      while (owed >= 1 && !stopped) {
        submit(groups[cursor]!, perWrite);
        cursor = (cursor + 1) % groups.length;
        owed -= 1;
      }
    }, 1);
  }
  // A short warm-up, then the measured window.
  await new Promise((resolve) => setTimeout(resolve, Math.min(1000, options.seconds * 200)));
  const before = log.stats();
  measuring = true;
  pauses.start();
  const started = performance.now();
  measuredFrom = started;
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  if (heldSince !== null) heldMillis += performance.now() - Math.max(heldSince, started);
  measuring = false;
  pauses.stop();
  const elapsed = (performance.now() - started) / 1000;
  const after = log.stats();
  stopped = true;
  if (ticker !== null) clearInterval(ticker);
  await log.close();
  const syncs = after.syncs - before.syncs;
  const bytes = after.bytes - before.bytes;
  return {
    groups: options.groups,
    entriesPerSecond: durableEntries / elapsed,
    megabytesPerSecond: bytes / elapsed / 1e6,
    syncsPerSecond: syncs / elapsed,
    entriesPerSync: (after.entries - before.entries) / Math.max(1, syncs),
    batchBytes: bytes / Math.max(1, syncs),
    latencyP50: latencies.percentile(0.5),
    latencyP99: latencies.percentile(0.99),
    maxWalFiles,
    heldFraction: heldMillis / 1000 / elapsed,
    latencyP99DuringFlush: duringFlush.percentile(0.99),
    latencyP99OutsideFlush: outsideFlush.percentile(0.99),
    gcPauseFraction: pauses.total / 1000 / elapsed,
    gcLongestPause: pauses.longest,
    stats: after,
  };
}
