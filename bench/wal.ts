// npx flotilla bench wal [--seconds S] [--json] [--recovery-mb 64,256,1024]: the shared log's
// throughput from 1, 100 and 10,000 groups with fsync on, its latency at half load, segment
// flushing, and recovery time against WAL size, each beside the raw disk ceiling for the same
// batch sizes measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureRawCeiling, type RawCeiling } from './raw-ceiling.js';
import { type BenchResult, type Figure, printFigures, progress, writeResult } from './report.js';
import { type LoadResult, runLoad } from './wal-load.js';
import { measureRecovery, type RecoveryResult } from './wal-recovery.js';

export interface WalBenchOptions {
  readonly seconds: number;
  readonly recoveryMegabytes: readonly number[];
  readonly resultDirectory: string;
}

export async function benchWal(options: WalBenchOptions): Promise<BenchResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'flotilla-bench-wal-'));
  try {
    const loads: LoadResult[] = [];
    const ceilings: RawCeiling[] = [];
    for (const groups of [1, 100, 10_000]) {
      progress(`appending from ${groups} groups for ${options.seconds} s`);
      const load = await runLoad({
        directory: join(scratch, `load-${groups}`),
        groups,
        seconds: options.seconds,
      });
      loads.push(load);
      progress(`raw ceiling: ${Math.round(load.batchBytes)}-byte appends, one fdatasync each`);
      ceilings.push(await measureRawCeiling(scratch, load.batchBytes, Math.max(1, options.seconds / 2)));
    }
    const full = loads.at(-1)!;
    progress(`half load: ${Math.round(full.entriesPerSecond / 2)} entries/s from 10,000 groups`);
    const half = await runLoad({
      directory: join(scratch, 'half'),
      groups: 10_000,
      seconds: options.seconds,
      offeredRate: full.entriesPerSecond / 2,
    });
    const halfCeiling = await measureRawCeiling(scratch, half.batchBytes, Math.max(1, options.seconds / 2));
    const recoveries: RecoveryResult[] = [];
    for (const megabytes of options.recoveryMegabytes) {
      progress(`recovery of ${megabytes} MiB of WAL`);
      recoveries.push(await measureRecovery(join(scratch, `recovery-${megabytes}`), megabytes * 1024 * 1024));
    }
    const figures = walFigures(loads, ceilings, half, halfCeiling, recoveries);
    const result: BenchResult = {
      bench: 'wal',
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      figures,
      details: { loads, ceilings, half, halfCeiling, recoveries },
    };
    writeResult(options.resultDirectory, result);
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function walFigures(
  loads: readonly LoadResult[],
  ceilings: readonly RawCeiling[],
  half: LoadResult,
  halfCeiling: RawCeiling,
  recoveries: readonly RecoveryResult[],
): Figure[] {
  const figures: Figure[] = [];
  loads.forEach((load, position) => {
    const ceiling = ceilings[position]!;
    const at = `${load.groups} groups`;
    figures.push(
      {
        name: `entries/s, ${at}`,
        value: load.entriesPerSecond,
        unit: 'entries/s',
        ...(load.groups === 10_000 ? { target: { value: 1_000_000, higherIsBetter: true } } : {}),
      },
      {
        name: `MB/s, ${at}`,
        value: load.megabytesPerSecond,
        unit: 'MB/s',
        reference: { name: 'raw ceiling', value: ceiling.megabytesPerSecond },
      },
      {
        name: `fsyncs/s, ${at}`,
        value: load.syncsPerSecond,
        unit: '/s',
        reference: { name: 'raw ceiling', value: ceiling.syncsPerSecond },
      },
      { name: `entries per fsync, ${at}`, value: load.entriesPerSync, unit: 'entries' },
      {
        name: `append-to-durable p50, ${at}`,
        value: load.latencyP50,
        unit: 'ms',
        reference: { name: 'raw fdatasync p50', value: ceiling.syncP50 },
      },
      {
        name: `append-to-durable p99, ${at}`,
        value: load.latencyP99,
        unit: 'ms',
        reference: { name: 'raw fdatasync p99', value: ceiling.syncP99 },
      },
      { name: `most WAL files waiting, ${at}`, value: load.maxWalFiles, unit: 'files' },
      {
        name: `time held back by segment flushing, ${at}`,
        value: load.heldFraction * 100,
        unit: '%',
      },
    );
  });
  figures.push(
    { name: 'half load: entries/s, 10,000 groups', value: half.entriesPerSecond, unit: 'entries/s' },
    {
      name: 'half load: append-to-durable p99 over raw fdatasync p99',
      value: half.latencyP99 / halfCeiling.syncP99,
      unit: '×',
      target: { value: 3, higherIsBetter: false },
    },
    {
      name: 'half load: append-to-durable p99',
      value: half.latencyP99,
      unit: 'ms',
      reference: { name: 'raw fdatasync p99', value: halfCeiling.syncP99 },
    },
    {
      name: 'half load: p99 while a segment flush runs',
      value: half.latencyP99DuringFlush,
      unit: 'ms',
      reference: { name: 'p99 while none runs', value: half.latencyP99OutsideFlush },
    },
    {
      name: 'half load: garbage-collection pauses',
      value: half.gcPauseFraction * 100,
      unit: '% of time',
    },
    { name: 'half load: longest garbage-collection pause', value: half.gcLongestPause, unit: 'ms' },
  );
  const flushed = loads.reduce((sum, load) => sum + load.stats.segmentEntries, 0);
  const flushMillis = loads.reduce((sum, load) => sum + load.stats.segmentMillis, 0);
  if (flushMillis > 0) {
    const best = Math.max(...loads.map((load) => load.entriesPerSecond));
    figures.push({
      name: 'segment flush into LMDB',
      value: flushed / (flushMillis / 1000),
      unit: 'entries/s',
      reference: { name: 'best WAL append rate', value: best },
    });
  }
  for (const recovery of recoveries) {
    figures.push({
      name: `recovery of ${Math.round(recovery.walBytes / 1024 / 1024)} MiB of WAL (${recovery.records} records)`,
      value: recovery.seconds,
      unit: 's',
      ...(recovery.walBytes >= 1024 * 1024 * 1024 ? { target: { value: 5, higherIsBetter: false } } : {}),
    });
  }
  return figures;
}

export { printFigures };
